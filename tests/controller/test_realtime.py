"""The real-time grants are taken for the treatment and all given back after it."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from controller.realtime import GIL_SWITCH_S, REALTIME_PRIORITY, Grants, realtime_thread


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
