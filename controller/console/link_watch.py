"""The table's link between sessions: read twice a second for the Table screen, its loss
alarmed once it lasts, logged on the change (not on every poll)."""

from __future__ import annotations

import structlog

from controller.console.screen import Screen
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from firmware_bridge.icd import Status

log = structlog.get_logger(__name__)

LINK_ALARM_AFTER_S = 2.0  # a link lost at idle this long is alarmed (non-latching)


class LinkWatch:
    def __init__(self, link: TableLink, screen: Screen) -> None:
        self.link = link
        self.screen = screen
        self.ok: bool | None = None  # None: not polled yet
        self._lost_s = 0.0  # when the link was last lost
        self._failed_polls = 0  # polls without a reply since

    def poll(self) -> None:
        """One status read, in the owner thread (never during a session)."""
        try:
            if self.link.identity is None:
                self.link.connect()
            tel = self.link.read_telemetry()
        except (LinkError, TargetError) as exc:
            self._state(False, f"no reply: {exc}")
            return
        ident = self.link.identity
        screen = self.screen
        with screen.lock:
            table = screen.table
            table.identity = (
                None
                if ident is None
                else {
                    "vendor": ident.vendor,
                    "product": ident.product_code,
                    "revision": ident.revision,
                    "icd": f"0x{ident.icd_version:04X}",
                    "force_max_n": ident.limits.force_max_n,
                }
            )
            table.at_home = tel.has(Status.AT_HOME)
            table.force_n = round(tel.force_n, 1)
            table.fault = tel.fault.name if tel.has(Status.FAULT) else None
            table.position_mm = round(tel.position_m * 1e3, 1)
        self._state(True, "connected")

    def _state(self, ok: bool, text: str) -> None:
        """The alarm is non-latching and waits LINK_ALARM_AFTER_S: a reply or two lost to a
        busy machine at idle is shown on the Table screen, not alarmed; a link that stays
        lost is, and its alarm goes when the link is back (no treatment starts meanwhile)."""
        screen = self.screen
        now = screen.clock()
        with screen.lock:
            screen.table.link = text
            changed, self.ok = self.ok is not ok, ok
            if not ok:
                self.link.identity = None  # connect again (and re-read who it is) when it answers
                self._failed_polls += 1
                if changed:
                    self._lost_s = now
                if now - self._lost_s >= LINK_ALARM_AFTER_S:
                    screen.alarms.raise_condition(
                        "link",
                        "medium",
                        f"no link to the table: {text}",
                        now,
                        "check the table's power and its cable; no treatment can start",
                    )
            lost_s, failed = now - self._lost_s, self._failed_polls
            alarmed = False
            if ok:
                self._failed_polls = 0
                alarmed = bool(screen.alarms.end_condition("link"))
        if not changed:
            return
        if not ok:
            log.warning("table link", state=text)
        elif failed:  # back after a loss: how long, how many polls, whether it was alarmed
            log.info(
                "table link", state=text, lost_s=round(lost_s, 1), polls=failed, alarmed=alarmed
            )
        else:
            log.info("table link", state=text)
