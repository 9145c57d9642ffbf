"""What the web layer needs of the console's service, in-process or in the control process.

Why an interface: the web server runs in its own process beside the control process (the
control thread then shares its interpreter lock with nobody but the service's own threads;
docs/console.md), and the tests and the benchmark also run it in-process. Both backends
offer the same calls, with plain JSON-able values only, so that what crosses between the
processes is data, never an object to trust.
"""

from __future__ import annotations

import time
from typing import Any, Literal, Protocol

from controller.app.site_config import SiteConfig
from controller.console import requests, slack
from controller.console.service import ConsoleService
from controller.core.control_loop import PERIOD_S
from safety.limits import SafetyLimits

PresenceSign = Literal["joined", "heard", "left"]


class Backend(Protocol):
    site: SiteConfig
    limits: SafetyLimits

    def start(self) -> None: ...

    def close(self) -> None: ...

    def hello(self, client: int, update_s: float) -> dict[str, Any]: ...

    def update(self, seq: int) -> dict[str, Any]: ...

    def events_since(self, seq: int) -> tuple[int, list[dict[str, Any]]]: ...

    def presence(self, sign: PresenceSign, client: int, now: float) -> None: ...

    def act(self, op: str, message: dict[str, Any]) -> dict[str, Any]: ...


class LocalBackend:
    """The service in this process: the web layer's lifespan starts and closes it."""

    def __init__(self, service: ConsoleService) -> None:
        self.service = service
        self.site = service.site
        self.limits = service.limits

    def start(self) -> None:
        self.service.start()

    def close(self) -> None:
        self.service.close()

    def hello(self, client: int, update_s: float) -> dict[str, Any]:
        return requests.hello(self.service, client, update_s)

    def update(self, seq: int) -> dict[str, Any]:
        """One push to the pages: the snapshot, the session's events after `seq` and the
        newest seq, in one call (across the channel, each call costs the control process a
        wake-up and an interpreter-lock hold the control thread may wait for). Built in
        the control loop's slack (slack.py): at most 2.5 ms later, never across a cycle's
        deadline."""
        live = self.service.live.latest
        wait = slack.delay_s(self.service.clock(), None if live is None else live.at_s, PERIOD_S)
        if wait:
            time.sleep(wait)
        state = self.service.snapshot()
        state["seen"], state["events"] = self.service.events_since(seq)
        return state

    def events_since(self, seq: int) -> tuple[int, list[dict[str, Any]]]:
        return self.service.events_since(seq)

    def presence(self, sign: PresenceSign, client: int, now: float) -> None:
        p = self.service.presence
        {"joined": p.joined, "heard": p.heard, "left": p.left}[sign](client, now)

    def act(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        return requests.act(self.service, op, message)
