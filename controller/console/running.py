"""What a technician may ask of the running treatment from a page: pause, resume, stop, a
force step, new times. Checked here for the confirmation the page shows; the session checks
each again in its next control cycle, against the treatment as it is then."""

from __future__ import annotations

from typing import Any

from controller.console.activity import Activity
from controller.console.forms import FormError, profile_points
from controller.console.live import Live
from controller.console.refused import Refused, operator_name
from controller.core.session_states import State
from controller.protocols.checks import ProtocolError
from controller.protocols.retime import Timing, current_times, retime
from controller.run.session import Action, TreatmentSession

FORCE_STEP_N = 10.0  # one press of force up / down in N, as the `run` keys
STEP_TOLERANCE_N = 1e-6  # the page sends the site's step times its newtons: the same double
PAGE_ACTIONS = frozenset({Action.PAUSE, Action.RESUME, Action.STOP, Action.FORCE})


def _running(session: TreatmentSession | None, activity: Activity) -> TreatmentSession:
    if session is None or activity is not Activity.TREATING:
        raise Refused(f"no treatment running ({activity})")
    return session


def act(
    session: TreatmentSession | None,
    activity: Activity,
    latest: Live | None,
    action: str,
    operator: str,
    *,
    delta_n: float = 0.0,
    step_n: float = FORCE_STEP_N,
) -> None:
    """Pause, resume, stop or a force step (`step_n`: the site's unit's, at most 10 N), for
    the session's next control cycle. STOP while
    already stopping asks for the board's release at once (no ramp), as a second Ctrl-C does
    for `traction run`."""
    by = f"operator {operator_name(operator)}"
    if action not in PAGE_ACTIONS:
        raise Refused(f"unknown action {action!r}")
    running = _running(session, activity)
    if action == Action.FORCE:
        if abs(abs(delta_n) - step_n) > STEP_TOLERANCE_N:
            raise Refused(f"a force change is one step of {step_n:.1f} N up or down")
        running.ask(Action.FORCE, by, delta_n)
        return
    if action == Action.STOP and latest is not None and latest.state == State.STOPPING:
        running.ask(Action.STOP_NOW, by)
        return
    running.ask(action, by)


def _timing(values: dict[str, Any], allowed: dict[str, float]) -> Timing:
    """The form's numbers (blank: unchanged); a field this protocol has not is refused."""
    problems: dict[str, str] = {}
    given: dict[str, float] = {}
    for key, raw in values.items():
        if raw in (None, ""):
            continue
        if key not in allowed:
            problems[key] = "not a time of this protocol now"
            continue
        try:
            given[key] = float(raw)
        except (TypeError, ValueError):
            problems[key] = f"{raw!r} is not a number of seconds"
    if problems or not given:
        raise FormError(problems or {"": "give a hold, rest or total time"})
    return Timing(**given)


def times(
    session: TreatmentSession | None,
    activity: Activity,
    operator: str,
    values: dict[str, Any],
    apply: bool,
) -> dict[str, Any]:
    """Hold, rest and total time of the running treatment: with no values, what they are
    now; with values, what the session becomes (checked here, so that the confirmation shows
    it) and, once confirmed (`apply`), the change for the next control cycle."""
    by = f"operator {operator_name(operator)}"
    running = _running(session, activity)
    treatment = running.treatment
    if treatment is None:
        raise Refused(f"no treatment running ({activity})")
    if treatment.states.current not in (State.RUNNING, State.PAUSED):
        raise Refused(f"times can be changed while running or paused, not {treatment.states.state}")
    checked, timer = treatment.checked, treatment.timer_s  # a copy: the loop moves on
    now = current_times(checked, timer)
    if not values:
        return {"times": now, "total_s": round(checked.profile.total_s, 1)}
    timing = _timing(values, now)
    try:
        preview = retime(checked, timer, timing)
    except ProtocolError as exc:
        raise FormError(exc.fields) from exc
    if apply:
        running.ask(Action.TIMING, by, timing=timing)
    return {
        "applied": apply,
        "change": timing.describe(),
        "total_s_before": round(checked.profile.total_s, 1),
        "total_s": round(preview.checked.profile.total_s, 1),
        "points": profile_points(preview.checked),
    }
