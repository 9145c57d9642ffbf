"""Treatments with the simulated patient's muscles in virtual time: the gate, the alarms, the
figures and the record, end to end through the session owner."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from controller.app.composition import Opened, open_link, open_muscles
from controller.core.control_loop import CycleRecord
from controller.core.events import SessionEvent
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.muscles.monitor import MuscleSettings
from controller.muscles.source import MuscleSourceError
from controller.protocols.checks import ProtocolError
from controller.protocols.library import presets
from controller.protocols.models import Intermittent, ProtocolFile
from controller.run.session import Outcome, TreatmentSession
from controller.run.treatment_run import Acknowledged, TreatmentRun
from safety.limits import load_limits
from sim.injection import inject
from tests.helpers import ready_records

LIMITS = load_limits()
SHORT = MuscleSettings(baseline_s=5.0)
INTERMITTENT = Intermittent(
    region="lumbar", hold_force_n=300.0, hold_s=30.0, rest_force_n=100.0, rest_s=15.0, cycles=3
)


def entry(gated: bool) -> ProtocolFile:
    return ProtocolFile(name="emg-test", protocol=INTERMITTENT, emg_gate=gated)


def session(
    muscles: str, gated: bool, *, seed: int = 1, protocol: ProtocolFile | None = None
) -> tuple[TreatmentSession, Opened, list[SessionEvent]]:
    opened = open_link(f"sim://?seed={seed}")
    source = open_muscles(f"sim://?muscles={muscles}", opened)
    s = TreatmentSession(
        opened.link,
        protocol or entry(gated),
        LIMITS,
        75.0,
        muscles=source,
        muscle_settings=SHORT,
    )
    events: list[SessionEvent] = []
    s.events.subscribe(events.append)
    return s, opened, events


def inject_once(
    opened: Opened, after_timer_s: float, name: str, params: dict[str, object] | None = None
) -> tuple[Callable[[Treatment, CycleRecord], None], list[float]]:
    """A session hook that injects `name` once the treatment's timer passes `after_timer_s`,
    and the list the injection's time goes into."""
    board = opened.board
    assert board is not None
    at: list[float] = []

    def hook(t: Treatment, record: CycleRecord) -> None:
        if not at and t.timer_s > after_timer_s:
            inject(board, name, params)
            at.append(record.time_s)

    return hook, at


@pytest.mark.requirement("SR-053")
@pytest.mark.parametrize("muscles", ["guarding", "spasm-prone", "relaxed"])
def test_gated_never_raises_the_setpoint_while_the_muscles_guard(muscles: str) -> None:
    s, _, _ = session(muscles, gated=True)
    out = s.run()
    assert out.state is State.COMPLETE
    assert out.emg is not None and out.emg.raised_while_held == 0
    assert out.emg.baseline_uv is not None
    held = [x for x in out.treatment.log.samples if x.gate in ("holding", "backing off")]
    if muscles != "relaxed":
        assert held, "a guarding patient was never held: the gate did nothing"
    peak = max(x.target_n for x in out.treatment.log.samples)
    assert peak <= INTERMITTENT.hold_force_n + 1e-9


@pytest.mark.requirement("SR-053")
def test_gated_keeps_the_envelope_lower_than_open_loop_on_the_same_patient() -> None:
    outcomes: dict[bool, Outcome] = {}
    for gated in (False, True):
        s, _, _ = session("guarding", gated=gated)
        outcomes[gated] = s.run()
    open_uv = outcomes[False].emg.mean_hold_uv  # type: ignore[union-attr]
    gated_uv = outcomes[True].emg.mean_hold_uv  # type: ignore[union-attr]
    assert open_uv is not None and gated_uv is not None
    assert gated_uv < 0.8 * open_uv


@pytest.mark.requirement("SR-055")
def test_a_lost_stream_in_gated_mode_alarms_holds_at_no_higher_force_and_the_plan_goes_on() -> None:
    s, opened, events = session("relaxed", gated=True)
    hook, lost_at = inject_once(opened, 20.0, "emg-lost")  # in the first ramp's hold
    out = s.run(hook)
    assert out.state is State.COMPLETE  # the protocol's plan went on
    alarms = [e for e in events if e.kind == "alarm" and "muscle signal lost" in e.text]
    assert len(alarms) == 1 and alarms[0].priority == "medium"
    # the bound after the last sample, which the next pull (0.1 s) may still bring, then the
    # pull that sees the silence (0.1 s), and a muscle step (0.02 s)
    assert alarms[0].time_s - lost_at[0] <= 0.5 + 0.1 + 0.1 + 0.02
    after = [x for x in out.treatment.log.samples if x.time_s > alarms[0].time_s]
    rises = sum(1 for a, b in itertools.pairwise(after) if b.target_n > a.target_n)
    assert rises == 0
    assert all(x.gate == "no signal" for x in after)


@pytest.mark.requirement("SR-054")
def test_an_electrode_off_while_monitoring_is_a_low_alarm_and_left_out_of_the_figures() -> None:
    s, opened, events = session("guarding", gated=False)
    hook, _ = inject_once(opened, 60.0, "electrode-off", {"side": "right", "how": "off-flat"})
    out = s.run(hook)
    contact = [e for e in events if "electrode contact lost" in e.text]
    assert len(contact) == 1 and contact[0].priority == "low"
    assert "right: flat line" in contact[0].text
    assert out.emg is not None and 0.2 < out.emg.reliable_share < 0.8


@pytest.mark.requirement("SR-056")
def test_a_gated_protocol_without_a_muscle_signal_is_refused_before_anything_moves() -> None:
    opened = open_link("sim://?seed=1")
    s = TreatmentSession(opened.link, presets()["lumbar-gentle"], LIMITS, 75.0)
    with pytest.raises(ProtocolError, match="EMG-gated"):
        s.run()
    assert opened.board is not None and opened.board.firmware.physics.x == 0.0


@pytest.mark.requirement("SR-056")
def test_the_simulated_muscles_need_the_simulated_table() -> None:
    opened = open_link("tcp://127.0.0.1:1")
    with pytest.raises(MuscleSourceError, match="belong to the simulated table"):
        open_muscles("sim://?muscles=guarding", opened)
    with pytest.raises(MuscleSourceError, match="unknown option"):
        open_muscles("sim://?muscle=guarding", open_link("sim://"))
    with pytest.raises(MuscleSourceError, match="use lsl://"):
        open_muscles("emg://x", open_link("sim://"))


def test_every_session_records_its_relaxation_and_the_emg_figures_when_connected(
    tmp_path: Path,
) -> None:
    store = ready_records(tmp_path / "r.sqlite3")
    ids = []
    for emg in (None, "sim://?muscles=guarding"):
        opened = open_link("sim://?seed=2")
        source = None if emg is None else open_muscles(emg, opened)
        run = TreatmentRun(
            opened.link,
            entry(False),
            LIMITS,
            75.0,
            records=store,
            muscles=source,
            muscle_settings=SHORT,
        )
        run.treat()
        run.answer_end(Acknowledged("test"))
        result = run.close(tmp_path / f"s{run.session_id}.png")
        assert result.report is not None and result.report.exists()
        ids.append(run.session_id)
    db = sqlite3.connect(store)
    rows = {
        sid: (json.loads(r), e)
        for sid, r, e in db.execute("SELECT id, relaxation_json, emg_json FROM sessions")
    }
    plain, with_emg = rows[ids[0]], rows[ids[1]]
    assert plain[0]["mean_index_pct"] > 0 and plain[0]["total_creep_mm"] > 0
    assert plain[1] is None
    emg = json.loads(with_emg[1])
    assert emg["baseline_uv"] > 0 and emg["raised_while_held"] == 0
    envelopes = db.execute(
        "SELECT COUNT(emg_uv), COUNT(gate) FROM samples WHERE session_id = ?", (ids[1],)
    ).fetchone()
    assert envelopes[0] > 1000 and envelopes[1] > 1000
