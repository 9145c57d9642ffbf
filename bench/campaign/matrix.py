"""What a campaign runs: its cells, one virtual-time session (or one killed process) each.

A fault cell injects one fault of the catalogue at one moment of a session (a session state)
on one patient profile, board variant and seed; a normal cell runs a preset with patient
movement and injects nothing; a kill cell SIGKILLs `traction run` at one random moment. Scopes
pick how much of the product runs: `ci` a slice for every CI run, `full` the whole matrix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from controller.protocols.library import presets
from sim.variants import VARIANTS

Kind = Literal["fault", "normal", "kill"]
Scope = Literal["ci", "full"]

# the moments of a session a fault can meet, in the order a session passes them
STATES = (
    "self-test",
    "slack take-up",
    "ramp up",
    "hold",
    "rest",
    "paused",
    "ramp down",
    "release",
    "homing",
)
# the fault half of the injection catalogue (its other half heals): name, label, parameters
FAULTS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("patient-press", "patient-press", {}),
    ("patient-unplug", "patient-unplug", {}),
    ("estop-open", "estop-open", {}),
    ("channel-stuck A", "channel-stuck", {"channel": "A"}),
    ("channel-drift B", "channel-drift", {"channel": "B", "rate_n_per_s": 40.0}),
    ("channel-noisy A", "channel-noisy", {"channel": "A", "sigma_n": 12.0}),
    ("channel-dead B", "channel-dead", {"channel": "B"}),
    ("channel-disagree", "channel-disagree", {"offset_n": 17.0}),
    ("runaway", "runaway", {}),
    ("stall", "stall", {}),
    ("drive-fault", "drive-fault", {}),
    ("samples-freeze", "samples-freeze", {}),
    ("harness-slip", "harness-slip", {}),
    ("link-drop 5", "link-drop", {"count": 5}),
    ("link-delay", "link-delay", {"delay_ms": 200.0, "count": 3}),
    ("board lost", "link-drop", {"count": 1_000_000}),
    ("reboot", "reboot", {}),
)
# not in the runtime matrix, and why: the control is elsewhere
NOT_RUNTIME = {
    "gain-error": "a common gain error reads right to the host by construction; the control is "
    "the calibration verification (docs/clinic.md, SR-031), tested there",
}
PROFILES = ("lumbar-light", "lumbar-average", "lumbar-heavy", "lumbar-plain-table", "cervical")
KILLS_FULL = 1000
NORMAL_FULL = 1000


@dataclass(frozen=True, slots=True)
class Cell:
    kind: Kind
    fault: str = ""  # the label in FAULTS
    state: str = ""
    profile: str = "lumbar-average"
    variant: str = "reference"
    seed: int = 0
    preset: str = ""  # normal cells
    kill_at: float = 0.0  # kill cells: the share of the session at which it is killed
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> str:
        what = {"fault": f"{self.fault} @ {self.state}", "normal": self.preset, "kill": "kill"}
        return (
            f"{self.kind}: {what[self.kind]} / {self.profile} / {self.variant} / seed {self.seed}"
        )


def matrix(
    scope: Scope, seeds: int = 1, normal: int = NORMAL_FULL, kills: int = KILLS_FULL
) -> list[Cell]:
    """Every cell of the scope, in a stable order (the report's order)."""
    if scope == "ci":
        return _ci()
    cells = [
        Cell("fault", fault=f, state=s, profile=p, variant=v, seed=seed)
        for f, _, _ in FAULTS
        for s in STATES
        for p in PROFILES
        for v in VARIANTS
        for seed in range(seeds)
    ]
    return cells + normal_cells(normal) + kill_cells(kills)


def normal_cells(count: int) -> list[Cell]:
    """Every preset on every profile of its region, seeds until `count`."""
    pairs = [
        (name, p)
        for name, entry in sorted(presets().items())
        for p in PROFILES
        if (p == "cervical") == (entry.protocol.region == "cervical")
    ]
    return [
        Cell("normal", preset=pairs[i % len(pairs)][0], profile=pairs[i % len(pairs)][1], seed=i)
        for i in range(count)
    ]


def kill_cells(count: int) -> list[Cell]:
    rng = random.Random(14)
    return [Cell("kill", seed=i, kill_at=rng.uniform(0.02, 0.98)) for i in range(count)]


def _ci() -> list[Cell]:
    """A slice: every fault in two states, every state with two faults, on two variants and
    two profiles; three normal sessions and two kills (tests/records/test_crash.py kills
    ten more)."""
    cells = [
        Cell("fault", fault=f, state=s, profile=p, variant=v)
        for f, _, _ in FAULTS
        for s in ("hold", "ramp down")
        for p, v in (("lumbar-average", "reference"), ("lumbar-heavy", "strict"))
    ]
    cells += [
        Cell("fault", fault=f, state=s, profile="lumbar-light", variant="release-level")
        for f in ("estop-open", "channel-dead B")
        for s in STATES
    ]
    # the EMG-gated presets are long (15-20 min with the muscles): the full campaign runs
    # them; tests/muscles runs gated sessions on every muscle profile
    short = [c for c in normal_cells(6) if not presets()[c.preset].emg_gate][:3]
    return cells + short + kill_cells(2)
