"""Named variants of the simulated board: one for each choice the ICD leaves open.

Why: the ICD is the contract, not our simulator. Where it leaves a choice open a real board may
take either side, and a host tested only against our own reading of each choice passes tests
that a board nobody on the project wrote would fail (issue: RELEASE read as a level left every
normal end of treatment hanging in "stopping"). Every host test that drives a treatment or a
safety reaction runs against each of these (tests/conftest.py `board_variant`, HIL targets).
docs/simulator.md has the table: freedom, variant, the host's result.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VARIANT = "reference"


@dataclass(frozen=True, slots=True)
class BoardVariant:
    name: str
    summary: str
    # ICD 3 "bit 3 RELEASE (level)": a host-requested release runs only while the bit is 1
    release_level: bool = False
    # several queued requests applied within one firmware tick: CONTROL's edges and levels are
    # judged once per tick, so a bit set and cleared between two ticks is never seen
    edges_per_tick: bool = False
    # ICD 4.1 is silent on a release asked for with both forces already below RELEASE_FORCE:
    # this board is done at once and never shows RELEASING
    instant_release: bool = False
    # ICD 4.1/5 are silent on CONTROL.RELEASE while the e-stop or a drive fault holds the
    # carriage: this board claims RELEASING (it cannot move) and releases once power is back
    release_while_held: bool = False
    # ICD 4 WATCHDOG counts from the last CMD_SEQ change; this board does not restart the
    # period when ENABLE rises (the reference does)
    watchdog_from_seq: bool = False
    # every reply this late (the ICD states no reply time; below the host's timeout)
    reply_latency_s: float = 0.0
    # every Nth reply comes this late: after the host's timeout, i.e. a reply to an earlier
    # request arriving while the host waits for the next one's
    late_reply_every: int = 0
    late_reply_s: float = 0.0
    # ICD 2 CMD_SEQ_ECHO is "the last CMD_SEQ value the board accepted" and ICD 3 asks for a
    # new CMD_SEQ only "while ENABLE is set": this board accepts (echoes) CMD_SEQ only in a
    # write with CONTROL.ENABLE set, so a host holding RELEASE with ENABLE low sees an old echo
    echo_while_enabled: bool = False


VARIANTS: dict[str, BoardVariant] = {
    v.name: v
    for v in (
        BoardVariant(
            "reference",
            "our reading: a release once started runs to its end; edges judged at the write",
        ),
        BoardVariant("release-level", "CONTROL.RELEASE read as a level", release_level=True),
        BoardVariant(
            "coalesced-writes",
            "requests applied once per firmware tick: a one-write pulse is lost",
            edges_per_tick=True,
        ),
        BoardVariant(
            "instant-release",
            "a release asked for below RELEASE_FORCE is done at once, RELEASING never shown",
            instant_release=True,
        ),
        BoardVariant(
            "slow-replies",
            "every reply 8 ms late (no reply time in the ICD)",
            reply_latency_s=0.008,
        ),
        BoardVariant(
            "late-replies",
            "every 50th reply arrives 40 ms late, after the host's timeout",
            late_reply_every=50,
            late_reply_s=0.04,
        ),
        BoardVariant(
            "release-while-held",
            "RELEASE accepted under e-stop or drive fault: RELEASING shown, no motion",
            release_while_held=True,
        ),
        BoardVariant(
            "watchdog-from-seq",
            "the watchdog period is not restarted when ENABLE rises",
            watchdog_from_seq=True,
        ),
        BoardVariant(
            "echo-while-enabled",
            "CMD_SEQ accepted and echoed only in a write with ENABLE set",
            echo_while_enabled=True,
        ),
        BoardVariant(
            "strict",
            "all of RELEASE as a level, coalesced writes and instant release at once",
            release_level=True,
            edges_per_tick=True,
            instant_release=True,
        ),
    )
}


def variant(name: str) -> BoardVariant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise KeyError(f"unknown board variant {name!r}; one of {', '.join(VARIANTS)}") from None
