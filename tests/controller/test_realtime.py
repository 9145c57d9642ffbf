"""The real-time grants are taken for the treatment and all given back after it."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path

import pytest

from controller.core import realtime
from controller.core.realtime import (
    GIL_SWITCH_S,
    LOCKING_PRIORITY,
    REALTIME_PRIORITY,
    SERVING_PRIORITY,
    Grants,
    realtime_thread,
)
from sim.server import BOARD_PRIORITY


def locked_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmLck:"):
            return int(line.split()[1])
    return 0


@pytest.mark.requirement("SR-042")
def test_the_control_thread_gets_priority_locked_memory_and_a_short_gil_hand_over() -> None:
    seen: dict[str, object] = {}

    def control() -> None:  # its own thread: the test runner's never changes priority
        before = os.sched_getscheduler(0)
        with realtime_thread() as grants:
            seen["grants"] = grants
            seen["switch"] = sys.getswitchinterval()
            seen["policy"] = os.sched_getscheduler(0)
            seen["priority"] = os.sched_getparam(0).sched_priority
            seen["locked"] = locked_kib()
        seen["policy_after"] = os.sched_getscheduler(0)
        seen["policy_before"] = before
        seen["switch_after"] = sys.getswitchinterval()
        seen["locked_after"] = locked_kib()

    switch = sys.getswitchinterval()
    thread = threading.Thread(target=control)
    thread.start()
    thread.join()
    grants = seen["grants"]
    assert isinstance(grants, Grants)
    assert seen["switch"] == GIL_SWITCH_S
    if grants.priority:  # root or CAP_SYS_NICE, as in CI
        assert seen["policy"] == os.SCHED_FIFO and seen["priority"] == REALTIME_PRIORITY
    if grants.memory_locked:
        assert isinstance(seen["locked"], int) and seen["locked"] > 0
    assert seen["policy_after"] == seen["policy_before"]
    assert seen["switch_after"] == switch
    assert seen["locked_after"] == 0


class _WatchedLibc:
    """The real C library, noting the calling thread's priority at each lock and unlock."""

    def __init__(self, real: ctypes.CDLL) -> None:
        self.real = real
        self.seen: list[tuple[str, int, int]] = []

    def _note(self, what: str) -> None:
        self.seen.append((what, os.sched_getscheduler(0), os.sched_getparam(0).sched_priority))

    def mlockall(self, flags: int) -> int:
        self._note("lock")
        return int(self.real.mlockall(flags))

    def munlockall(self) -> int:
        self._note("unlock")
        return int(self.real.munlockall())


@pytest.mark.requirement("SR-044")
def test_memory_is_locked_and_unlocked_below_every_real_time_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At the control thread's priority the kernel's walk of every page would hold every
    other session's loop and board off."""
    libc = realtime._libc()
    assert libc is not None
    watched = _WatchedLibc(libc)
    monkeypatch.setattr(realtime, "_libc", lambda: watched)
    seen: dict[str, object] = {}

    def control() -> None:
        with realtime_thread() as grants:
            seen["grants"] = grants

    thread = threading.Thread(target=control)
    thread.start()
    thread.join()
    grants = seen["grants"]
    assert isinstance(grants, Grants)
    if not grants.memory_locked:
        pytest.skip("mlockall not allowed here: nothing is locked")
    assert [what for what, _, _ in watched.seen] == ["lock", "unlock"]
    if not grants.priority:
        pytest.skip("SCHED_FIFO not allowed here: the lock runs at ordinary priority")
    assert LOCKING_PRIORITY < SERVING_PRIORITY < BOARD_PRIORITY < REALTIME_PRIORITY
    for _what, policy, priority in watched.seen:
        assert (policy, priority) == (os.SCHED_FIFO, LOCKING_PRIORITY)
