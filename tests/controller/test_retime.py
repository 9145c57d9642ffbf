"""Hold, rest and total time changed mid-session (issue 13): what ran stays as it ran, the
clock keeps its place, forces never change, and a new total counts what has been spent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from controller.protocols.checks import (
    TREATMENT_FORCE_FIELDS,
    CheckedProtocol,
    ProtocolError,
    check_protocol,
)
from controller.protocols.models import (
    MAX_SESSION_S,
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    Static,
)
from controller.protocols.profile import SetpointProfile
from controller.protocols.retime import Timing, current_times, retime
from safety.limits import load_limits

pytestmark = pytest.mark.requirement("SR-036")
LIMITS = load_limits()
WEIGHT_KG = 80.0


def checked(protocol: Static | Intermittent | Cyclic | Progressive | Program) -> CheckedProtocol:
    return check_protocol(protocol, LIMITS, WEIGHT_KG)


def timed(profile: SetpointProfile, step: int, cyclic: bool) -> float:
    """What a total counts: holds and rests, or a cyclic protocol's whole cycles."""
    return sum(
        s.duration_s
        for s in profile.segments
        if s.step == step and (s.rep >= 0 if cyclic else s.waits)
    )


INTERMITTENT = Intermittent(hold_force_n=200, hold_s=60, rest_force_n=100, rest_s=30, total_s=600)


def test_a_shorter_hold_keeps_what_ran_and_the_total_time_at_force() -> None:
    c = checked(INTERMITTENT)
    at = 100.0  # in the first rest: the first hold ran its 60 s
    done = retime(c, at, Timing(hold_s=30))
    old, new = c.profile, done.checked.profile
    i = old.at(at).segment
    assert new.segments[:i] == old.segments[:i]
    assert done.timer_s == pytest.approx(at)
    holds = [s.duration_s for s in new.segments if s.phase == "hold"]
    assert holds[0] == 60 and set(holds[1:-1]) == {30}
    assert timed(new, 0, cyclic=False) == pytest.approx(600)


def test_a_hold_already_past_its_new_length_ends_now() -> None:
    c = checked(INTERMITTENT)
    i = next(n for n, s in enumerate(c.profile.segments) if s.phase == "hold" and s.rep == 2)
    at = c.profile.starts[i] + 45  # 45 s into the third hold
    done = retime(c, at, Timing(hold_s=20))
    assert done.timer_s == pytest.approx(c.profile.starts[i] + 20)
    assert done.checked.profile.at(done.timer_s + 1e-6).phase == "ramp down"


def test_a_total_below_what_has_run_is_refused_saying_to_press_stop() -> None:
    c = checked(INTERMITTENT)
    with pytest.raises(ProtocolError, match="press STOP") as err:
        retime(c, 400, Timing(total_s=200))
    assert set(err.value.fields) == {"total_s"}


def test_a_longer_total_on_a_counted_protocol_becomes_a_total_time() -> None:
    c = checked(Intermittent(hold_force_n=200, hold_s=20, rest_force_n=100, rest_s=10, cycles=3))
    assert current_times(c, 5) == {"hold_s": 20, "rest_s": 10, "total_s": 90}
    done = retime(c, 5, Timing(total_s=150))
    proto = done.checked.protocol
    assert isinstance(proto, Intermittent) and proto.total_s == 150 and proto.cycles is None
    assert timed(done.checked.profile, 0, cyclic=False) == pytest.approx(150)


@pytest.mark.parametrize(
    ("protocol", "timing", "field"),
    [
        (
            Progressive(start_force_n=50, end_force_n=150, steps=3, step_s=20),
            Timing(rest_s=5),
            "rest_s",
        ),
        (Static(force_n=150, duration_s=60), Timing(rest_s=5), "rest_s"),
        (Static(force_n=150, duration_s=60), Timing(hold_s=30, total_s=40), "total_s"),
        (INTERMITTENT, Timing(hold_s=120), "hold_s"),  # beyond the 1-99 s of the start
        (INTERMITTENT, Timing(rest_s=0.5), "rest_s"),
    ],
)
def test_times_outside_what_the_protocol_allows_are_refused_by_field(
    protocol: Static | Intermittent | Progressive, timing: Timing, field: str
) -> None:
    with pytest.raises(ProtocolError) as err:
        retime(checked(protocol), 5, timing)
    assert field in err.value.fields


def test_no_change_in_the_final_release() -> None:
    c = checked(Static(force_n=150, duration_s=30))
    end = c.profile.total_s - 0.5
    assert current_times(c, end) == {}
    with pytest.raises(ProtocolError, match="final release"):
        retime(c, end, Timing(hold_s=40))


def test_a_program_changes_its_current_step_only() -> None:
    first = Progressive(start_force_n=100, end_force_n=200, steps=3, step_s=30)
    c = checked(Program(steps=[first, INTERMITTENT]))
    done = retime(c, 50, Timing(hold_s=10))
    proto = done.checked.protocol
    assert isinstance(proto, Program)
    assert (
        proto.steps[0] == first.model_copy(update={"step_s": 10}) and proto.steps[1] == INTERMITTENT
    )
    assert current_times(c, 10) == {"hold_s": 30}


def test_a_session_past_99_minutes_is_refused() -> None:
    c = checked(
        Intermittent(hold_force_n=200, hold_s=60, rest_force_n=100, rest_s=30, total_s=5000)
    )
    with pytest.raises(ProtocolError, match="above 99 min"):
        retime(c, 5, Timing(total_s=MAX_SESSION_S))


# --- properties over every kind ------------------------------------------------------------------
forces = st.floats(min_value=60, max_value=250)
phase_s = st.floats(min_value=1, max_value=99)
length = st.one_of(
    st.builds(lambda n: {"cycles": n}, st.integers(min_value=1, max_value=8)),
    st.builds(lambda t: {"total_s": t}, st.floats(min_value=5, max_value=900)),
)


@st.composite
def protocols(draw: st.DrawFn) -> Static | Intermittent | Cyclic | Progressive:
    kind = draw(st.sampled_from(["static", "intermittent", "cyclic", "progressive"]))
    high = draw(forces)
    low = draw(st.floats(min_value=25, max_value=high - 10))
    if kind == "static":
        return Static(force_n=high, duration_s=draw(st.floats(min_value=1, max_value=900)))
    if kind == "progressive":
        steps = draw(st.integers(min_value=2, max_value=6))
        return Progressive(start_force_n=low, end_force_n=high, steps=steps, step_s=draw(phase_s))
    if kind == "intermittent":
        return Intermittent(
            hold_force_n=high,
            rest_force_n=low,
            hold_s=draw(phase_s),
            rest_s=draw(phase_s),
            **draw(length),
        )
    return Cyclic(
        peak_force_n=high,
        base_force_n=low,
        rise_s=draw(st.floats(min_value=10, max_value=30)),
        fall_s=draw(st.floats(min_value=10, max_value=30)),
        peak_s=draw(st.floats(min_value=0, max_value=30)),
        base_s=draw(st.floats(min_value=0, max_value=30)),
        **draw(length),
    )


seconds = st.floats(min_value=1, max_value=99) | st.floats(min_value=0.1, max_value=150)
timings = st.builds(
    Timing,
    hold_s=st.none() | seconds,
    rest_s=st.none() | seconds,
    total_s=st.none() | st.floats(min_value=1, max_value=2000),
).filter(lambda t: bool(t.given()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(protocols(), st.floats(min_value=0, max_value=0.999), timings)
@example(  # a longer hold in a cycle's base, a total shorter than a new cycle (CI 2026-12-07)
    Cyclic(
        ramp_down_n_s=30,
        peak_force_n=60,
        base_force_n=25,
        rise_s=10,
        peak_s=1,
        fall_s=19,
        base_s=10,
        cycles=1,
    ),
    0.75,
    Timing(hold_s=5.0, total_s=33.0),
)
def test_a_time_change_keeps_the_past_the_clock_and_the_forces(
    protocol: Static | Intermittent | Cyclic | Progressive, share: float, timing: Timing
) -> None:
    try:
        c = checked(protocol)
    except ProtocolError:
        assume(False)
        return
    old = c.profile
    at = share * old.total_s
    try:
        done = retime(c, at, timing)
    except ProtocolError as exc:
        assert exc.fields and all(exc.fields.values())  # refused by name, never silently
        event("refused: " + (", ".join(sorted(exc.fields)) or "the whole change"))
        return
    event("changed")
    new = done.checked.profile
    i = old.at(at).segment
    assert new.segments[:i] == old.segments[:i]  # what ran stays as it ran
    assert new.segments[i].phase == old.segments[i].phase
    into = at - old.starts[i]
    assert done.timer_s == pytest.approx(new.starts[i] + min(into, new.segments[i].duration_s))
    prescribed = [getattr(protocol, f) for f in TREATMENT_FORCE_FIELDS if hasattr(protocol, f)]
    assert (
        new.peak_n <= max(old.peak_n, *prescribed) + 1e-9
    )  # a time change never passes the prescribed forces
    levels = {round(s.end_n, 6) for s in old.segments if s.waits} | {
        round(f, 6) for f in prescribed
    }
    assert {round(s.end_n, 6) for s in new.segments if s.waits} <= levels  # its own forces
    assert new.total_s <= MAX_SESSION_S
    if timing.total_s is not None and isinstance(protocol, Intermittent | Cyclic):
        assert timed(new, 0, isinstance(protocol, Cyclic)) == pytest.approx(timing.total_s)
    if timing.hold_s is not None and isinstance(protocol, Intermittent):
        later = [s.duration_s for s in new.segments[i + 1 :] if s.phase == "hold"]
        assert all(d <= timing.hold_s + 1e-9 for d in later)
        assert all(d == pytest.approx(timing.hold_s) for d in later[:-1])
