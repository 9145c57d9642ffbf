"""The simulator's control interface: JSON lines over TCP, loopback only by default.

One request per line, one reply per line (docs/simulator.md has the full protocol):
    {"op": "inject", "name": "patient-press", "params": {}}  -> {"ok": true}
    {"op": "state"}                                          -> {"ok": true, "state": {...}}
    {"op": "list"}                                           -> {"ok": true, "injections": [...]}
    {"op": "advance", "seconds": 1.5}   (virtual time only)  -> {"ok": true, "elapsed_s": ...}
Any error -> {"ok": false, "error": "..."}; the board is unchanged by a refused request.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import structlog

from sim.board import SimBoard
from sim.clock import BoardTime
from sim.injection import InjectionError, describe, inject

log = structlog.get_logger(__name__)
MAX_LINE = 64 * 1024


class ControlFrontEnd:
    def __init__(self, board: SimBoard, time: BoardTime) -> None:
        self.board = board
        self.time = time

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                reply = self.execute(line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    def execute(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("a request is a JSON object")
            return {"ok": True, **self._dispatch(request)}
        except (ValueError, InjectionError, RuntimeError) as exc:
            return {"ok": False, "error": str(exc)}

    def _dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        self.time.catch_up()
        if op == "inject":
            name = request.get("name")
            params = request.get("params") or {}
            if not isinstance(name, str) or not isinstance(params, dict):
                raise ValueError("inject needs a string 'name' and an object 'params'")
            inject(self.board, name, params)
            log.info("injected", name=name, params=params)
            return {}
        if op == "state":
            return {"state": self.board.snapshot()}
        if op == "list":
            return {"injections": describe()}
        if op == "advance":
            seconds = request.get("seconds")
            if not isinstance(seconds, int | float) or not math.isfinite(seconds):
                raise ValueError("advance needs a number of 'seconds'")
            self.time.advance(float(seconds))
            return {"elapsed_s": self.board.elapsed_s}
        raise ValueError(f"unknown op {op!r}; use inject, state, list or advance")
