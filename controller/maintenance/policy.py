"""The maintenance policy in one place: tolerances, intervals and bounds of the procedures.

A common gain error of both load-cell channels (one amplifier reference, a wrong constant)
passes every check the safety layer can make on its own -- the channels agree -- and scales
every delivered force and every limit by the same factor. Only reference weights see it,
hence a calibration verification at an interval, and a daily check of what a technician
can see and press (switch, e-stop, cord, harness) before the first patient.
"""

from __future__ import annotations

STANDARD_GRAVITY_M_S2 = 9.80665  # reference masses in kg -> N (local g is within 0.3 %)
TOLERANCE_SHARE = 0.01  # each reading within max(1 % of the load, 1 N) of the reference
TOLERANCE_MIN_N = 1.0
MIN_LOADS = 3  # at least three reference loads ...
COVERAGE_SHARE = 1 / 3  # ... the heaviest at least a third of the device's maximum force ...
SPREAD_SHARE = 0.5  # ... the lightest at most half of the heaviest (across the range)
CALIBRATION_VALID_DAYS = 365  # then due again
SETTLE_S = 2.0  # after a weight is hung or taken off, before the readings count
AVERAGE_S = 1.0  # readings averaged over this long per load
STEP_BOUND_S = 120.0  # a technician's step (hang a weight, press the switch) or it fails
UNLOADED_N = 2.0  # "nothing hangs on the load cell": both channels within this of zero
POLL_S = 0.05  # how often a procedure reads the board while it waits or averages
