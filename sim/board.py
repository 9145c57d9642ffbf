"""The simulated board: firmware + register map + link behaviour, advanced in time by a driver.

The board never reads a clock. A driver (real time in `sim.realtime`, virtual time in
`sim.virtual`) advances it to a given elapsed time, one firmware tick at a time, so the same
board is exact and reproducible in both: a test that passes in virtual time exercises the
same rules that `traction sim` serves over TCP and RTU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware_bridge import icd
from firmware_bridge.icd import DeviceIdObject
from sim import modbus_pdu
from sim.emg_signal import EmgStream
from sim.firmware import TICK_S, Firmware
from sim.muscles import STEP_S as MUSCLE_STEP_S
from sim.muscles import MuscleProfile, Muscles, load_muscles
from sim.physics import DriveModel
from sim.profiles import DEFAULT_PROFILE, PatientProfile, load_profile
from sim.registers import RegisterMap
from sim.variants import VARIANTS, BoardVariant

VENDOR_NAME = "Traction Table Simulator"
_TICK_ROUNDING = 1e-6  # a deadline a hair before a tick's time still includes that tick


@dataclass(slots=True)
class LinkFaults:
    """Frame-level faults: how the next replies will (not) reach the host."""

    drop: int = 0
    delay_s: float = 0.0
    delay_count: int = 0
    corrupt: int = 0

    def clear(self) -> None:
        self.drop = self.delay_count = self.corrupt = 0
        self.delay_s = 0.0


@dataclass(frozen=True, slots=True)
class ReplyFate:
    drop: bool
    delay_s: float
    corrupt: bool


_CLEAN = ReplyFate(drop=False, delay_s=0.0, corrupt=False)


@dataclass(slots=True)
class Disturbance:
    """Patient movement: a half-sine force on the table section."""

    start_s: float
    duration_s: float
    force_n: float

    def at(self, t: float) -> float | None:
        u = (t - self.start_s) / self.duration_s
        if u >= 1.0:
            return None
        return self.force_n * math.sin(math.pi * max(u, 0.0))


class SimBoard:
    def __init__(
        self,
        profile: PatientProfile | str = DEFAULT_PROFILE,
        *,
        seed: int = 0,
        unit: int = icd.DEFAULT_UNIT_ID,
        channel_b_fitted: bool = True,
        drive: DriveModel | None = None,
        variant: BoardVariant | None = None,
    ) -> None:
        if isinstance(profile, str):
            profile = load_profile(profile)
        self.seed = seed
        self.unit = unit
        self.variant = variant or VARIANTS["reference"]
        self.replies = 0  # replies sent (the late-replies variant counts them)
        self.firmware = Firmware(
            profile, seed=seed, channel_b_fitted=channel_b_fitted, drive=drive, variant=self.variant
        )
        self.registers = RegisterMap(self.firmware)
        self.link = LinkFaults()
        self.disturbances: list[Disturbance] = []
        self.ticks = 0  # firmware ticks since the simulation started (not the board's uptime)
        self.muscles: Muscles | None = None  # the patient's muscles, once attached
        self.emg: EmgStream | None = None  # and the amplifier streaming them
        self._muscle_ticks = max(1, round(MUSCLE_STEP_S / TICK_S))
        self.device_id = {
            int(DeviceIdObject.VENDOR_NAME): VENDOR_NAME.encode(),
            int(DeviceIdObject.PRODUCT_CODE): icd.PRODUCT_CODE.encode(),
            int(DeviceIdObject.MAJOR_MINOR_REVISION): icd.REVISION.encode(),
        }

    @property
    def profile(self) -> PatientProfile:
        return self.firmware.physics.profile

    def attach_muscles(
        self, muscles: MuscleProfile | str, *, seed: int = 0, mains_hz: float = 50.0
    ) -> Muscles:
        """Give the patient muscles (and electrodes streaming them): they then answer the pull,
        stiffen the spine while guarding, and stream raw EMG (sim/emg_signal.py)."""
        if isinstance(muscles, str):
            muscles = load_muscles(muscles)
        self.muscles = Muscles(muscles, self.profile.weight_kg)
        self.emg = EmgStream(self.muscles, seed=seed, mains_hz=mains_hz)
        return self.muscles

    # --- time ---------------------------------------------------------------------------------
    @property
    def elapsed_s(self) -> float:
        return self.ticks * TICK_S

    def advance_to(self, elapsed_s: float) -> int:
        """Run every firmware tick due up to elapsed_s; returns how many ran."""
        n = int(elapsed_s / TICK_S + _TICK_ROUNDING) - self.ticks
        if n <= 0:
            return 0
        if self.muscles is None:
            self._run_ticks(n)
            return n
        step = self._muscle_ticks
        left = n
        while left > 0:
            run = min(left, step - self.ticks % step)
            self._run_ticks(run)
            left -= run
            if self.ticks % step == 0:
                self._step_muscles(step * TICK_S)
        return n

    def _step_muscles(self, dt: float) -> None:
        muscles, physics = self.muscles, self.firmware.physics
        assert muscles is not None
        muscles.step(dt, physics.tension_n)
        factor = muscles.stiffness_factor
        if abs(factor - physics.muscle_tone) > 0.005 * physics.muscle_tone:
            physics.set_muscle_tone(factor)
        if self.emg is not None:
            self.emg.produce_until(self.elapsed_s)

    def _run_ticks(self, n: int) -> None:
        if self.disturbances:
            for _ in range(n):
                self._apply_disturbances()
                self.firmware.run(1)
                self.ticks += 1
        else:
            self.firmware.run(n)
            self.ticks += n

    def _apply_disturbances(self) -> None:
        total = 0.0
        alive = []
        for d in self.disturbances:
            f = d.at(self.elapsed_s)
            if f is not None:
                total += f
                alive.append(d)
        self.disturbances = alive
        self.firmware.physics.disturbance_n = total

    # --- Modbus ---------------------------------------------------------------------------------
    def serve(self, unit: int, pdu: bytes) -> bytes | None:
        """A request PDU for a unit id -> the response PDU, or None for no answer at all."""
        if unit != self.unit:
            return None
        return modbus_pdu.handle(self.registers, pdu, self.device_id)

    def reply_fate(self, *, has_crc: bool = False) -> ReplyFate:
        """What happens to the reply about to be sent (consumes one count of each fault).

        A corrupted CRC only exists on RTU frames; elsewhere that fault is left pending. The
        board variant's own timing (sim/variants.py) comes on top of the injected faults.
        """
        lk, var = self.link, self.variant
        self.replies += 1
        timing = var.reply_latency_s
        if var.late_reply_every and self.replies % var.late_reply_every == 0:
            timing = var.late_reply_s
        if not (lk.drop or lk.delay_count or lk.corrupt):
            return ReplyFate(False, timing, False) if timing else _CLEAN
        drop = lk.drop > 0
        if drop:
            lk.drop -= 1
        delay = 0.0
        if lk.delay_count > 0:
            delay = lk.delay_s
            lk.delay_count -= 1
        corrupt = has_crc and lk.corrupt > 0
        if corrupt:
            lk.corrupt -= 1
        return ReplyFate(drop, max(delay, timing), corrupt)

    def snapshot(self) -> dict[str, object]:
        """A readable summary for the control interface and for people."""
        fw = self.firmware
        return {
            "elapsed_s": round(self.elapsed_s, 4),
            "uptime_s": round(fw.time_s, 4),
            "profile": self.profile.name,
            "variant": self.variant.name,
            "stiffness_scale": self.profile.stiffness_scale,
            "position_mm": round(fw.physics.x * 1e3, 3),
            "velocity_mm_s": round(fw.physics.v * 1e3, 3),
            "tension_n": round(fw.physics.tension_n, 2),
            "force_a_n": None if fw.force_a_n is None else round(fw.force_a_n, 2),
            "force_b_n": None if fw.force_b_n is None else round(fw.force_b_n, 2),
            "fault": fw.fault.name,
            "status": icd.Status(fw.status()).name or "NONE",
            "enabled": fw.enabled,
            "releasing": fw.release.name,
            "tared": fw.tared,
            "causes_present": fw.causes_present(),
        }
