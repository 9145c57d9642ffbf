"""Is anybody watching? The console-lost rule, pure: clock readings in, a verdict out.

A treatment runs only while a console can see it. Each browser says it is there by its
WebSocket and by a heartbeat it answers to every update; a socket that closes, or a page
that stops answering (a frozen tab keeps its socket open), is gone. When no client has
given a sign of life for GRACE_S, `lost` is true and the session stops with the controlled
ramp and release, recorded as "console lost". A client that comes back within the grace
takes the session up where it stands: nothing has happened to it.
"""

from __future__ import annotations

import threading

GRACE_S = 5.0


class Presence:
    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self._heard: dict[int, float] = {}
        self._last_sign_s: float | None = None
        self._lock = threading.Lock()

    def joined(self, client: int, now: float) -> None:
        self.heard(client, now)

    def heard(self, client: int, now: float) -> None:
        with self._lock:
            self._heard[client] = now
            self._last_sign_s = now if self._last_sign_s is None else max(self._last_sign_s, now)

    def left(self, client: int, now: float) -> None:
        """A closed socket: the grace counts from the moment it closed."""
        with self._lock:
            self._heard.pop(client, None)
            self._last_sign_s = now if self._last_sign_s is None else max(self._last_sign_s, now)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._heard)

    def silent_s(self, now: float) -> float | None:
        """How long since the last sign of life from any client (None: never a client)."""
        with self._lock:
            return None if self._last_sign_s is None else max(0.0, now - self._last_sign_s)

    def lost(self, now: float) -> bool:
        silent = self.silent_s(now)
        return silent is not None and silent > self.grace_s
