"""The physics of `n` ticks in one call: the inner loop of the firmware's batch path.

Why a module of its own, with plain floats only: it is the one loop where the simulator
spends most of its time, and `make` compiles it with mypyc (C doubles, the same IEEE
arithmetic in the same order), which the import then prefers. This source stays the
reference: without a compiler the same code runs as Python, and a test
(tests/sim/test_kernel.py) checks that the compiled module gives bit-for-bit what this
source gives, on the same inputs. The arithmetic is `TablePhysics.step`'s, float for float
(tests/sim/test_batch_equivalence.py holds the batches to the ticks).
"""

# Comparisons, not max()/min(): a call each in Python, and a generic call in mypyc; plain
# positional parameters: the one call per batch packs its state in tuples already.
# ruff: noqa: PLR1730, PLR0917

from __future__ import annotations

INF = float("inf")


def advance(
    n: int,
    dt: float,
    v_target: float,
    held: bool,
    detached: bool,
    state: tuple[float, float, float, float, float, float, float, float],
    mechanics: tuple[float, float, float, float, float, float, float, float, float, float],
    section: tuple[float, float, float, float],
    thermal_model: tuple[float, float, float, float, float, float],
) -> tuple[float, float, float, float, float, float, float, float, float, float, float, float]:
    """`held`: the brake or a blockage holds the carriage; `detached`: the harness is off.
    `state`: v, x, y, c, vy, tension, temperature, thermal accumulator.
    `mechanics`: 1/tau, accel max, force capacity, hard stop, k1, k2, ks, kc, 1/eta, slack.
    `section`: Coulomb friction, viscous friction, disturbance, reference weight.
    `thermal_model`: idle current, current per newton, ambient, heating per A^2, thermal tau,
    thermal step.
    Returns the new state (8 values), then the largest tension, the smallest and largest
    speed and the largest position seen after any step."""
    v, x, y, c, vy, tension_out, temp, thermal = state
    inv_tau, accel, capacity, hard_stop, k1, k2, ks, kc, inv_eta, slack = mechanics
    fc, b, disturbance, reference = section
    idle_a, a_per_n, ambient, heating, thermal_tau, thermal_step = thermal_model
    lim = accel * dt
    t_max = -1.0
    s_min = INF
    s_max = 0.0
    x_max = x
    for _ in range(n):
        if held:
            v = 0.0
        else:
            dv = (v_target - v) * dt * inv_tau
            v += lim if dv > lim else (-lim if dv < -lim else dv)
            if v > 0.0 and tension_out >= capacity:
                v = 0.0
        x = x + v * dt
        if x <= 0.0:
            x = 0.0
            v = v if v > 0.0 else 0.0
        elif x >= hard_stop:
            x = hard_stop
            v = v if v < 0.0 else 0.0
        d = x - y - slack
        if d > 0.0 and not detached:
            tension = d * (k1 + k2 * d)
            k_cable = k1 + 2.0 * k2 * d
        else:
            tension = 0.0
            k_cable = 0.0
        spine = ks * (y - c)
        net = tension - spine - disturbance
        excess = (net if net >= 0.0 else -net) - fc
        if excess > 0.0:
            dy = (excess if net > 0.0 else -excess) * dt / (b + dt * (k_cable + ks))
            y = y + dy
            tension -= k_cable * dy
            spine += ks * dy
            vy = dy / dt
        else:
            vy = 0.0
        c = c + dt * (spine - kc * c) * inv_eta
        tension_out = (tension if tension > 0.0 else 0.0) + reference
        thermal += dt
        if thermal >= thermal_step:
            current = idle_a + a_per_n * tension_out
            heat_target = ambient + heating * current * current
            temp += (heat_target - temp) * thermal / thermal_tau
            thermal = 0.0
        speed = v if v >= 0.0 else -v
        if tension_out > t_max:
            t_max = tension_out
        if speed < s_min:
            s_min = speed
        if speed > s_max:
            s_max = speed
        if x > x_max:
            x_max = x
    return (v, x, y, c, vy, tension_out, temp, thermal, t_max, s_min, s_max, x_max)
