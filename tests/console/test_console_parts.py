"""The console's parts on their own: the screen model the page renders, the running
treatment's requests, the records queries, each refused in words a technician can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.console import records_desk, running
from controller.console.activity import Activity
from controller.console.presence import Presence
from controller.console.refused import Refused, operator_name
from controller.console.screen import Screen, TableStatus
from controller.core.events import SessionEvent
from tests.helpers import ready_records


def screen() -> Screen:
    return Screen(TableStatus("sim://", "default", "0" * 64), Presence(), clock=lambda: 1.0)


def test_the_snapshot_is_the_pages_json_with_the_activity_in_words() -> None:
    s = screen()
    s.activity = Activity.AWAITING
    view = json.loads(json.dumps(s.snapshot()))
    assert view["activity"] == "awaiting acknowledgement"
    assert view["table"]["link"] == "not connected" and view["table"]["readiness"] == []
    assert set(view) >= {"alarms", "current", "live", "summary", "procedure", "clients"}


def test_events_reach_the_screen_in_words_and_alarms_on_the_board() -> None:
    s = screen()
    s.on_event(
        SessionEvent(
            0.5, "operator", "stop: running -> stopping", {"trigger": "stop", "by": "operator a"}
        )
    )
    s.on_event(SessionEvent(0.6, "alarm", "console lost: no console for 5 s", {}, "medium"))
    seq, events = s.events_since(0)
    assert seq == 2
    assert [e["text"] for e in events] == [
        "stopping by operator a: ramping down to the release",
        "console lost: no console for 5 s",
    ]
    assert [a.text for a in s.alarms.unacknowledged] == ["console lost: no console for 5 s"]
    assert s.events_since(seq) == (2, [])


def test_a_new_session_clears_the_last_ones_screen_but_not_its_unacknowledged_alarms() -> None:
    s = screen()
    s.on_event(SessionEvent(0.1, "alarm", "an alarm", {}, "high"))
    s.new_session({"protocol": "p"})
    assert s.events_since(0) == (1, []) and s.summary is None and s.current == {"protocol": "p"}
    assert s.alarms.unacknowledged


@pytest.mark.requirement("SR-028")
@pytest.mark.parametrize("activity", [a for a in Activity if a is not Activity.TREATING])
def test_no_request_reaches_a_treatment_that_is_not_running(activity: Activity) -> None:
    with pytest.raises(Refused, match=f"no treatment running \\({activity}\\)"):
        running.act(None, activity, None, "pause", "ana")
    with pytest.raises(Refused, match="no treatment running"):
        running.times(None, activity, "ana", {}, apply=False)


def test_an_unknown_action_and_a_nameless_operator_are_refused() -> None:
    with pytest.raises(Refused, match="unknown action 'acknowledge'"):
        running.act(None, Activity.TREATING, None, "acknowledge", "ana")
    with pytest.raises(Refused, match="operator's name"):
        operator_name("   ")
    assert operator_name("  ana   maria ") == "ana maria"


def test_the_records_queries_refuse_what_the_records_cannot_hold(tmp_path: Path) -> None:
    store = ready_records(tmp_path / "r.sqlite3")
    assert records_desk.readiness_problems(store) == []
    assert records_desk.readiness_problems(tmp_path / "fresh.sqlite3")  # never calibrated
    with pytest.raises(Refused, match="pain score"):
        records_desk.note_after(store, "ana", 1, None, "  ")
    with pytest.raises(Refused, match="0 to 10"):
        records_desk.note_after(store, "ana", 1, 11, "")
