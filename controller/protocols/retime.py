"""Hold, rest and total time changed while a treatment runs: the rest of the profile rebuilt.

Commercial tables let the clinician lengthen or shorten the hold, the rest and the session as
it runs, within the ranges allowed at the start. What has been delivered stays as it was: the
segments already run keep their times; from the current one on, the current step is rebuilt
with the new times (a new total counts what the step has already spent, under whatever times
it was spent), then the later steps and the release. The clock keeps its place in the current
segment, which keeps its index (a hold that has waited for its force goes on counting) and
takes the new length (a hold already longer than the new hold time ends now). Forces never
change here: a time edit cannot raise the force. Pure.

What "hold", "rest" and "total" mean per kind is `TIMING_FIELDS`; a program's times are its
current step's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from pydantic import ValidationError

from controller.protocols.checks import CheckedProtocol, ProtocolError
from controller.protocols.models import (
    MAX_SESSION_S,
    Cyclic,
    Intermittent,
    Program,
    Static,
)
from controller.protocols.profile import (
    ProfileBuilder,
    Segment,
    SetpointProfile,
    Step,
    add_steps,
)

TIMING_FIELDS: dict[str, dict[str, str]] = {  # the technician's name -> the protocol's field
    "static": {"hold_s": "duration_s", "total_s": "duration_s"},
    "intermittent": {"hold_s": "hold_s", "rest_s": "rest_s", "total_s": "total_s"},
    "progressive": {"hold_s": "step_s"},
    "regressive": {"hold_s": "step_s"},
    "cyclic": {"hold_s": "peak_s", "rest_s": "base_s", "total_s": "total_s"},
}
_WORDS = {"hold_s": "hold", "rest_s": "rest", "total_s": "total time"}


@dataclass(frozen=True, slots=True)
class Timing:
    """The technician's change; None leaves a time as it is."""

    hold_s: float | None = None
    rest_s: float | None = None
    total_s: float | None = None

    def given(self) -> dict[str, float]:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    def describe(self) -> str:
        return ", ".join(f"{_WORDS[k]} {v:g} s" for k, v in self.given().items())


@dataclass(frozen=True, slots=True)
class Retimed:
    checked: CheckedProtocol
    timer_s: float  # the same place in the current segment, on the new profile


def retime(checked: CheckedProtocol, timer_s: float, timing: Timing) -> Retimed:
    """The protocol and profile with the new times; ProtocolError (by field) if refused."""
    given = timing.given()
    if not given:
        raise ProtocolError("give a hold, rest or total time to change")
    proto = checked.protocol
    steps: list[Step] = list(proto.steps) if isinstance(proto, Program) else [proto]
    old = checked.profile
    i = old.at(timer_s).segment
    cur = old.segments[i]
    if cur.step >= len(steps):
        raise ProtocolError("the treatment is in its final release: its times cannot change")
    k, rep = cur.step, max(cur.rep, 0)
    step = _edited(steps[k], given)
    c = next(n for n, s in enumerate(old.segments) if s.step == k and s.rep == rep)
    counts = _counter(step)
    done = sum(s.duration_s for s in old.segments if s.step == k and 0 <= s.rep < rep and counts(s))
    spent = done + sum(
        min(s.duration_s, timer_s - start)
        for s, start in zip(old.segments[c : i + 1], old.starts[c : i + 1], strict=True)
        if counts(s)
    )
    if timing.total_s is not None and timing.total_s < spent:
        raise ProtocolError(
            f"total_s = {timing.total_s:g} s: {spent:.0f} s have already run; "
            "to end the treatment now, press STOP",
            {"total_s": f"{spent:.0f} s have already run; to end now, press STOP"},
        )

    def rebuilt(left_s: float | None) -> list[Segment]:
        b = ProfileBuilder(old.segments[c].start_n, step.ramp_up_n_s, step.ramp_down_n_s)
        add_steps(b, [_remainder(step, rep, left_s), *steps[k + 1 :]], k, len(steps) > 1, rep)
        return b.segments

    total = step.total_s if isinstance(step, Intermittent | Cyclic) else None
    left = None if total is None else total - done
    cut = max(i, c)  # before it, as run; a cyclic lead-in (i < c) is no repetition
    tail = rebuilt(left)
    if left is not None:  # the repetition's finished parts keep their old times: count them
        # ... at the new times, none cut short by the total (one repetition more than left):
        # measured in a rebuild that a short total had cut, the correction fell short
        whole = rebuilt(left + _repetition_s(step))[: cut - c]
        nominal = sum(s.duration_s for s in whole if counts(s))
        actual = sum(s.duration_s for s in old.segments[c:cut] if counts(s))
        if abs(nominal - actual) > 1e-9:
            tail = rebuilt(left - actual + nominal)
    profile = SetpointProfile([*old.segments[:cut], *tail[cut - c :]])
    if profile.total_s > MAX_SESSION_S:
        raise ProtocolError(
            f"session length = {profile.total_s / 60:.1f} min: above {MAX_SESSION_S / 60:g} min"
        )
    now_seg = profile.segments[i] if i < len(profile.segments) else None
    if now_seg is None or now_seg.phase != cur.phase:  # guarded by the total check above
        raise ProtocolError("the new times end this step before the point it has reached")
    into = timer_s - old.starts[i]
    steps[k] = step
    new = Program(steps=steps) if isinstance(proto, Program) else step
    return Retimed(
        CheckedProtocol(new, profile, checked.force_limit_n, checked.limits_fingerprint),
        profile.starts[i] + min(into, now_seg.duration_s),
    )


def _edited(step: Step, given: dict[str, float]) -> Step:
    """The step with the new times, validated as at the start (ranges, one length)."""
    names = TIMING_FIELDS[step.kind]
    problems = {
        k: f"a {step.kind} protocol has no {_WORDS[k]} to change" for k in given if k not in names
    }
    one_field = names.get("total_s") == names["hold_s"]  # static: its hold is its total
    if one_field and given.keys() >= {"hold_s", "total_s"} and given["hold_s"] != given["total_s"]:
        problems["total_s"] = "a static protocol's hold is its total time: give one"
    if problems:
        raise ProtocolError("; ".join(f"{k} = {v}" for k, v in problems.items()), problems)
    update: dict[str, float | None] = {names[k]: v for k, v in given.items()}
    if "total_s" in given and isinstance(step, Intermittent | Cyclic):
        update["cycles"] = None  # a total replaces a count of cycles
    try:
        return type(step).model_validate({**step.model_dump(), **update})
    except ValidationError as exc:
        by_field = {
            _ours(step, str(err["loc"][0]) if err["loc"] else ""): err["msg"]
            for err in exc.errors()
        }
        raise ProtocolError(
            "; ".join(f"{k} = {given.get(k, '')}: {v}" for k, v in by_field.items()), by_field
        ) from exc


def _ours(step: Step, field: str) -> str:
    """The technician's name of a protocol field ("peak_s" of a cyclic protocol is its hold)."""
    return next((k for k, v in TIMING_FIELDS[step.kind].items() if v == field), field)


def _counter(step: Step) -> Callable[[Segment], bool]:
    """Which segments a total counts: holds and rests, or a cyclic protocol's whole cycles."""
    if isinstance(step, Cyclic):
        return lambda s: s.rep >= 0
    return lambda s: s.waits


def _repetition_s(step: Step) -> float:
    """What one whole repetition counts towards a total (none without repetitions)."""
    if isinstance(step, Cyclic):
        return step.rise_s + step.peak_s + step.fall_s + step.base_s
    if isinstance(step, Intermittent):
        return step.hold_s + step.rest_s
    return 0.0


def _remainder(step: Step, rep: int, left_s: float | None) -> Step:
    """The step from repetition `rep` on (built, not validated: a remainder may be short)."""
    if not isinstance(step, Intermittent | Cyclic):
        return step
    if left_s is not None:
        return step.model_copy(update={"total_s": left_s})
    return step.model_copy(update={"cycles": (step.cycles or 0) - rep})


def current_times(checked: CheckedProtocol, timer_s: float) -> dict[str, float]:
    """The times a technician may change now (the current step's), by our names; none in the
    final release. A count of cycles is shown as the total time it makes."""
    proto = checked.protocol
    steps: list[Step] = list(proto.steps) if isinstance(proto, Program) else [proto]
    k = checked.profile.segments[checked.profile.at(timer_s).segment].step
    if k >= len(steps):
        return {}
    step = steps[k]
    out = {
        ours: float(getattr(step, field) or 0.0) for ours, field in TIMING_FIELDS[step.kind].items()
    }
    if isinstance(step, Intermittent | Cyclic) and step.cycles is not None:
        out["total_s"] = step.cycles * _repetition_s(step)
    elif isinstance(step, Static):
        del out["hold_s"]  # its hold is its total time: one field, not two that must agree
    return out
