"""The console's web layer (Starlette): pages, the JSON reads, and one WebSocket per screen.

Why a WebSocket for the actions as well as the updates: STOP must reach the session in the
next control cycle, not after an HTTP round trip queued behind a report being drawn; and
the socket itself is how the session knows a console is watching (presence.py). Every
update (UPDATE_S) carries the whole screen state, so a page that reconnects is right at
once; the curve so far and the events so far come with the first message.

Security: a listener on any address other than loopback needs the token on every request
but the static page itself (the token is in the address `traction console` prints). A
WebSocket from a page of another origin is refused, so that a web page elsewhere cannot
drive the table through a technician's browser; a WebSocket with no Origin at all is not a
browser's page (a script on this machine) and may watch and stop, not act. Once the table
has accounts, every request that acts carries the page's sign-in badge and is judged in the
control process (sign_in.py). No request can change a limit: the service only accepts what
a technician may ask (controller/console/service.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qs, urlsplit

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from controller.clinic.setup import CONTRAINDICATIONS, Harness, Position, SplitTable
from controller.console import history, patients
from controller.console.backend import Backend
from controller.console.forms import FormError, editable_fields
from controller.console.refused import Refused
from controller.console.requests import ALWAYS, planned, prepare
from controller.records.saved_protocols import library, saved_rows
from controller.records.store import RecordsError, SessionStore
from controller.words.catalogue import LanguageError, checked, messages

log = structlog.get_logger(__name__)

UPDATE_S = 0.05  # 20 screen updates a second (the issue asks for at least 10)
STATIC = Path(str(files("controller.console").joinpath("static")))
TOKEN_FREE = ("/", "/static/")
WS_UNAUTHORISED = 4401
WS_FOREIGN_ORIGIN = 4403
BADGE_HEADER = "x-console-badge"  # the page's sign-in, on the requests that act over HTTP
NOT_A_PAGE = (
    "this connection is not a page of the console (no Origin header): it may watch and stop, "
    "not act"
)


class TokenGate:
    """Every request but the page and its assets carries the token (query or header)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == "/" or path.startswith("/static/") or self._carries(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": WS_UNAUTHORISED})
            return
        await PlainTextResponse("token required", status_code=401)(scope, receive, send)

    def _carries(self, scope: Scope) -> bool:
        query = parse_qs(scope.get("query_string", b"").decode())
        given = (query.get("token") or [""])[0]
        for name, value in scope.get("headers", []):
            if name == b"x-console-token":
                given = value.decode()
        return bool(self.token) and hmac.compare_digest(given, str(self.token))


def make_app(backend: Backend, *, token: str | None = None) -> ASGIApp:
    """`backend`: the service in this process (LocalBackend: tests, benchmarks) or in the
    control process (RemoteBackend: `traction console`)."""
    clients = itertools.count(1)
    site = backend.site

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        backend.start()
        yield
        await asyncio.to_thread(backend.close)

    def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    def api_presets(_: Request) -> Response:
        """The library: the built-in presets and the protocols saved from sessions."""
        try:
            store = SessionStore(site.records, recover=False)
        except RecordsError as exc:
            return JSONResponse({"error": f"records store unusable: {exc}"}, status_code=503)
        try:
            entries, saved = library(store), {r["name"]: r for r in saved_rows(store)}
        finally:
            store.close()
        return JSONResponse(
            [
                {
                    "name": name,
                    "description": e.description,
                    "kind": e.protocol.kind,
                    "region": e.protocol.region,
                    "fields": editable_fields(e),
                    "emg_gate": e.emg_gate,
                    "saved_by": saved[name]["saved_by"] if name in saved else None,
                }
                for name, e in sorted(entries.items())
            ]
        )

    async def api_check(request: Request) -> Response:
        body = await _json(request)
        try:
            prepared = prepare(site.records, backend.limits, body)
        except FormError as exc:
            return JSONResponse({"ok": False, "fields": exc.fields}, status_code=422)
        return JSONResponse(planned(prepared))

    async def api_patients(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(patients.listed(site.records))
        body = await _json(request)
        try:
            backend.act("register", {"badge": request.headers.get(BADGE_HEADER)})
            added = patients.add(site.records, body)
        except Refused as exc:
            return JSONResponse({"ok": False, "fields": {"": str(exc)}}, status_code=403)
        except FormError as exc:
            return JSONResponse({"ok": False, "fields": exc.fields}, status_code=422)
        return JSONResponse({"ok": True, "patient": added})

    def api_clinic(_: Request) -> Response:
        return JSONResponse(
            {
                "contraindications": list(CONTRAINDICATIONS),
                "positions": list(get_args(Position)),
                "harnesses": list(get_args(Harness)),
                "splits": list(get_args(SplitTable)),
            }
        )

    def api_last(request: Request) -> Response:
        try:
            last = patients.last(site.records, request.path_params["ref"])
        except FormError as exc:
            return JSONResponse({"ok": False, "fields": exc.fields}, status_code=404)
        return JSONResponse({"ok": True, **last})

    def api_sessions(request: Request) -> Response:
        q = request.query_params
        return JSONResponse(
            history.list_sessions(
                site.records, q.get("patient", ""), q.get("from", ""), q.get("to", "")
            )
        )

    def api_session(request: Request) -> Response:
        sid, what = int(request.path_params["sid"]), request.path_params.get("what", "")
        records = site.records
        try:
            if what == "export.csv":
                return PlainTextResponse(
                    history.session_csv(records, sid),
                    media_type="text/csv",
                    headers=_download(f"session-{sid}.csv"),
                )
            if what == "export.json":
                return Response(
                    history.session_json(records, sid),
                    media_type="application/json",
                    headers=_download(f"session-{sid}.json"),
                )
            if what == "export.fhir.json":
                return Response(
                    history.session_fhir(records, sid, site.patient_system),
                    media_type="application/fhir+json",
                    headers=_download(f"session-{sid}.fhir.json"),
                )
            if what == "report.png":
                return FileResponse(history.report(records, sid, site.report_path(sid), site.units))
            if what == "report.pdf":
                png = history.report(records, sid, site.report_path(sid), site.units)
                return FileResponse(
                    png.with_suffix(".pdf"),
                    media_type="application/pdf",
                    headers=_download(f"session-{sid}.pdf"),
                )
            if what == "verify":
                return JSONResponse(history.verify(records, sid))
            return JSONResponse(history.session_detail(records, sid))
        except RecordsError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)

    def api_words(request: Request) -> Response:
        """A language's catalogue for the page: English words -> the language's."""
        try:
            return JSONResponse(messages(checked(request.path_params["language"])))
        except LanguageError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)

    def api_verify(_: Request) -> Response:
        return JSONResponse(history.verify(site.records))

    async def ws(socket: WebSocket) -> None:
        if not _same_origin(socket):
            await socket.close(code=WS_FOREIGN_ORIGIN)
            return
        await socket.accept()
        client = next(clients)
        backend.presence("joined", client, time.monotonic())
        log.info("console client joined", client=client)
        try:
            await socket.send_text(json.dumps(backend.hello(client, UPDATE_S)))
            sender = asyncio.create_task(_push(socket, backend))
            page = socket.headers.get("origin") is not None
            receiver = asyncio.create_task(_listen(socket, backend, client, page))
            done, pending = await asyncio.wait(
                {sender, receiver}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            for task in done:
                # ConnectionError: the control process's channel broke (web_process ends)
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, ConnectionError):
                    task.result()
        finally:
            with contextlib.suppress(ConnectionError):
                backend.presence("left", client, time.monotonic())
            log.info("console client left", client=client)

    routes = [
        Route("/", index),
        Route("/api/presets", api_presets),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/clinic", api_clinic),
        Route("/api/patients", api_patients, methods=["GET", "POST"]),
        Route("/api/patients/{ref}/last", api_last),
        Route("/api/sessions", api_sessions),
        Route("/api/sessions/{sid:int}", api_session),
        Route("/api/sessions/{sid:int}/{what}", api_session),
        Route("/api/verify", api_verify),
        Route("/api/words/{language}", api_words),
        WebSocketRoute("/ws", ws),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return TokenGate(Starlette(routes=routes, lifespan=lifespan), token)


async def _push(socket: WebSocket, backend: Backend) -> None:
    seen = backend.events_since(0)[0]
    while True:
        state = backend.update(seen)
        seen = state.pop("seen")
        live = state["live"]
        if live is not None:  # the sample's age on the wall clock, for board-to-pixel latency
            live["sample_epoch_s"] = time.time() - (time.monotonic() - live.pop("at_s"))
        await socket.send_text(json.dumps({"type": "state", **state}))
        await asyncio.sleep(UPDATE_S)


async def _listen(socket: WebSocket, backend: Backend, client: int, page: bool) -> None:
    while True:
        try:
            message = json.loads(await socket.receive_text())
        except json.JSONDecodeError:
            message = {}
        backend.presence("heard", client, time.monotonic())
        if not isinstance(message, dict):
            message = {}
        op = str(message.get("op", ""))
        if op == "hb":
            continue
        reply: dict[str, Any] = {"type": "reply", "id": message.get("id"), "op": op, "ok": True}
        try:
            if not page and op not in ALWAYS and op not in ("whoami", "touch"):
                raise Refused(NOT_A_PAGE)
            reply.update(backend.act(op, message))
        except FormError as exc:
            reply.update(ok=False, error="refused: see the fields", fields=exc.fields)
        except Refused as exc:
            reply.update(ok=False, error=str(exc))
        except (ValueError, TypeError) as exc:  # a malformed request: refused, socket kept
            reply.update(ok=False, error=f"malformed request: {exc}")
        await socket.send_text(json.dumps(reply))


def _same_origin(socket: WebSocket) -> bool:
    origin = socket.headers.get("origin")
    if origin is None:  # not a browser (a test client, a script on this machine)
        return True
    return urlsplit(origin).netloc == socket.headers.get("host", "")


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
