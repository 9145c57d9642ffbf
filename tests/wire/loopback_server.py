"""An asyncio TCP server on 127.0.0.1 in a thread of its own, for boards that misbehave."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from sim.server import board_thread_priority

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class LoopbackServer:
    """Serves `handle` on a free loopback port until `stop()`; `priority`: its thread at
    SCHED_FIFO, as a simulated board's (a board answers on time whatever the host does)."""

    def __init__(self, handle: Handler, name: str, priority: int | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()

        async def start() -> None:
            self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        def main() -> None:
            if priority is not None:
                board_thread_priority(priority)
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        self.thread = threading.Thread(target=main, name=name, daemon=True)
        self.thread.start()
        if not ready.wait(5):
            raise RuntimeError(f"{name}: the server did not start")

    def stop(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
