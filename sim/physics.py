"""The mechanics of the table and the patient, stepped on a fixed tick.

Chain: carriage (x) -> cable + harness (slack, then a stiffening spring) -> table section (y,
Coulomb + viscous friction) -> spine (spring k_s in series with a Kelvin-Voigt creep element
c) -> anchored upper body. The load cell sits in the cable, so it reads the cable tension:
at constant carriage position the creep element relaxes it, and the section's friction makes
pull and release follow different curves (hysteresis).

The section is massless, so its motion is a first-order friction law; it is integrated with
a linearised backward-Euler step, which cannot overshoot the stick band whatever the
stiffness/friction ratio (a plain explicit step goes unstable on a low-friction split table).
Plain floats and __slots__ keep a tick to a few microseconds: `sim://` must run a 20-minute
session in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim import kernel
from sim.profiles import PatientProfile

THERMAL_STEP_S = 0.1


# v, x, y, c, vy, tension, temperature, thermal accumulator: what a batch changes
PhysicsState = tuple[float, float, float, float, float, float, float, float]


@dataclass(frozen=True, slots=True)
class DriveModel:
    """Motor + velocity loop of the carriage drive."""

    velocity_tau_s: float = 0.02
    accel_max_m_s2: float = 0.5
    force_capacity_n: float = 1500.0
    current_per_newton_a: float = 0.005
    idle_current_a: float = 0.15
    hard_stop_m: float = 0.305  # mechanical stop, beyond the end-of-travel switch
    ambient_c: float = 25.0
    thermal_tau_s: float = 600.0
    heating_c_per_a2: float = 2.0


class TablePhysics:
    __slots__ = (
        "_accel",
        "_b",
        "_capacity",
        "_fc",
        "_hard_stop",
        "_inv_eta",
        "_inv_tau",
        "_k1",
        "_k2",
        "_kc",
        "_ks",
        "_mechanics",
        "_slack",
        "_thermal_dt",
        "_thermal_model",
        "_tone",
        "blocked",
        "c",
        "detached",
        "disturbance_n",
        "drive",
        "profile",
        "reference_n",
        "temp_c",
        "tension_n",
        "v",
        "vy",
        "x",
        "y",
    )

    def __init__(self, profile: PatientProfile, drive: DriveModel | None = None) -> None:
        self.drive = drive or DriveModel()
        self.x = 0.0  # carriage position from home, m
        self.v = 0.0  # carriage velocity, m/s
        self.y = 0.0  # table section displacement, m
        self.vy = 0.0
        self.c = 0.0  # creep displacement inside the spine element, m
        self.tension_n = 0.0
        self.disturbance_n = 0.0  # patient movement: force on the section toward the head
        self.blocked = False  # mechanical blockage of the carriage (stall injection)
        self.detached = False  # harness slipped off: the cable carries nothing
        self.reference_n = 0.0  # a reference weight hung on the load cell (calibration)
        self.temp_c = self.drive.ambient_c
        self._thermal_dt = 0.0
        self._tone = 1.0  # the muscles' guarding stiffens the spine (sim/muscles.py)
        drv = self.drive
        self._inv_tau = 1.0 / drv.velocity_tau_s
        self._accel = drv.accel_max_m_s2
        self._capacity = drv.force_capacity_n
        self._hard_stop = drv.hard_stop_m
        self._thermal_model = (
            drv.idle_current_a,
            drv.current_per_newton_a,
            drv.ambient_c,
            drv.heating_c_per_a2,
            drv.thermal_tau_s,
            THERMAL_STEP_S,
        )
        self.set_profile(profile)

    def set_profile(self, profile: PatientProfile) -> None:
        s = profile.stiffness_scale
        self.profile = profile
        self._slack = profile.slack_m
        self._k1 = profile.cable_k1_n_m * s
        self._k2 = profile.cable_k2_n_m2 * s
        self._ks = profile.spine_k_n_m * s * self._tone
        self._kc = profile.creep_k_n_m * s
        self._inv_eta = 1.0 / (self._kc * profile.creep_tau_s)
        self._fc = profile.friction_coulomb_n
        self._b = profile.friction_viscous_n_s_m
        self._mechanics = (
            self._inv_tau,
            self._accel,
            self._capacity,
            self._hard_stop,
            self._k1,
            self._k2,
            self._ks,
            self._kc,
            self._inv_eta,
            self._slack,
        )

    def set_muscle_tone(self, factor: float) -> None:
        """The spine's stiffness times `factor` (1: relaxed muscles; guarding raises it).

        Muscles that tense stiffen the back against further pull; they do not yank the
        harness: the spine's force is kept across the change (its rest point moves), so
        the tension is continuous and only the response to the next pull is stiffer."""
        before = self._ks
        self._tone = factor
        self.set_profile(self.profile)
        if before > 0.0 and self._ks != before:
            self.c = self.y - (self.y - self.c) * before / self._ks

    @property
    def muscle_tone(self) -> float:
        return self._tone

    def step(self, dt: float, v_target: float, brake: bool) -> None:
        """Advance by dt with the drive following v_target, or held by the brake."""
        v = self.v
        if brake or self.blocked:
            v = 0.0
        else:
            dv = (v_target - v) * dt * self._inv_tau
            lim = self._accel * dt
            v += lim if dv > lim else (-lim if dv < -lim else dv)
            if v > 0.0 and self.tension_n >= self._capacity:
                v = 0.0
        x = self.x + v * dt
        if x <= 0.0:
            x, v = 0.0, (v if v > 0.0 else 0.0)
        elif x >= self._hard_stop:
            x, v = self._hard_stop, (v if v < 0.0 else 0.0)
        self.x = x
        self.v = v

        # Section: massless, friction-limited; linearised backward Euler.
        y, c, k1, k2, ks = self.y, self.c, self._k1, self._k2, self._ks
        d = x - y - self._slack
        if d > 0.0 and not self.detached:
            tension = d * (k1 + k2 * d)
            k_cable = k1 + 2.0 * k2 * d
        else:
            tension = k_cable = 0.0
        spine = ks * (y - c)
        net = tension - spine - self.disturbance_n
        excess = (net if net >= 0.0 else -net) - self._fc
        if excess > 0.0:
            dy = (excess if net > 0.0 else -excess) * dt / (self._b + dt * (k_cable + ks))
            self.y = y + dy
            tension -= k_cable * dy
            spine += ks * dy
            self.vy = dy / dt
        else:
            self.vy = 0.0
        self.c = c + dt * (spine - self._kc * c) * self._inv_eta
        self.tension_n = (tension if tension > 0.0 else 0.0) + self.reference_n

        self._thermal_dt += dt
        if self._thermal_dt >= THERMAL_STEP_S:  # minutes-long time constant: 10 Hz is plenty
            drv = self.drive
            current = drv.idle_current_a + drv.current_per_newton_a * self.tension_n
            heat_target = drv.ambient_c + drv.heating_c_per_a2 * current * current
            self.temp_c += (heat_target - self.temp_c) * self._thermal_dt / drv.thermal_tau_s
            self._thermal_dt = 0.0

    def advance(
        self, n: int, dt: float, v_target: float, brake: bool, state: PhysicsState
    ) -> tuple[float, float, float, float]:
        """`n` steps as `step` takes them, float for float, in one call of sim.kernel (the
        firmware's batch path, sim/firmware.py; compiled where `make` could); returns the
        largest tension, the smallest and largest speed, and the largest position seen after
        any step. `state` is `self.state()`, which the caller keeps to undo the batch."""
        out = kernel.advance(
            n,
            dt,
            v_target,
            brake or self.blocked,
            self.detached,
            state,
            self._mechanics,
            (self._fc, self._b, self.disturbance_n, self.reference_n),
            self._thermal_model,
        )
        (self.v, self.x, self.y, self.c, self.vy, self.tension_n, self.temp_c, self._thermal_dt) = (
            out[:8]
        )
        return out[8], out[9], out[10], out[11]

    def state(self) -> PhysicsState:
        """What `advance` changes, to put back when a batch must be run tick by tick after all."""
        return (
            self.v,
            self.x,
            self.y,
            self.c,
            self.vy,
            self.tension_n,
            self.temp_c,
            self._thermal_dt,
        )

    def restore(self, state: PhysicsState) -> None:
        (self.v, self.x, self.y, self.c, self.vy, self.tension_n, self.temp_c, self._thermal_dt) = (
            state
        )

    @property
    def motor_current_a(self) -> float:
        return self.drive.idle_current_a + self.drive.current_per_newton_a * self.tension_n
