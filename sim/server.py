"""`traction sim`: one board served over Modbus TCP, RTU on a pty, and the control interface.

Everything runs on one asyncio loop (the board is touched only from that loop), either in
the caller's thread (`serve_forever`, the CLI) or in a background thread (`SimServer.running`,
for tests, benchmarks and the HIL suites). Listeners bind 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import structlog

from firmware_bridge import icd
from sim.board import SimBoard
from sim.clock import CATCH_UP_PERIOD_S, BoardTime, RealTime, SteppedTime
from sim.control_server import ControlFrontEnd
from sim.rtu_server import RtuPty
from sim.tcp_server import TcpFrontEnd

if TYPE_CHECKING:
    from sim.lsl_outlet import EmgOutlet

log = structlog.get_logger(__name__)
T = TypeVar("T")

LOOPBACK = "127.0.0.1"
DEFAULT_CONTROL_PORT = icd.DEFAULT_TCP_PORT + 1
# A board is dedicated hardware: it answers within its bound whatever else the host machine
# runs. The simulated one, when asked, runs its thread at SCHED_FIFO this high: above
# every ordinary process (a browser, a test run), below the host's control thread (50,
# controller/core/realtime.py), which must never wait for it.
BOARD_PRIORITY = 40


@dataclass(frozen=True, slots=True)
class ServeOptions:
    tcp: tuple[str, int] | None = (LOOPBACK, icd.DEFAULT_TCP_PORT)
    rtu_pty: bool = False
    control: tuple[str, int] | None = (LOOPBACK, DEFAULT_CONTROL_PORT)
    virtual: bool = False
    priority: int | None = None  # SCHED_FIFO for the board's thread (BOARD_PRIORITY); None: none
    emg_stream: str | None = None  # the muscles' LSL stream name (board with muscles); None: none


@dataclass(frozen=True, slots=True)
class Endpoints:
    tcp: tuple[str, int] | None
    rtu: str | None
    control: tuple[str, int] | None
    emg_stream: str | None = None  # the LSL stream of the simulated muscles, by name

    @property
    def emg_url(self) -> str:
        if self.emg_stream is None:
            raise RuntimeError("no EMG stream")
        return f"lsl://?type=EMG&name={self.emg_stream}"

    @property
    def tcp_url(self) -> str:
        if self.tcp is None:
            raise RuntimeError("no TCP listener")
        return f"tcp://{self.tcp[0]}:{self.tcp[1]}"

    @property
    def rtu_url(self) -> str:
        if self.rtu is None:
            raise RuntimeError("no RTU pty")
        return f"rtu://{self.rtu}?baud={icd.DEFAULT_BAUD}&parity={icd.DEFAULT_PARITY}"


class SimServer:
    def __init__(self, board: SimBoard, options: ServeOptions | None = None) -> None:
        self.board = board
        self.options = options or ServeOptions()
        self.time: BoardTime = SteppedTime(board) if self.options.virtual else RealTime(board)
        self.endpoints: Endpoints | None = None
        self._servers: list[asyncio.Server] = []
        self._pty: RtuPty | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._emg: asyncio.Task[None] | None = None
        self._outlet: EmgOutlet | None = None  # sim/lsl_outlet.py, imported when streaming
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None

    async def start(self) -> Endpoints:
        opts = self.options
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        tcp = control = None
        if opts.tcp is not None:
            server = await asyncio.start_server(
                TcpFrontEnd(self.board, self.time).handle, *opts.tcp
            )
            self._servers.append(server)
            tcp = _bound(server)
        if opts.control is not None:
            front = ControlFrontEnd(self.board, self.time)
            server = await asyncio.start_server(front.handle, *opts.control)
            self._servers.append(server)
            control = _bound(server)
        rtu = None
        if opts.rtu_pty:
            self._pty = RtuPty(self.board, self.time)
            self._pty.start()
            rtu = self._pty.path
        if opts.emg_stream is not None and self.board.emg is not None:
            from sim.lsl_outlet import EmgOutlet  # liblsl loads only for a board that streams

            self._outlet = EmgOutlet(self.board, name=opts.emg_stream)
            self._emg = asyncio.create_task(self._push_emg_forever(self._outlet))
        realtime = False
        if not opts.virtual:
            self._ticker = asyncio.create_task(self._tick_forever())
            realtime = opts.priority is not None and board_thread_priority(opts.priority)
        emg = None if self._outlet is None else self._outlet.name
        self.endpoints = Endpoints(tcp, rtu, control, emg)
        log.info(
            "simulator serving",
            tcp=tcp,
            rtu=rtu,
            control=control,
            emg=emg,
            virtual=opts.virtual,
            board_priority=opts.priority if realtime else None,
        )
        return self.endpoints

    async def _tick_forever(self) -> None:
        while True:
            self.time.catch_up()
            await asyncio.sleep(CATCH_UP_PERIOD_S)

    async def _push_emg_forever(self, outlet: EmgOutlet) -> None:
        while True:
            outlet.push()
            await asyncio.sleep(outlet.push_every_s)

    async def stop(self) -> None:
        for task in (self._ticker, self._emg):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._outlet is not None:
            self._outlet.close()
            self._outlet = None
        for server in self._servers:
            server.close()
            await server.wait_closed()
        if self._pty is not None:
            self._pty.close()
        if self._stopped is not None:
            self._stopped.set()

    async def serve_forever(self, on_ready: Callable[[Endpoints], None]) -> None:
        """`traction sim`'s own process. A board has no garbage collector: the set-up's
        objects are frozen out of Python's full collections, which otherwise paused this
        process (and so the replies) for milliseconds at a time."""
        on_ready(await self.start())
        gc.collect()
        gc.freeze()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    # --- background thread (tests, benchmarks, HIL) ----------------------------------------
    def call(self, fn: Callable[[], T]) -> T:
        """Run fn on the server's loop (the only thread that may touch the board)."""
        if self._loop is None:
            raise RuntimeError("server not started")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    @contextlib.contextmanager
    def running(self) -> Iterator[Endpoints]:
        ready: Future[Endpoints] = Future()
        loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                ready.set_result(loop.run_until_complete(self.start()))
            except BaseException as exc:  # surface start-up failures in the caller
                ready.set_exception(exc)
                return
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        thread = threading.Thread(target=main, name="sim-server", daemon=True)
        thread.start()
        try:
            yield ready.result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)


def board_thread_priority(priority: int) -> bool:
    """The calling thread (the board's loop) at SCHED_FIFO `priority`, where allowed; without
    the right the board runs at ordinary priority and the log says so."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (PermissionError, OSError, AttributeError) as exc:
        log.info("simulated board at ordinary priority", reason=str(exc))
        return False
    return True


def _bound(server: asyncio.Server) -> tuple[str, int]:
    host, port = server.sockets[0].getsockname()[:2]
    return str(host), int(port)
