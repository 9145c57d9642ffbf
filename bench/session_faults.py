"""How a whole session ends after each fault of the catalogue, on every board variant.

For each board variant and each injection (and a board lost mid-hold): a treatment session
(controller/run/session.py) holds 200 N on sim:// in virtual time, the fault is injected once the
hold has settled, and the session runs to its end by itself. Printed per row: how the session
ended, how long after the fault (session seconds), the tension left on the patient, the audit
events and the log lines (warning and above, what the console shows) after the fault, with
their rates per second of the outage. Issue 10's figures: a board lost mid-hold ends within
30 s with at most 50 lines and 10 events; no fault floods the log or the record.

    python -m bench.session_faults [--variants reference,release-level,...]
"""

from __future__ import annotations

import argparse
import logging

from controller.app.composition import open_link
from controller.core import logs
from controller.core.control_loop import CycleRecord
from controller.core.events import SessionEvent
from controller.core.treatment import Treatment
from controller.protocols.models import ProtocolFile, Static
from controller.run.session import TreatmentSession
from safety.limits import load_limits
from sim.injection import inject
from sim.variants import VARIANTS

HOLD = ProtocolFile(name="hold", protocol=Static(force_n=200.0, duration_s=60.0))
SETTLED_S = 3.0
FAULTS: list[tuple[str, str, dict[str, object]]] = [
    ("patient-press", "patient-press", {}),
    ("patient-unplug", "patient-unplug", {}),
    ("estop-open", "estop-open", {}),
    ("channel-dead B", "channel-dead", {"channel": "B"}),
    ("channel-disagree", "channel-disagree", {"offset_n": 17.0}),
    ("runaway", "runaway", {}),
    ("drive-fault", "drive-fault", {}),
    ("samples-freeze", "samples-freeze", {}),
    ("reboot", "reboot", {}),
    ("harness-slip", "harness-slip", {}),
    ("link-drop 5", "link-drop", {"count": 5}),
    ("board lost", "link-drop", {"count": 1_000_000}),
]


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def run(variant: str, name: str, params: dict[str, object]) -> str:
    opened = open_link(f"sim://?seed=1&variant={variant}")
    board = opened.board
    assert board is not None
    session = TreatmentSession(opened.link, HOLD, load_limits(), 75.0)
    events: list[SessionEvent] = []
    session.events.subscribe(events.append)
    lines = Lines()
    at: list[float] = []
    end = [0.0]
    base = [0]

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        end[0] = record.time_s
        if not at and treatment.phase == "hold" and treatment.timer_s > SETTLED_S:
            at.append(record.time_s)
            base[0] = len(events)
            logging.getLogger().addHandler(lines)
            inject(board, name, params)

    try:
        outcome = session.run(on_cycle=hook)
    finally:
        logging.getLogger().removeHandler(lines)
    after = end[0] - at[0] if at else float("nan")
    n_events = len(events) - base[0]
    span = max(after, 1e-9)
    return (
        f"{outcome.label:<24} {after:7.2f} {board.firmware.physics.tension_n:7.1f} "
        f"{n_events:6d} {n_events / span:7.2f} {lines.count:6d} {lines.count / span:7.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args()
    logs.configure("warning")  # what the console shows by default: counted, not printed
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    print(
        "verifies SR-007 (released), SR-008 (release bound), SR-012 (board lost: ends within "
        "30 s, <= 50 lines, <= 10 events)"
    )
    print(
        f"{'variant':<18} {'fault':<17} {'outcome':<24} {'end s':>7} {'left N':>7} "
        f"{'events':>6} {'ev/s':>7} {'lines':>6} {'lines/s':>7}"
    )
    for variant in args.variants.split(","):
        for label, name, params in FAULTS:
            print(f"{variant:<18} {label:<17} {run(variant, name, params)}", flush=True)


if __name__ == "__main__":
    main()
