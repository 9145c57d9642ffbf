"""The console's two processes: the control process serves its backend to the web process.

Why two processes: the web server (HTTP, WebSockets, JSON, report drawing) shared the
interpreter lock with the control thread, and on a busy machine that cost the control loop
deadlines (docs/benchmarks.md, the console runs). Now the control process keeps the link,
the session, the records' writing and the service; the web process serves the pages and
asks for everything else through `RemoteBackend`.

The channel: a Unix socket in a directory only this user can enter, with a random key
(multiprocessing's HMAC challenge) on top, and JSON in both directions: calls from a fixed
list, answers as values or as the refusal the page shows. Every wait has a bound: a call
not answered within CALL_TIMEOUT_S breaks the channel, and the web process then ends (its
pages see the console gone; the control process, seeing it end, stops any treatment).
"""

from __future__ import annotations

import json
import threading
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

import structlog

from controller.app.site_config import SiteConfig
from controller.console.backend import LocalBackend, PresenceSign
from controller.console.forms import FormError
from controller.console.refused import Refused
from controller.core.realtime import serving_thread
from safety.limits import load_limits

log = structlog.get_logger(__name__)

CALL_TIMEOUT_S = 5.0
CALLS = frozenset({"site", "ping", "hello", "update", "events_since", "presence", "act"})


class ChannelBroken(ConnectionError):
    """The control process did not answer in time, or is gone."""


class ServiceHost:
    """In the control process: answers the web process's calls on `path`."""

    def __init__(self, backend: LocalBackend, path: Path, authkey: bytes) -> None:
        self.backend = backend
        self.path = path
        self._listener = Listener(str(path), family="AF_UNIX", authkey=authkey)
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="console-host", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except (OSError, AuthenticationError) as exc:  # closed, or a caller without the key
                if self._closed:
                    return
                log.warning("console channel refused a caller", error=str(exc))
                continue
            threading.Thread(
                target=self._serve, args=(conn,), name="console-channel", daemon=True
            ).start()

    def _serve(self, conn: Connection) -> None:
        serving_thread()  # it holds the interpreter lock the control thread may wait for
        with conn:
            while True:
                try:
                    request = json.loads(conn.recv_bytes())
                except (EOFError, OSError):
                    return
                except ValueError:
                    request = {}
                conn.send_bytes(json.dumps(self.answer(request)).encode())

    def answer(self, request: Any) -> dict[str, Any]:
        """One call -> {"value": ...} or the refusal the page shows (never an exception)."""
        if not isinstance(request, dict) or request.get("call") not in CALLS:
            return {"malformed": "unknown call"}
        given = request.get("args")
        args: list[Any] = given if isinstance(given, list) else []
        b = self.backend
        try:
            match request["call"]:
                case "site":
                    s = b.site
                    value: Any = {
                        "device": s.device,
                        "limits": None if s.limits is None else str(s.limits),
                        "records": str(s.records),
                        "logs": str(s.logs),
                    }
                case "ping":
                    value = True
                case "hello":
                    value = b.hello(int(args[0]), float(args[1]))
                case "update":
                    value = b.update(int(args[0]))
                case "events_since":
                    value = list(b.events_since(int(args[0])))
                case "presence":
                    sign = str(args[0])
                    if sign not in ("joined", "heard", "left"):
                        raise ValueError(f"presence sign {sign!r}")
                    b.presence(sign, int(args[1]), float(args[2]))  # type: ignore[arg-type]
                    value = None
                case _:
                    op, message = str(args[0]), args[1]
                    if not isinstance(message, dict):
                        raise TypeError("a request is an object")
                    value = b.act(op, message)
        except FormError as exc:
            return {"fields": exc.fields}
        except Refused as exc:
            return {"refused": str(exc)}
        except (ValueError, TypeError, IndexError) as exc:
            return {"malformed": str(exc)}
        return {"value": value}


class RemoteBackend:
    """In the web process: the backend's calls, answered by the control process."""

    def __init__(self, path: Path, authkey: bytes) -> None:
        self._conn = Client(str(path), family="AF_UNIX", authkey=authkey)
        self._lock = threading.Lock()
        self.broken = False
        s = self._call("site")
        self.site = SiteConfig(
            device=s["device"],
            limits=None if s["limits"] is None else Path(s["limits"]),
            records=Path(s["records"]),
            logs=Path(s["logs"]),
        )
        self.limits = load_limits(self.site.limits)  # for the form's checks; starts re-check

    def start(self) -> None:
        """Nothing: the control process started the service before this process."""

    def close(self) -> None:
        """Only the channel: the control process ends the service (and any treatment)."""
        self._conn.close()

    def ping(self) -> None:
        self._call("ping")

    def hello(self, client: int, update_s: float) -> dict[str, Any]:
        return dict(self._call("hello", client, update_s))

    def update(self, seq: int) -> dict[str, Any]:
        return dict(self._call("update", seq))

    def events_since(self, seq: int) -> tuple[int, list[dict[str, Any]]]:
        count, events = self._call("events_since", seq)
        return int(count), list(events)

    def presence(self, sign: PresenceSign, client: int, now: float) -> None:
        self._call("presence", sign, client, now)

    def act(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("act", op, message))

    def _call(self, call: str, *args: Any) -> Any:
        with self._lock:
            if self.broken:
                raise ChannelBroken("the control process is not answering")
            try:
                self._conn.send_bytes(json.dumps({"call": call, "args": list(args)}).encode())
                if not self._conn.poll(CALL_TIMEOUT_S):
                    raise ChannelBroken(f"no answer to {call!r} within {CALL_TIMEOUT_S:g} s")
                reply = json.loads(self._conn.recv_bytes())
            except (OSError, EOFError, ChannelBroken) as exc:
                self.broken = True
                log.error("console channel broken", call=call, error=str(exc))
                raise ChannelBroken(str(exc)) from exc
        if "value" in reply:
            return reply["value"]
        if "fields" in reply:
            raise FormError(reply["fields"])
        if "refused" in reply:
            raise Refused(reply["refused"])
        raise ValueError(reply.get("malformed", "malformed answer"))
