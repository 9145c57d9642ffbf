"""The store's writer thread: the control loop hands rows over and never waits on the disk.

A commit with synchronous=FULL waits for fsync, which can take longer than a control
period; so the control thread only queues, and this thread commits. When it falls behind
(virtual time runs hundreds of times faster than the wall clock) it merges what is queued
into one transaction. A failed write stops the writer and is reported through `error`: the
recorder turns it into an alarm and a controlled stop, and what could not be written is
kept in `unsaved` for a last attempt elsewhere -- never dropped silently.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from controller.core.realtime import serving_thread
from controller.records.store import NewEvent, SampleRow, SessionInfo, SessionStore

log = structlog.get_logger(__name__)

SERVE_BOUND_S = 2.0  # longest a session's start waits for the writer to take its priority


@dataclass(slots=True)
class Batch:
    session_id: int
    samples: list[SampleRow] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    updates: dict[str, Any] = field(default_factory=dict)
    end: tuple[str, str, float] | None = None  # outcome, last state, t_s

    def merge(self, other: Batch) -> None:
        self.samples += other.samples
        self.events += other.events
        self.updates.update(other.updates)
        self.end = other.end or self.end


_STOP = object()


@dataclass(frozen=True, slots=True)
class _Call:
    """Work that must run on the writer's connection, with its answer."""

    fn: Callable[[SessionStore], Any]
    done: Future[Any]


class RecordWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: str | None = None
        self.unsaved: list[Batch] = []
        self.committed_cycles = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name="records-writer", daemon=True)
        self._thread.start()
        self._ready.result()  # an unusable store is refused here, before the session starts

    def begin(self, info: SessionInfo, t_s: float | None = None) -> int:
        done: Future[int] = Future()
        self._queue.put(_Call(lambda store: store.begin_session(info, t_s), done))
        return done.result()

    def put(self, batch: Batch) -> None:
        self._queue.put(batch)

    def serve_realtime(self) -> None:
        """For a session on the wall clock: this thread shares the GIL with the control
        thread, so it must not be preempted by ordinary processes while holding it
        (controller/core/realtime.py `serving_thread`). Asked of the thread itself, and waited
        for: until it is done the thread runs at ordinary priority, and a session's first
        cycles could wait behind it past the overrun limit. Bounded: a
        writer that does not answer in SERVE_BOUND_S is logged and left as it is. It ends
        with the thread (`close`)."""
        done: Future[bool] = Future()
        self._queue.put(_Call(lambda _store: serving_thread("records writer"), done))
        try:
            done.result(timeout=SERVE_BOUND_S)
        except TimeoutError:
            log.warning("records writer not raised in time", bound_s=SERVE_BOUND_S)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        try:
            store = SessionStore(self.path)
        except Exception as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            stopping = False
            while not stopping:
                waiting = [self._queue.get()]
                # what is queued now joins this round -- and no more: a producer as fast as
                # the drain (virtual time) would otherwise keep one round open all session
                for _ in range(self._queue.qsize()):
                    waiting.append(self._queue.get_nowait())
                for item in _merged(waiting):
                    if item is _STOP:
                        stopping = True
                    elif isinstance(item, Batch):
                        self._commit(store, item)
                    elif isinstance(item, _Call):
                        _call(store, item)
        finally:
            store.close()

    def _commit(self, store: SessionStore, batch: Batch) -> None:
        if self.error is not None:
            self.unsaved.append(batch)
            return
        try:
            store.append(batch.session_id, batch.samples, batch.events, **batch.updates)
            if batch.end is not None:
                store.end_session(batch.session_id, *batch.end)
        except (sqlite3.Error, OSError) as exc:
            self.error = f"{self.path}: {type(exc).__name__}: {exc}"
            self.unsaved.append(batch)
            log.error("records write failed", error=self.error, session_id=batch.session_id)
            return
        if batch.samples:
            self.committed_cycles = batch.samples[-1].cycle + 1
        log.debug(
            "records committed",
            session_id=batch.session_id,
            samples_through_cycle=self.committed_cycles - 1,
            events=len(batch.events),
            ended=batch.end is not None,
        )


def _merged(items: list[object]) -> list[object]:
    """Adjacent batches of one session become one batch (one transaction, one fsync)."""
    out: list[object] = []
    for item in items:
        last = out[-1] if out else None
        if (
            isinstance(item, Batch)
            and isinstance(last, Batch)
            and last.session_id == item.session_id
            and last.end is None
        ):
            last.merge(item)
        else:
            out.append(item)
    return out


def _call(store: SessionStore, call: _Call) -> None:
    try:
        call.done.set_result(call.fn(store))
    except Exception as exc:
        call.done.set_exception(exc)
