"""What a wall-clock control loop asks of the operating system, and gives back afterwards.

A 100 Hz loop that must never miss a deadline cannot wait behind ordinary processes, page
faults or another Python thread holding the GIL. For the length of a treatment the control
thread asks for SCHED_FIFO, the process locks its memory (no page fault in a cycle, now or
as the session's history grows), and the GIL is handed over sooner than Python's default
5 ms so that the display and records threads of `traction run` cannot hold the control
thread off for half a period. Each grant is optional: without the right (no CAP_SYS_NICE,
no CAP_IPC_LOCK, not Linux) the loop runs anyway and the log says what it lacks. Never for
virtual time: that loop never sleeps and would starve everything else.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import structlog

from firmware_bridge.link import WallClock

log = structlog.get_logger(__name__)

REALTIME_PRIORITY = 50  # above the simulated board's 40 (docs/benchmarks.md), below IRQ threads
SERVING_PRIORITY = 30  # a thread that shares the GIL with the control thread (the console's)
LOCKING_PRIORITY = 1  # while locking or unlocking memory: above ordinary processes, below all else
GIL_SWITCH_S = 0.0005  # longest another thread keeps the GIL once the control thread wants it
_MCL_CURRENT = 1  # <sys/mman.h>
_MCL_FUTURE = 2


@dataclass(frozen=True, slots=True)
class Grants:
    priority: bool
    memory_locked: bool


def _libc() -> ctypes.CDLL | None:
    """The C library already loaded in this process (no ldconfig lookup)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _fifo(priority: int) -> str | None:
    """The calling thread at SCHED_FIFO `priority`; None, or why not."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (PermissionError, OSError, AttributeError) as exc:
        return str(exc)
    return None


def _raise_priority(priority: int = REALTIME_PRIORITY, what: str = "control loop") -> bool:
    refused = _fifo(priority)
    if refused is not None:
        log.info(f"{what} at normal priority", reason=refused)
    return refused is None


def serving_thread(what: str = "console channel thread") -> bool:
    """The calling thread shares the GIL with the control thread (the console's channel to
    its web process, controller/console/remote.py; the records writer during a session):
    at SCHED_FIFO below it, so that the scheduler can never preempt it for an ordinary
    process while it holds the GIL the control thread is waiting for (priority inversion:
    the control thread held off for as long as this thread waits for a CPU, a whole time
    slice of a browser's). It only runs when it has work, so it takes nothing from anyone
    while idle."""
    granted = _raise_priority(SERVING_PRIORITY, what)
    log.info(what, priority=granted)
    return granted


def _lower_priority() -> None:
    with contextlib.suppress(PermissionError, OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _lock_memory(libc: ctypes.CDLL | None) -> bool:
    if libc is None or not hasattr(libc, "mlockall"):
        log.info("memory not locked", reason="no mlockall on this system")
        return False
    if libc.mlockall(_MCL_CURRENT | _MCL_FUTURE) != 0:
        log.info("memory not locked", reason=os.strerror(ctypes.get_errno()))
        return False
    return True


@contextlib.contextmanager
def realtime_thread() -> Iterator[Grants]:
    """Run the calling thread's block as the real-time control thread.

    Locking the memory faults in every page of the process (tens of ms, more on a machine
    whose memory the hypervisor has not yet backed), and unlocking it walks them all again,
    in the kernel, at the caller's priority. At the control thread's it would hold every
    other real-time thread on its CPU off for as long: sessions starting together would stop
    each other's loops and boards past the overrun limit and the board's watchdog
    (bench/session_start_holdoff.py measures it). So both are done at LOCKING_PRIORITY: ahead of
    every ordinary process (the lock is not left behind a browser's start-up), behind every
    control loop, board and serving thread."""
    libc = _libc()
    switch = sys.getswitchinterval()
    locking = _fifo(LOCKING_PRIORITY) is None
    locked = _lock_memory(libc)
    grants = Grants(priority=_raise_priority(), memory_locked=locked)
    sys.setswitchinterval(GIL_SWITCH_S)
    log.info("real-time control thread", priority=grants.priority, memory=grants.memory_locked)
    try:
        yield grants
    finally:
        sys.setswitchinterval(switch)
        if grants.priority or locking:
            _fifo(LOCKING_PRIORITY)
        if grants.memory_locked and libc is not None:
            libc.munlockall()
        if grants.priority or locking:
            _lower_priority()


def control_thread_for(clock: object) -> AbstractContextManager[Grants | None]:
    """What a control loop on `clock` runs in: the real-time grants on the wall clock (every
    loop that moves the carriage -- a treatment, homing), none for virtual time, whose loop
    never sleeps and at SCHED_FIFO would starve everything else."""
    if isinstance(clock, WallClock):
        return realtime_thread()
    return contextlib.nullcontext()
