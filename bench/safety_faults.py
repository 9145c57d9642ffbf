"""Safety reaction figures per injected fault, on sim:// through the bridge, gate and monitor.

For each scenario: a treatment-like hold at 200 N (lumbar, 75 kg: limit 441 N), then the
fault. Printed per fault: detection latency (injection -> first trip), when the release
request reached the board (in ms and in 10 ms control cycles after the injection), peak force
above the session limit (the physical tension on the patient, not a faulty channel's
reading), and the time until the board is in its safe state: braked and released below
RELEASE_FORCE, or at home (a release by position), or stopped (e-stop and drive faults cut
motion instead of releasing).
A runaway controller (proposing full speed, no setpoint) is run on every patient profile at
0.3x, 1x and 3x stiffness: its peak is reported against max(2 %, 5 N) above the limit.
"""

from __future__ import annotations

import math

from controller.core import logs
from controller.core.control_loop import CycleRecord, LoopResult, Proposal
from firmware_bridge.values import Telemetry
from sim.injection import inject
from sim.profiles import profile_names
from tests.safety.closed_loop import Rig, hold_at, rig, safe_state, settle

TARGET_N = 200.0
PERIOD_S = 0.01
AFTER_S = 40.0
SCENARIOS: list[tuple[str, dict[str, object]]] = [
    ("patient-press", {}),
    ("patient-unplug", {}),
    ("estop-open", {}),
    ("channel-dead", {"channel": "B"}),
    ("channel-disagree", {"offset_n": 17.0}),
    ("channel-noisy", {"channel": "A", "sigma_n": 30.0}),
    ("channel-drift", {"channel": "B", "rate_n_per_s": 20.0}),
    ("runaway", {}),
    ("drive-fault", {}),
    ("samples-freeze", {}),
    ("reboot", {}),
    ("harness-slip", {}),
    ("link-drop", {"count": 5}),
    ("link-delay", {"delay_ms": 300.0, "count": 5}),
    ("disturbance", {"force_n": 120.0, "duration_s": 1.0}),
    ("stiffness", {"factor": 2.5}),
]


def measure(name: str, params: dict[str, object]) -> str:
    r = rig()
    settle(r, TARGET_N)
    t0 = r.link.clock.now()
    inject(r.board, name, params)
    tension: list[float] = []  # the force on the patient, whatever a faulty channel reads

    def done(rec: CycleRecord) -> bool:
        tension.append(r.board.firmware.physics.tension_n)
        return safe_state(r, rec.telemetry)

    result = r.loop.run(hold_at(TARGET_N), AFTER_S, until=done)
    return _row(name, r, result, t0, max(tension, default=0.0))


def _row(name: str, r: Rig, result: LoopResult, t0: float, peak: float) -> str:
    trip_t = next((rec.time_s for rec in result.records if rec.trips), math.nan)
    release_t = next((rec.time_s for rec in result.records if rec.release_requests), math.nan)
    over = max(0.0, peak - r.force_limit_n)
    end = result.records[-1] if result.records else None
    safe_t = end.time_s if end is not None and safe_state(r, end.telemetry) else math.nan
    faults = ",".join(sorted({t.fault.name for t in r.supervisor.trips}))
    cycles = (release_t - t0) / PERIOD_S
    return (
        f"{name:<17} {1e3 * (trip_t - t0):8.0f} {1e3 * (release_t - t0):9.0f} {cycles:7.0f} "
        f"{over:9.1f} {safe_t - t0:9.2f}  {faults}"
    )


def runaway_row(patient: str, stiffness: float) -> str:
    r = rig(patient, region="cervical" if patient == "cervical" else "lumbar", stiffness=stiffness)

    def runaway(_: float, tel: Telemetry) -> Proposal:
        return Proposal(1.0, target_force_n=None)

    result = r.loop.run(runaway, 60.0)
    limit = r.force_limit_n
    peak = max(t.force_n for t in result.telemetry)
    allowed = max(0.02 * limit, 5.0)
    recs = result.records
    first_over = next(
        (i for i, rec in enumerate(recs) if rec.telemetry and rec.telemetry.force_n > limit), None
    )
    if first_over is None:
        reaction = "never over the limit"
    else:
        released = next(i for i, rec in enumerate(recs) if rec.release_requests)
        reaction = f"release {released - first_over} cycles after the first over-limit sample"
    verdict = "ok" if peak - limit <= allowed else "EXCEEDS"
    return (
        f"{patient:<20} x{stiffness:<4} limit {limit:6.1f} N  peak {peak:6.1f} N  "
        f"over {max(0.0, peak - limit):4.1f} N (allowed {allowed:4.1f})  {reaction}  {verdict}"
    )


def main() -> None:
    logs.configure("critical")
    print("verifies SR-002 (release within 1 cycle), SR-006, SR-009, SR-010, SR-020, SR-021")
    print("fault             detect[ms] release[ms] [cycles] over[N]  safe[s]  safety trips")
    for name, params in SCENARIOS:
        print(measure(name, params))
    print("\nrunaway controller (full-speed proposals, no setpoint), 60 s each -- verifies SR-003:")
    for patient in profile_names():
        for stiffness in (0.3, 1.0, 3.0):
            print("  " + runaway_row(patient, stiffness))


if __name__ == "__main__":
    main()
