"""The muscle signal beside the board, over a real Lab Streaming Layer stream: found within its
bound and checked, read fresh, and -- gating a treatment -- its loss holds the force at no
higher level with a medium alarm while the protocol's plan goes on (SR-055, SR-056)."""

from __future__ import annotations

import itertools
import time

import pytest

from controller.core.control_loop import CycleRecord
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.muscles.lsl_source import lsl_source
from controller.muscles.monitor import MuscleSettings
from controller.muscles.watch import MuscleWatch, Signal
from controller.protocols.models import ProtocolFile, Static
from hil.measurements import Measurements
from hil.record import RunRecord
from hil.sessions import plot, treat
from hil.table import HilTable
from hil.targets import Capability

READ_S = 2.0
LOST_BOUND_S = 0.5 + 0.1 + 0.1 + 0.05  # the bound, a pull in flight, the pull, a cycle's slack
GATED = ProtocolFile(
    name="hil-gated",
    protocol=Static(force_n=80.0, duration_s=6.0, ramp_up_n_s=30.0, ramp_down_n_s=30.0),
    emg_gate=True,
)


@pytest.mark.needs(Capability.EMG)
@pytest.mark.requirement("SR-056")
def test_the_emg_stream_is_found_checked_and_read_fresh(
    table: HilTable, measure: Measurements
) -> None:
    assert table.emg is not None
    source = lsl_source(table.emg)
    started = time.monotonic()
    source.open()
    measure("stream found and checked", time.monotonic() - started, "s", high=5.0, timing=True)
    measure("stream rate", source.rate_hz, "Hz", low=1000.0)
    watch = MuscleWatch(source, 50.0)
    try:
        end = time.monotonic() + READ_S
        while time.monotonic() < end:
            reading = watch.update(time.monotonic())
            time.sleep(0.01)
    finally:
        source.close()
    measure("signal", reading.signal.value, equals=Signal.GOOD.value)
    measure("envelope", reading.envelope_uv, "uV", low=0.5, high=200.0)


@pytest.mark.needs(Capability.EMG, Capability.FAULT_INJECTION)
@pytest.mark.requirement("SR-055")
def test_the_stream_lost_mid_treatment_holds_the_force_and_alarms(
    table: HilTable, measure: Measurements, hil_run: RunRecord, request: pytest.FixtureRequest
) -> None:
    table.ensure_test_load()
    result = hil_run.result(request.node.nodeid)
    lost: list[float] = []

    def hook(t: Treatment, record: CycleRecord) -> None:
        if not lost and t.timer_s > 1.0:
            lost.append(table.injection("emg-lost").at_s)

    treated = treat(
        table, hil_run, result, GATED, on_cycle=hook, muscles=MuscleSettings(baseline_s=3.0)
    )
    plot(hil_run, result, treated)
    outcome = treated.outcome
    assert outcome is not None and lost
    measure("session outcome", outcome.label, equals="complete")
    events = outcome.treatment.log.events
    alarms = [e for e in events if e.kind == "alarm" and "muscle signal lost" in e.text]
    measure("lost-signal alarms", float(len(alarms)), low=1, high=1)
    measure("alarm priority", alarms[0].priority if alarms else "-", equals="medium")
    if alarms:
        measure("stated within", alarms[0].time_s - lost[0], "s", high=LOST_BOUND_S, timing=True)
        after = [s for s in outcome.treatment.log.samples if s.time_s > alarms[0].time_s]
        rises = sum(1 for a, b in itertools.pairwise(after) if b.target_n > a.target_n)
        measure("setpoint rises after the loss", float(rises), high=0)
    assert outcome.state is State.COMPLETE
