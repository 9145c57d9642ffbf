"""The simulator's control interface (JSON lines, loopback); a refusal changes nothing."""

from __future__ import annotations

import json
import socket

import pytest

from sim.board import SimBoard
from sim.control_client import request
from sim.injection import CATALOGUE, InjectionError, inject
from sim.server import LOOPBACK, Endpoints, ServeOptions, SimServer


def control(ep: Endpoints) -> tuple[str, int]:
    assert ep.control is not None
    return ep.control


def test_listeners_bind_loopback_by_default(served: tuple[SimServer, Endpoints]) -> None:
    _, ep = served
    assert ep.tcp is not None and ep.tcp[0] == "127.0.0.1"
    assert control(ep)[0] == "127.0.0.1"


def test_inject_and_state(served: tuple[SimServer, Endpoints]) -> None:
    server, ep = served
    assert request(control(ep), {"op": "inject", "name": "estop-open"}) == {"ok": True}
    state = request(control(ep), {"op": "state"})["state"]
    assert isinstance(state, dict) and "ESTOP" in state["status"]
    assert server.call(lambda: server.board.firmware.switches.estop_open)


def test_list_names_every_injection(served: tuple[SimServer, Endpoints]) -> None:
    _, ep = served
    listed = request(control(ep), {"op": "list"})["injections"]
    assert isinstance(listed, list)
    assert {item["name"] for item in listed} == set(CATALOGUE)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"op": "inject", "name": "meteor"}, "unknown injection"),
        ({"op": "inject", "name": "channel-stuck", "params": {"channel": "C"}}, "channel"),
        ({"op": "inject", "name": "link-drop", "params": {"count": 0}}, "count"),
        ({"op": "inject", "name": "estop-open", "params": {"x": 1}}, "x"),
        ({"op": "advance", "seconds": 1}, "cannot be stepped"),
        ({"op": "fly"}, "unknown op"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    served: tuple[SimServer, Endpoints], message: object, error: str
) -> None:
    server, ep = served
    before = server.call(lambda: server.board.snapshot()["status"])
    reply = request(control(ep), message)  # type: ignore[arg-type]
    assert reply["ok"] is False and error in str(reply["error"])
    assert server.call(lambda: server.board.snapshot()["status"]) == before


def test_malformed_json_gets_an_error_line(served: tuple[SimServer, Endpoints]) -> None:
    _, ep = served
    with socket.create_connection(control(ep), timeout=5) as sock:
        sock.sendall(b"{not json\n")
        reply = json.loads(sock.makefile("rb").readline())
    assert reply["ok"] is False


def test_virtual_time_server_moves_only_when_advanced() -> None:
    server = SimServer(
        SimBoard(seed=2), ServeOptions(tcp=(LOOPBACK, 0), control=(LOOPBACK, 0), virtual=True)
    )
    with server.running() as ep:
        first = request(control(ep), {"op": "state"})["state"]
        again = request(control(ep), {"op": "state"})["state"]
        assert first == again  # nothing moves by itself
        reply = request(control(ep), {"op": "advance", "seconds": 2.5})
        assert reply["elapsed_s"] == pytest.approx(2.5)
        assert request(control(ep), {"op": "advance", "seconds": -1})["ok"] is False


def test_every_injection_applies_with_its_defaults() -> None:
    for name in CATALOGUE:
        board = SimBoard(seed=1)
        board.attach_muscles("guarding")  # the muscles' injections need them
        inject(board, name)
        board.advance_to(0.1)
    with pytest.raises(InjectionError, match="unknown injection"):
        inject(SimBoard(), "nope")


def test_the_muscles_injections_need_muscles_and_say_how_to_give_them() -> None:
    for name in ("spasm", "electrode-off", "emg-lost", "emg-late", "emg-heal"):
        with pytest.raises(InjectionError, match="no muscles: start the simulator with EMG"):
            inject(SimBoard(seed=1), name)
