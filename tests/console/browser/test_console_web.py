"""The console's listener: the token on other addresses, foreign origins refused."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from controller.app.composition import open_link
from controller.app.site_config import site_config
from controller.console.backend import LocalBackend
from controller.console.service import ConsoleService
from controller.console.web import make_app
from safety.limits import load_limits

TOKEN = "secret-token"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    site = site_config(cli={"records": str(tmp_path / "r.sqlite3")}, env={})
    limits = load_limits()
    service = ConsoleService(open_link("sim://").link, site, limits, limits_source="default")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(LocalBackend(service), token=TOKEN), log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.requirement("SR-029")
def test_every_request_but_the_page_needs_the_token(served: str) -> None:
    assert get(f"http://{served}/") == 200
    assert get(f"http://{served}/static/console.js") == 200
    assert get(f"http://{served}/api/presets") == 401
    assert get(f"http://{served}/api/sessions") == 401
    assert get(f"http://{served}/api/presets?token=wrong") == 401
    assert get(f"http://{served}/api/presets?token={TOKEN}") == 200
    with pytest.raises(InvalidStatus):
        connect(f"ws://{served}/ws").close()
    with connect(f"ws://{served}/ws?token={TOKEN}") as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello"
        ws.send(json.dumps({"op": "start", "id": 1, "operator": "", "preset": "lumbar-static"}))
        while (m := json.loads(ws.recv(timeout=5)))["type"] != "reply":
            pass
        assert m["ok"] is False  # no operator name, or not idle yet: nothing starts


@pytest.mark.requirement("SR-029")
def test_a_websocket_from_another_origin_is_refused(served: str) -> None:
    url = f"ws://{served}/ws?token={TOKEN}"
    with pytest.raises(InvalidStatus, match="403"):
        connect(url, origin=Origin("http://evil.example")).close()
    with connect(url, origin=Origin(f"http://{served}")) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"


@pytest.mark.requirement("SR-029")
def test_malformed_and_unknown_requests_are_refused_and_the_socket_stays(served: str) -> None:
    with connect(f"ws://{served}/ws?token={TOKEN}") as ws:
        ws.recv(timeout=5)
        for bad in (
            "not json",
            "[1, 2]",
            json.dumps({"op": "force", "delta_n": "x", "id": 2, "operator": "t"}),
            json.dumps({"op": "raise_limit", "id": 3, "operator": "t"}),
        ):
            ws.send(bad)
            while (m := json.loads(ws.recv(timeout=5)))["type"] != "reply":
                pass
            assert m["ok"] is False, bad


@pytest.mark.requirement("SR-029", "SR-057")
def test_a_websocket_without_an_origin_may_watch_and_stop_but_not_act(served: str) -> None:
    with connect(f"ws://{served}/ws?token={TOKEN}") as ws:  # a script: no Origin header
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        replies = {}
        for n, op in enumerate(("start", "daily_check", "stop", "acknowledge"), 1):
            ws.send(json.dumps({"op": op, "id": n, "preset": "lumbar-static"}))
            while (m := json.loads(ws.recv(timeout=5)))["type"] != "reply":
                pass
            replies[op] = m
    for op in ("start", "daily_check"):
        assert replies[op]["ok"] is False and "may watch and stop, not act" in replies[op]["error"]
    assert "not act" not in replies["stop"].get("error", "")  # judged as STOP: nothing runs
    assert replies["acknowledge"]["ok"] is True  # never behind anything
