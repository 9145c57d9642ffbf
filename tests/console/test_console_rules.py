"""The console's pure rules: alarm priorities and latching, the console-lost grace, the form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from controller.cli.console_cmd import is_loopback
from controller.console.alarms import AUDIO_PAUSE_S, PRIORITIES, AlarmBoard, rank
from controller.console.forms import FormError, prepare_form, source_entry
from controller.console.presence import GRACE_S, Presence
from safety.limits import load_limits

priorities = st.sampled_from(PRIORITIES)


class AlarmMachine(RuleBasedStateMachine):
    """Whatever the technician does, an unacknowledged alarm is never silent or hidden for
    longer than the audio pause, and the banner shows the most urgent of them."""

    def __init__(self) -> None:
        super().__init__()
        self.board = AlarmBoard()
        self.now = 0.0

    @rule(p=priorities)
    def raise_one(self, p: str) -> None:
        self.board.raise_alarm(p, f"{p} alarm", self.now)  # type: ignore[arg-type]

    @rule(c=st.sampled_from(["link", "other"]), p=priorities)
    def condition_seen(self, c: str, p: str) -> None:
        self.board.raise_condition(c, p, f"{c} lost", self.now)  # type: ignore[arg-type]

    @rule(c=st.sampled_from(["link", "other"]))
    def condition_gone(self, c: str) -> None:
        latched = [a for a in self.board.alarms if not a.condition]
        self.board.end_condition(c)
        assert all(a.condition != c for a in self.board.alarms)
        assert latched == [a for a in self.board.alarms if not a.condition]  # never these

    @invariant()
    def a_condition_is_one_alarm(self) -> None:
        conditions = [a.condition for a in self.board.alarms if a.condition]
        assert len(conditions) == len(set(conditions))

    @rule()
    def acknowledge(self) -> None:
        self.board.acknowledge("tech")
        assert self.board.audio(self.now) == "off"

    @rule()
    def pause(self) -> None:
        self.board.pause_audio(self.now)

    @rule(dt=st.floats(0, 200))
    def wait(self, dt: float) -> None:
        self.now += dt

    @invariant()
    def most_urgent_first_and_never_silent_for_good(self) -> None:
        pending = self.board.unacknowledged
        top = self.board.banner()
        if pending:
            assert top is not None and top.acknowledged_by is None
            assert rank(top.priority) == min(rank(a.priority) for a in pending)
            audio = self.board.audio(self.now)
            assert audio in (top.priority, "paused")
            if audio == "paused":
                assert self.board.paused_until_s is not None
                assert self.board.paused_until_s - self.now <= AUDIO_PAUSE_S + 1e-6
        else:
            assert self.board.audio(self.now) == "off"


TestAlarms = pytest.mark.requirement("SR-028")(AlarmMachine.TestCase)


@pytest.mark.requirement("SR-028")
def test_a_new_alarm_ends_the_audio_pause_and_high_flashes_fast() -> None:
    board = AlarmBoard()
    board.raise_alarm("low", "treatment complete", 0.0)
    assert board.pause_audio(1.0) and board.audio(2.0) == "paused"
    assert board.audio(1.0 + AUDIO_PAUSE_S + 0.1) == "low"  # the pause lasts 2 min
    board.raise_alarm("high", "PATIENT_STOP", 3.0)
    view = board.view(3.0)
    assert view["audio"] == "high"
    assert view["banner"]["visual"] == "flash-fast"  # type: ignore[index]
    assert not AlarmBoard().pause_audio(0.0)  # nothing sounding, nothing to pause


@pytest.mark.requirement("SR-027")
@given(
    beats=st.lists(st.floats(0, 4.9), min_size=1, max_size=30),
    gap=st.floats(0, 20),
)
def test_console_lost_only_after_the_grace_without_a_sign_of_life(
    beats: list[float], gap: float
) -> None:
    p = Presence()
    t = 0.0
    p.joined(1, t)
    for dt in beats:  # heartbeats closer than the grace: never lost
        t += dt
        assert not p.lost(t)
        p.heard(1, t)
    p.left(1, t)
    assert p.lost(t + gap) == (gap > GRACE_S)
    p.joined(2, t + min(gap, GRACE_S))  # back within the grace: takes it up
    assert not p.lost(t + min(gap, GRACE_S) + GRACE_S - 0.01)


@pytest.mark.requirement("SR-027")
def test_a_frozen_page_with_an_open_socket_is_lost_too() -> None:
    p = Presence()
    p.joined(1, 0.0)
    assert not p.lost(GRACE_S)
    assert p.lost(GRACE_S + 0.01)
    assert Presence().lost(1e9) is False  # never a client: nothing to lose


@pytest.mark.requirement("SR-003")
def test_the_form_refuses_field_by_field_with_the_rule() -> None:
    limits = load_limits()
    entry = source_entry("lumbar-intermittent", None)
    with pytest.raises(FormError) as exc:
        prepare_form(entry, {"hold_force_n": "500", "rest_s": "abc"}, 75, limits)
    assert exc.value.fields == {"rest_s": "'abc' is not a number"}
    with pytest.raises(FormError) as exc:
        prepare_form(entry, {"hold_force_n": 500, "rest_force_n": 600}, 75, limits)
    assert "rest_force_n must be below hold_force_n" in exc.value.fields[""]
    with pytest.raises(FormError) as exc:
        prepare_form(entry, {"hold_force_n": 500, "ramp_up_n_s": 400}, 75, limits)
    assert exc.value.fields["hold_force_n"].startswith("500 N: above the session force limit")
    assert "ramp_up_n_s" in exc.value.fields
    with pytest.raises(FormError) as exc:
        prepare_form(entry, {}, "", limits)
    assert "weight" in exc.value.fields["weight_kg"]
    with pytest.raises(FormError) as exc:
        prepare_form(entry, {"force_limit_n": 900}, 75, limits)  # not a field: no limit to raise
    assert exc.value.fields == {"force_limit_n": "not a field of this protocol"}
    ok = prepare_form(entry, {"hold_force_n": "280", "cycles": None}, 75, limits)
    assert ok.checked.profile.peak_n == 280
    program = source_entry("lumbar-program", None)
    with pytest.raises(FormError) as exc:
        prepare_form(program, {"steps[1].hold_force_n": 900}, 75, limits)
    assert "steps[1].hold_force_n" in exc.value.fields


@pytest.mark.requirement("SR-029")
@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_only_loopback_listens_without_a_token(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
