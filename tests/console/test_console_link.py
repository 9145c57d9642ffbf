"""The link to the table between sessions, as the console watches it: a reply or two lost to
a busy machine is not an alarm that blocks the next treatment; a link that stays lost is
alarmed, and the alarm goes when the link is back (the CI found the first case: a poll lost
under load latched a medium alarm, and the next treatment was refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.app.composition import open_link
from controller.app.site_config import site_config
from controller.console.link_watch import LINK_ALARM_AFTER_S
from controller.console.owner import POLL_S
from controller.console.service import ConsoleService
from safety.limits import load_limits
from sim.injection import inject

pytestmark = pytest.mark.requirement("SR-028")


class Polled:
    """A console service on `sim://` whose polls the test makes, on its own clock."""

    def __init__(self, tmp: Path) -> None:
        opened = open_link("sim://")
        assert opened.board is not None
        self.board = opened.board
        self.now = 0.0
        site = site_config(cli={"records": str(tmp / "r.sqlite3")}, env={})
        self.service = ConsoleService(
            opened.link, site, load_limits(), limits_source="default", clock=lambda: self.now
        )

    def poll(self, times: int = 1) -> None:
        for _ in range(times):
            self.service.owner.watch.poll()
            self.now += POLL_S

    @property
    def alarms(self) -> list[str]:
        return [a.text for a in self.service.alarms.alarms]


def test_a_lost_reply_at_idle_is_shown_not_alarmed(tmp_path: Path) -> None:
    t = Polled(tmp_path)
    t.poll()
    assert t.service.table.link == "connected"
    inject(t.board, "link-drop", {"count": 3})  # one poll's attempts
    t.poll()
    assert t.service.table.link.startswith("no reply")
    assert t.alarms == []
    t.poll()
    assert t.service.table.link == "connected" and t.alarms == []
    assert not t.service.alarms.unacknowledged  # nothing to acknowledge before a treatment


def test_a_link_lost_for_good_is_alarmed_once_and_the_alarm_goes_when_it_is_back(
    tmp_path: Path,
) -> None:
    t = Polled(tmp_path)
    t.poll()
    inject(t.board, "link-drop", {"count": 1_000_000})
    polls = round(LINK_ALARM_AFTER_S / POLL_S)
    t.poll(polls)
    assert t.alarms == []  # not yet: lost for less than LINK_ALARM_AFTER_S
    t.poll(4 * polls)
    (alarm,) = t.service.alarms.alarms  # once, not once per poll
    assert alarm.priority == "medium" and "no link to the table" in alarm.text
    assert "power" in alarm.what_to_do
    inject(t.board, "link-heal", {})
    t.poll()
    assert t.service.table.link == "connected"
    assert t.alarms == []  # non-latching: gone with its condition
