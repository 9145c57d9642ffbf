"""The board's firmware rules (ICD 4 and 5), run once per load-cell sample.

This is layer 1 of the safety design as the real board implements it: watchdog, over-force,
patient switch, e-stop, sensor plausibility, over-travel, drive faults, over-speed, safe
release, first-fault latching and reset only when every cause is gone. It holds the command
and configuration registers as the board does; register access with its Modbus exceptions
is in `sim.registers`.

Choices the ICD leaves open (docs/simulator.md lists them):
- reset needs every cause of every fault gone, not only the first one's;
- a release, once started (by a fault or by CONTROL.RELEASE), always runs to its end, and a
  release by force also leaves the end-of-travel switch (else OVERTRAVEL could never reset);
- CONTROL.RELEASE held high also keeps the drive disabled;
- the watchdog period restarts when ENABLE rises and after a successful reset;
- CMD_SEQ_ECHO is the last CMD_SEQ written, whatever the board's state (the variant
  `echo-while-enabled` accepts it only in a write with CONTROL.ENABLE set).
Each choice also has its other side as a named variant (sim/variants.py), so that the host is
tested against every board the ICD permits, not only against this reading.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from typing import Final

from firmware_bridge import icd
from firmware_bridge.icd import Control, FaultCode, Status
from sim.fault_checks import (
    DISAGREE_MIN_N,
    OVERTEMP_C,
    STALL_MAX_SPEED_M_S,
    STALL_MIN_COMMAND_M_S,
    FaultCheck,
    board_checks,
    input_checks,
)
from sim.loadcell import LoadCell
from sim.physics import DriveModel, TablePhysics
from sim.profiles import PatientProfile
from sim.variants import VARIANTS, BoardVariant

TICK_S = 1.0 / icd.BOARD_IDENTITY_RAW[icd.SAMPLE_RATE_HZ]
HOME_SWITCH_M = 0.0005
OVERCURRENT_A = 9.0
HARNESS_OFFSET_N = 6.0
OFFSET_SPREAD_N = 3.0
CHANNEL_B_GAIN_SPREAD = 0.004
RUNAWAY_SPEED_FACTOR = 1.0  # of HW_VELOCITY_MAX
BATCH_MAX_TICKS = 50  # 0.1 s: the bounds a batch is judged on stay tight

# Plain ints on the tick path: enum.Flag arithmetic costs microseconds per operation.
_ENABLE = int(Control.ENABLE)
_FAULT_RESET = int(Control.FAULT_RESET)
_TARE = int(Control.TARE)
_RELEASE = int(Control.RELEASE)


class _B:
    """STATUS bits as plain ints."""

    DRIVE_READY: Final = int(Status.DRIVE_READY)
    DRIVE_ENABLED: Final = int(Status.DRIVE_ENABLED)
    MOVING: Final = int(Status.MOVING)
    FAULT: Final = int(Status.FAULT)
    ESTOP: Final = int(Status.ESTOP)
    PATIENT_STOP: Final = int(Status.PATIENT_STOP)
    BRAKE_ENGAGED: Final = int(Status.BRAKE_ENGAGED)
    AT_HOME: Final = int(Status.AT_HOME)
    END_OF_TRAVEL: Final = int(Status.END_OF_TRAVEL)
    RELEASING: Final = int(Status.RELEASING)
    TARED: Final = int(Status.TARED)
    CHANNEL_B_FITTED: Final = int(Status.CHANNEL_B_FITTED)
    PATIENT_SWITCH_CONNECTED: Final = int(Status.PATIENT_SWITCH_CONNECTED)


class ReleaseMode(enum.Enum):
    NONE = 0
    BY_FORCE = 1
    BY_POSITION = 2


@dataclass(slots=True)
class Switches:
    """Inputs wired to the board, moved by the injection interface."""

    estop_open: bool = False
    patient_pressed: bool = False
    patient_connected: bool = True
    drive_fault: bool = False  # injected overcurrent / overtemperature condition
    runaway: bool = False
    samples_frozen: bool = False


@dataclass(slots=True)
class Config:
    """The configuration block: raw register values, and the same in SI for the tick path."""

    values: dict[icd.Register, int] = field(default_factory=lambda: dict(icd.CONFIG_POWER_ON))
    watchdog_s: float = 0.0
    force_trip_n: float = 0.0
    velocity_limit_raw: int = 0
    velocity_limit_m_s: float = 0.0
    release_speed_m_s: float = 0.0
    release_force_n: float = 0.0
    overspeed_m_s: float = 0.0

    def __post_init__(self) -> None:
        self.update({})

    def __getitem__(self, reg: icd.Register) -> int:
        return self.values[reg]

    def update(self, values: dict[icd.Register, int]) -> None:
        v = self.values
        v.update(values)
        self.watchdog_s = v[icd.WATCHDOG_MS] * icd.WATCHDOG_MS.scale
        self.force_trip_n = v[icd.FORCE_TRIP] * icd.FORCE_TRIP.scale
        self.velocity_limit_raw = v[icd.VELOCITY_LIMIT]
        self.velocity_limit_m_s = v[icd.VELOCITY_LIMIT] * icd.VELOCITY_LIMIT.scale
        self.release_speed_m_s = v[icd.RELEASE_SPEED] * icd.RELEASE_SPEED.scale
        self.release_force_n = v[icd.RELEASE_FORCE] * icd.RELEASE_FORCE.scale
        self.overspeed_m_s = icd.OVERSPEED_FACTOR * self.velocity_limit_m_s


class Firmware:
    def __init__(
        self,
        profile: PatientProfile,
        *,
        seed: int = 0,
        channel_b_fitted: bool = True,
        drive: DriveModel | None = None,
        variant: BoardVariant | None = None,
    ) -> None:
        self.variant = variant or VARIANTS["reference"]
        self.batching = True  # False: every tick judged one by one (the reference path)
        self.ticks_batched = self.ticks_single = 0  # how the ticks ran (bench.sim_speed)
        self.rng = random.Random(seed)
        self.physics = TablePhysics(profile, drive)
        self.channel_b_fitted = channel_b_fitted
        self.cell_a = LoadCell(self.rng, offset_n=HARNESS_OFFSET_N + self._spread())
        self.cell_b = LoadCell(
            self.rng,
            offset_n=HARNESS_OFFSET_N + self._spread(),
            gain=1.0 + self.rng.uniform(-CHANNEL_B_GAIN_SPREAD, CHANNEL_B_GAIN_SPREAD),
        )
        self.switches = Switches()
        self.identity = dict(icd.BOARD_IDENTITY_RAW)
        drive_model = self.physics.drive
        self.overcurrent_tension_n = (
            OVERCURRENT_A - drive_model.idle_current_a
        ) / drive_model.current_per_newton_a
        self.travel_max_m = self.identity[icd.HW_TRAVEL_MAX] * icd.HW_TRAVEL_MAX.scale
        self.runaway_m_s = (
            self.identity[icd.HW_VELOCITY_MAX] * icd.HW_VELOCITY_MAX.scale * RUNAWAY_SPEED_FACTOR
        )
        self.power_on()

    def _spread(self) -> float:
        return self.rng.uniform(-OFFSET_SPREAD_N, OFFSET_SPREAD_N)

    def power_on(self) -> None:
        """Power-on state (ICD 5): disabled, brake engaged, not tared, no fault."""
        self.time_s = 0.0
        self.sample_seq = 0
        self.control = 0
        self.cmd_seq = 0
        self.seq_echo = 0  # CMD_SEQ_ECHO: the last CMD_SEQ accepted
        self.velocity_cmd = 0
        self.config = Config()
        self.tared = False
        self.tare_a = 0.0
        self.tare_b = 0.0
        self.raw_a: float | None = self.cell_a.offset_n
        self.raw_b: float | None = self.cell_b.offset_n
        self.fault = FaultCode.NONE
        self.reacted: set[FaultCode] = set()
        self.release = ReleaseMode.NONE
        self.host_release = False  # the running release was asked for by the host
        self.pending_control: int | None = None  # edges_per_tick: the last CONTROL written
        self.enabled = False
        self.inputs_quiet = True
        self.state_epoch = getattr(self, "state_epoch", 0) + 1
        self._status_cache: tuple[int, int] = (-1, 0)
        self.seq_changed_at = 0.0
        # this tick's tared channels (None: an ADC error) and target speed, for the checks
        self.tick_a_n: float | None = 0.0
        self.tick_b_n: float | None = 0.0
        self.tick_v_m_s = 0.0
        self.input_checks: tuple[FaultCheck, ...] = input_checks()
        self.board_checks: tuple[FaultCheck, ...] = board_checks()
        self.version = 0  # bumps on every state change a reader could see

    # --- derived state ------------------------------------------------------------------
    @property
    def force_a_n(self) -> float | None:
        return None if self.raw_a is None else self.raw_a - self.tare_a

    @property
    def force_b_n(self) -> float | None:
        if not self.channel_b_fitted:
            return 0.0
        return None if self.raw_b is None else self.raw_b - self.tare_b

    @property
    def at_home(self) -> bool:
        return self.physics.x <= HOME_SWITCH_M

    @property
    def end_of_travel(self) -> bool:
        return self.physics.x >= self.travel_max_m

    def _enable_conditions(self) -> bool:
        sw = self.switches
        return bool(
            self.control & _ENABLE
            and not self.control & _RELEASE
            and self.tared
            and sw.patient_connected
            and self.fault is FaultCode.NONE
            and not sw.estop_open
            and self.release is ReleaseMode.NONE
        )

    def status(self) -> int:
        """STATUS: the event-driven bits are cached per state epoch, the motion bits are live."""
        epoch, steady = self._status_cache
        if epoch != self.state_epoch:
            steady = self._steady_status()
            self._status_cache = (self.state_epoch, steady)
        phys = self.physics
        s = steady
        if abs(phys.v) * 1e6 > icd.MOVING_THRESHOLD_UM_S:
            s |= _B.MOVING
        if phys.x <= HOME_SWITCH_M:
            s |= _B.AT_HOME
        if phys.x >= self.travel_max_m:
            s |= _B.END_OF_TRAVEL
        return s

    def _steady_status(self) -> int:
        sw = self.switches
        s = 0
        if self.fault is FaultCode.NONE and not sw.estop_open and not sw.drive_fault:
            s |= _B.DRIVE_READY
        if self.enabled:
            s |= _B.DRIVE_ENABLED
        if self.fault is not FaultCode.NONE:
            s |= _B.FAULT
        if sw.estop_open:
            s |= _B.ESTOP
        if sw.patient_pressed:
            s |= _B.PATIENT_STOP
        if self.brake_engaged:
            s |= _B.BRAKE_ENGAGED
        if self.release is not ReleaseMode.NONE:
            s |= _B.RELEASING
        if self.tared:
            s |= _B.TARED
        if self.channel_b_fitted:
            s |= _B.CHANNEL_B_FITTED
        if sw.patient_connected:
            s |= _B.PATIENT_SWITCH_CONNECTED
        return s

    @property
    def motion_allowed(self) -> bool:
        """E-stop cuts drive power in hardware; a drive fault disables the drive."""
        sw = self.switches
        return not (sw.estop_open or sw.drive_fault or FaultCode.DRIVE in self.reacted)

    @property
    def brake_engaged(self) -> bool:
        moving_by_board = self.enabled or self.release is not ReleaseMode.NONE
        return not (moving_by_board and self.motion_allowed)

    # --- register side effects (called by sim.registers after validation) ----------------
    def write_control(self, value: int) -> None:
        if self.variant.edges_per_tick:
            self.pending_control = value  # judged at the next tick: only the last write counts
            self.version += 1
            return
        self._apply_control(value)

    def _apply_control(self, value: int) -> None:
        if value == self.control:
            return  # no edge and no new level: nothing to re-evaluate
        rising = value & ~self.control
        self.control = value
        if rising & _ENABLE and not self.variant.watchdog_from_seq:
            self.seq_changed_at = self.time_s
        if rising & _FAULT_RESET:
            self._try_reset()
        if rising & _TARE and not self.enabled and self.fault is FaultCode.NONE:
            self._tare()
        # not while the e-stop or a drive fault holds the carriage: RELEASING would claim a
        # motion the board cannot make, and would run by itself once the cause cleared
        if (
            rising & _RELEASE
            and self.release is ReleaseMode.NONE
            and (self.motion_allowed or self.variant.release_while_held)
            and not (self.variant.instant_release and self._below_release_force())
        ):
            self._start_release(ReleaseMode.BY_FORCE)
            self.host_release = True
        self.refresh_enable()
        self.version += 1

    def write_command(self, control: int, seq: int, velocity: int) -> None:
        """The whole command block at once (the every-cycle write)."""
        if seq != self.cmd_seq:
            self.seq_changed_at = self.time_s
        self.cmd_seq = seq
        if control & _ENABLE or not self.variant.echo_while_enabled:
            self.seq_echo = seq
        self.velocity_cmd = velocity
        if control != self.control or self.variant.edges_per_tick:
            self.write_control(control)
        self.version += 1

    def write_cmd_seq(self, value: int) -> None:
        if value != self.cmd_seq:
            self.seq_changed_at = self.time_s
        self.cmd_seq = value
        if self.control & _ENABLE or not self.variant.echo_while_enabled:
            self.seq_echo = value
        self.version += 1

    def write_velocity(self, value: int) -> None:
        self.velocity_cmd = value
        self.version += 1

    def write_config(self, values: dict[icd.Register, int]) -> None:
        self.config.update(values)
        self.version += 1

    def _tare(self) -> None:
        if self.raw_a is None or (self.channel_b_fitted and self.raw_b is None):
            return  # an ADC error cannot be a zero point
        self.tare_a = self.raw_a
        self.tare_b = self.raw_b if self.raw_b is not None else 0.0
        self.tared = True

    def causes_present(self) -> list[str]:
        """Why a reset would be refused now (empty: every cause is gone): a release still
        running, and every check whose condition still stands."""
        causes = ["release running"] if self.release is not ReleaseMode.NONE else []
        for check in (*self.input_checks, *self.board_checks):
            cause = check.cause(self)
            if cause is not None:
                causes.append(cause)
        return causes

    def _try_reset(self) -> None:
        if self.fault is FaultCode.NONE or self.causes_present():
            return
        self.fault = FaultCode.NONE
        self.reacted.clear()
        self.seq_changed_at = self.time_s
        self._restart_checks()

    def _restart_checks(self) -> None:
        for check in self.board_checks:
            check.restart()

    # --- faults -----------------------------------------------------------------------
    def latch(self, code: FaultCode) -> None:
        """Latch a fault (first one kept) and start its reaction, once per latch period."""
        if code in self.reacted:
            return
        self.reacted.add(code)
        if self.fault is FaultCode.NONE:
            self.fault = code
        if code is FaultCode.SENSOR:
            self._start_release(ReleaseMode.BY_POSITION)
        elif code not in (FaultCode.ESTOP, FaultCode.DRIVE):
            self._start_release(ReleaseMode.BY_FORCE)
        self.refresh_enable()
        self.version += 1

    def _start_release(self, mode: ReleaseMode) -> None:
        if mode is ReleaseMode.BY_POSITION or self.release is ReleaseMode.NONE:
            self.release = mode
        self.host_release = False  # a fault's release runs to its end on every variant
        self.refresh_enable()

    def _below_release_force(self) -> bool:
        limit = self.config.release_force_n
        a, b = self.force_a_n, self.force_b_n
        return a is not None and b is not None and a < limit and b < limit

    def refresh_enable(self) -> None:
        """Re-evaluate ICD 5; every event that changes the board's state ends here."""
        self.enabled = self._enable_conditions()
        self.state_epoch += 1
        sw = self.switches
        self.inputs_quiet = not (
            sw.estop_open or sw.patient_pressed or not sw.patient_connected or sw.drive_fault
        )

    # --- one firmware tick ----------------------------------------------------------------
    def tick(self) -> None:
        """One load-cell sample period: drive, physics, sampling, checks, release."""
        self.run(1)

    def run(self, ticks: int) -> None:
        """`ticks` sample periods: in batches where no check can trip (`batching`), else one
        by one. Either way the same trips, latches, samples and forces (tests/sim)."""
        if not self.batching:
            self._ticks(ticks)
            return
        while ticks > 0:
            n = BATCH_MAX_TICKS if ticks > BATCH_MAX_TICKS else ticks
            if n < 2 or not self._batch(n):
                self._ticks(n)
            ticks -= n

    def _batch(self, n: int) -> bool:
        """`n` ticks at once when nothing can happen in them that a tick would judge: no
        event pending, every input quiet, no release, healthy load cells, the watchdog not
        due; the physics then runs `n` steps in one call and the checks are judged on the
        bounds it saw (largest force with the noise's bound, speeds, travel). If a bound is
        too close to a limit, the steps are undone and False returned: tick by tick, then."""
        sw, cfg, phys = self.switches, self.config, self.physics
        fitted = self.channel_b_fitted
        if (
            self.pending_control is not None
            or not self.inputs_quiet
            or self.release is not ReleaseMode.NONE
            or self.fault is not FaultCode.NONE
            or sw.samples_frozen
            or not self.cell_a.healthy
            or (fitted and not self.cell_b.healthy)
        ):
            return False
        dt = TICK_S
        t = self.time_s
        for _ in range(n):  # as the ticks add it up, float for float
            t += dt
        enabled = self.enabled
        if self.control & _ENABLE and t - self.seq_changed_at > cfg.watchdog_s:
            return False
        if enabled:
            vlim = cfg.velocity_limit_raw
            raw = self.velocity_cmd
            raw = vlim if raw > vlim else (-vlim if raw < -vlim else raw)
            v_target = self.runaway_m_s if sw.runaway else raw * _VELOCITY_SCALE
        else:
            v_target = 0.0
        powered = not (sw.estop_open or sw.drive_fault or _DRIVE in self.reacted)
        before = phys.state()
        t_max, s_min, s_max, x_max = phys.advance(
            n, dt, v_target, not (enabled and powered), before
        )
        if not self._batch_quiet(t_max, s_min, s_max, x_max, v_target):
            phys.restore(before)
            return False
        self.time_s = t
        self.sample_seq = (self.sample_seq + n) & 0xFFFF
        tension = phys.tension_n
        self.cell_a.skip(n - 1)
        self.raw_a = self.cell_a.sample(tension, dt)
        if fitted:
            self.cell_b.skip(n - 1)
            self.raw_b = self.cell_b.sample(tension, dt)
        else:
            self.raw_b = 0.0
        self._restart_checks()  # no check's time could have started in a quiet batch
        self.version += 1
        self.ticks_batched += n
        return True

    def _batch_quiet(
        self, t_max: float, s_min: float, s_max: float, x_max: float, v_target: float
    ) -> bool:
        """No check could have tripped, or started a timer, in the batch just stepped."""
        cfg, phys, trip = self.config, self.physics, self.config.force_trip_n
        a, b = self.cell_a, self.cell_b
        cells = (
            ((a, self.tare_a), (b, self.tare_b)) if self.channel_b_fitted else ((a, self.tare_a),)
        )
        for cell, tare in cells:
            err = cell.error_bound_n()
            high = cell.offset_n + cell.gain * t_max + err
            if (
                high - tare > trip
                or high >= cell.full_scale_n
                or cell.offset_n - err <= -cell.full_scale_n
            ):
                return False
        if self.channel_b_fitted:
            spread = abs((a.offset_n - self.tare_a) - (b.offset_n - self.tare_b))
            spread += abs(a.gain - b.gain) * t_max + a.error_bound_n() + b.error_bound_n()
            if spread > DISAGREE_MIN_N:
                return False
        stall_possible = self.enabled and (
            v_target >= STALL_MIN_COMMAND_M_S or -v_target >= STALL_MIN_COMMAND_M_S
        )
        return not (
            x_max >= self.travel_max_m
            or phys.temp_c >= OVERTEMP_C
            or t_max >= self.overcurrent_tension_n
            or (stall_possible and s_min <= STALL_MAX_SPEED_M_S)
            or s_max > cfg.overspeed_m_s
        )

    def _ticks(self, ticks: int) -> None:
        """`ticks` sample periods one by one; the hot loop, with every lookup hoisted."""
        self.ticks_single += ticks
        dt = TICK_S
        phys, cfg, sw = self.physics, self.config, self.switches
        step, sample_a, sample_b = phys.step, self.cell_a.sample, self.cell_b.sample
        check, fitted, none = self._check_faults, self.channel_b_fitted, ReleaseMode.NONE
        for _ in range(ticks):
            if self.pending_control is not None:
                value, self.pending_control = self.pending_control, None
                self._apply_control(value)
            self.time_s += dt
            releasing = self.release is not none
            enabled = self.enabled
            if releasing:
                v_target = -cfg.release_speed_m_s
            elif enabled:
                vlim = cfg.velocity_limit_raw
                raw = self.velocity_cmd
                raw = vlim if raw > vlim else (-vlim if raw < -vlim else raw)
                v_target = self.runaway_m_s if sw.runaway else raw * _VELOCITY_SCALE
            else:
                v_target = 0.0
            powered = not (sw.estop_open or sw.drive_fault or _DRIVE in self.reacted)
            step(dt, v_target, not ((enabled or releasing) and powered))
            if not sw.samples_frozen:
                self.sample_seq = (self.sample_seq + 1) & 0xFFFF
                tension = phys.tension_n
                self.raw_a = sample_a(tension, dt)
                self.raw_b = sample_b(tension, dt) if fitted else 0.0
            check(cfg, v_target)
            if self.release is not none:
                self._advance_release()
        self.version += 1

    def _check_faults(self, cfg: Config, v_target: float) -> None:
        """Every check on this tick's sample (sim/fault_checks.py), the switch inputs only
        while one of them is not quiet."""
        t = self.time_s
        ra, rb = self.raw_a, self.raw_b
        a = None if ra is None else ra - self.tare_a
        b = 0.0 if not self.channel_b_fitted else (None if rb is None else rb - self.tare_b)
        self.tick_a_n, self.tick_b_n, self.tick_v_m_s = a, b, v_target
        if not self.inputs_quiet:
            for check in self.input_checks:
                check.check(self, t)
        for check in self.board_checks:
            check.check(self, t)

    def _advance_release(self) -> None:
        if self.release is ReleaseMode.NONE:
            return
        done = self.at_home
        if self.host_release and self.variant.release_level and not self.control & _RELEASE:
            done = True  # RELEASE read as a level: the host's release ends when the bit falls
        if self.release is ReleaseMode.BY_FORCE and not done and not self.end_of_travel:
            limit = self.config.release_force_n
            a, b = self.force_a_n, self.force_b_n
            done = a is not None and b is not None and a < limit and b < limit
        if done:
            self.release = ReleaseMode.NONE
            self.host_release = False
            self.refresh_enable()


_VELOCITY_SCALE = icd.VELOCITY_CMD.scale
_DRIVE = FaultCode.DRIVE
