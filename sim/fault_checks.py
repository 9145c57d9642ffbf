"""The simulated firmware's fault checks (ICD 4), one object each, as a real board's would be.

Each check holds its own condition, the time it has held where the ICD gives it one, and the
cause that still refuses a reset (ICD 5: reset only when every cause is gone). The firmware
runs them in order every tick that is judged one by one (a batch is judged on its bounds
instead, sim/firmware.py `_batch_quiet`); a check latches its fault through the firmware,
which keeps the first. Compiled with the rest of the board (sim/compile.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware_bridge import icd
from firmware_bridge.icd import Control, FaultCode

if TYPE_CHECKING:
    from sim.firmware import Firmware

OVERTEMP_C = 85.0
STALL_TIME_S = 0.5
STALL_MIN_COMMAND_M_S = 0.002
STALL_MAX_SPEED_M_S = 0.0005
DISAGREE_MIN_N = icd.SENSOR_DISAGREE_MIN_CN * icd.FORCE_A.scale
DISAGREE_TIME_S = icd.SENSOR_DISAGREE_TIME_MS * 1e-3
OVERSPEED_TIME_S = icd.OVERSPEED_TIME_MS * 1e-3
_ENABLE = int(Control.ENABLE)


def disagree_limit(a: float, b: float) -> float:
    """The widest difference two channels may show: max(the ICD's floor, its share)."""
    big = a if a > -a else -a
    other = b if b > -b else -b
    share = icd.SENSOR_DISAGREE_SHARE * (big if big > other else other)
    return share if share > DISAGREE_MIN_N else DISAGREE_MIN_N


class FaultCheck:
    """One of the board's checks. `check` may latch its fault; `cause` says whether its
    condition still stands (a reset waits for none); `restart` forgets a time it was
    counting (after a reset, and after a batch in which it could not have held)."""

    def check(self, fw: Firmware, t: float) -> None:
        """Judge this tick: `fw.tick_a_n`, `fw.tick_b_n` the tared channels (None: an ADC
        error), `fw.tick_v_m_s` the drive's target speed, `t` the board's time."""

    def cause(self, fw: Firmware) -> str | None:
        return None

    def restart(self) -> None:
        pass


class EStop(FaultCheck):
    def check(self, fw: Firmware, t: float) -> None:
        if fw.switches.estop_open:
            fw.latch(FaultCode.ESTOP)

    def cause(self, fw: Firmware) -> str | None:
        return "e-stop open" if fw.switches.estop_open else None


class PatientSwitch(FaultCheck):
    """Pressed, or unplugged while ENABLE is set (ICD 4)."""

    def check(self, fw: Firmware, t: float) -> None:
        sw = fw.switches
        if sw.patient_pressed or (not sw.patient_connected and fw.control & _ENABLE):
            fw.latch(FaultCode.PATIENT_STOP)

    def cause(self, fw: Firmware) -> str | None:
        sw = fw.switches
        if sw.patient_pressed:
            return "patient switch pressed"
        if not sw.patient_connected and fw.control & _ENABLE:
            return "patient switch unplugged with ENABLE set"
        return None


class DriveInput(FaultCheck):
    """The drive's own fault line (overcurrent, overtemperature as the drive reports them)."""

    def check(self, fw: Firmware, t: float) -> None:
        if fw.switches.drive_fault:
            fw.latch(FaultCode.DRIVE)


class Watchdog(FaultCheck):
    """ENABLE set and no new CMD_SEQ for WATCHDOG_MS."""

    def check(self, fw: Firmware, t: float) -> None:
        if fw.control & _ENABLE and t - fw.seq_changed_at > fw.config.watchdog_s:
            fw.latch(FaultCode.WATCHDOG)


class SensorHealth(FaultCheck):
    """A channel that gives no reading (an ADC error); a reset waits for both channels to
    read and agree."""

    def check(self, fw: Firmware, t: float) -> None:
        if fw.tick_a_n is None or fw.tick_b_n is None:
            fw.latch(FaultCode.SENSOR)

    def cause(self, fw: Firmware) -> str | None:
        a, b = fw.force_a_n, fw.force_b_n
        unhealthy = a is None or b is None
        if not unhealthy and fw.channel_b_fitted and a is not None and b is not None:
            unhealthy = abs(a - b) > disagree_limit(a, b)
        return "load cell unhealthy" if unhealthy else None


class OverForce(FaultCheck):
    """Either channel above FORCE_TRIP."""

    def check(self, fw: Firmware, t: float) -> None:
        a, b, trip = fw.tick_a_n, fw.tick_b_n, fw.config.force_trip_n
        if (a is not None and a > trip) or (b is not None and b > trip):
            fw.latch(FaultCode.OVERFORCE)

    def cause(self, fw: Firmware) -> str | None:
        trip = fw.config.force_trip_n
        over = any(f is not None and f > trip for f in (fw.force_a_n, fw.force_b_n))
        return "force above FORCE_TRIP" if over else None


class ChannelDisagreement(FaultCheck):
    """Two fitted channels apart by more than their limit for SENSOR_DISAGREE_TIME_MS."""

    def __init__(self) -> None:
        self.since: float | None = None

    def check(self, fw: Firmware, t: float) -> None:
        a, b = fw.tick_a_n, fw.tick_b_n
        if a is None or b is None or not fw.channel_b_fitted:
            return
        if (a - b if a > b else b - a) > disagree_limit(a, b):
            if self.since is None:
                self.since = t
            elif t - self.since > DISAGREE_TIME_S:
                fw.latch(FaultCode.SENSOR)
        else:
            self.since = None

    def restart(self) -> None:
        self.since = None


class OverTravel(FaultCheck):
    """The carriage at the end-of-travel switch."""

    def check(self, fw: Firmware, t: float) -> None:
        if fw.physics.x >= fw.travel_max_m:
            fw.latch(FaultCode.OVERTRAVEL)

    def cause(self, fw: Firmware) -> str | None:
        return "end-of-travel switch active" if fw.end_of_travel else None


class DriveHealth(FaultCheck):
    """The motor too hot, or its current past the overcurrent limit."""

    def check(self, fw: Firmware, t: float) -> None:
        phys = fw.physics
        if phys.temp_c >= OVERTEMP_C or phys.tension_n >= fw.overcurrent_tension_n:
            fw.latch(FaultCode.DRIVE)

    def cause(self, fw: Firmware) -> str | None:
        present = fw.switches.drive_fault or fw.physics.temp_c >= OVERTEMP_C
        return "drive fault present" if present else None


class Stall(FaultCheck):
    """Commanded to move and not moving for STALL_TIME_S."""

    def __init__(self) -> None:
        self.since: float | None = None

    def check(self, fw: Firmware, t: float) -> None:
        speed, v = fw.physics.v, fw.tick_v_m_s
        speed = speed if speed >= 0.0 else -speed
        commanded = v >= STALL_MIN_COMMAND_M_S or -v >= STALL_MIN_COMMAND_M_S
        if fw.enabled and commanded and speed <= STALL_MAX_SPEED_M_S:
            if self.since is None:
                self.since = t
            elif t - self.since > STALL_TIME_S:
                fw.latch(FaultCode.DRIVE)
        else:
            self.since = None

    def restart(self) -> None:
        self.since = None


class Overspeed(FaultCheck):
    """Faster than OVERSPEED_FACTOR x VELOCITY_LIMIT for OVERSPEED_TIME_MS."""

    def __init__(self) -> None:
        self.since: float | None = None

    def check(self, fw: Firmware, t: float) -> None:
        speed = fw.physics.v
        speed = speed if speed >= 0.0 else -speed
        if speed > fw.config.overspeed_m_s:
            if self.since is None:
                self.since = t
            elif t - self.since > OVERSPEED_TIME_S:
                fw.latch(FaultCode.OVERSPEED)
        else:
            self.since = None

    def restart(self) -> None:
        self.since = None


def input_checks() -> tuple[FaultCheck, ...]:
    """The switch inputs: judged only while one of them is not quiet (the tick's shortcut)."""
    return (EStop(), PatientSwitch(), DriveInput())


def board_checks() -> tuple[FaultCheck, ...]:
    """The rest, in the order the board latches them (the first fault is kept)."""
    return (
        Watchdog(),
        SensorHealth(),
        OverForce(),
        ChannelDisagreement(),
        OverTravel(),
        DriveHealth(),
        Stall(),
        Overspeed(),
    )
