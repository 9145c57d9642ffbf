"""Opening a real Lab Streaming Layer stream: found within its bound, and refused with the
reason when it cannot carry the muscle signal (liblsl from pylsl's wheel, on this machine)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np
import pylsl
import pytest

from controller.muscles.lsl_source import configure_lsl, lsl_source
from controller.muscles.source import MuscleSourceError
from controller.muscles.watch import MuscleWatch, Signal

pytestmark = [pytest.mark.realtime, pytest.mark.requirement("SR-056")]
LEFT, RIGHT = "paravertebral-left", "paravertebral-right"


def outlet(
    name: str,
    *,
    rate: float = 1000.0,
    labels: tuple[str, ...] = (LEFT, RIGHT),
    unit: str = "microvolts",
    source_id: str = "",
) -> pylsl.StreamOutlet:
    configure_lsl()
    info = pylsl.StreamInfo(name, "EMG", len(labels), rate, pylsl.cf_float32, source_id or name)
    channels = info.desc().append_child("channels")
    for label in labels:
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
    return pylsl.StreamOutlet(info)


@pytest.fixture
def name() -> Iterator[str]:
    yield f"test-emg-{os.getpid()}-{time.monotonic_ns()}"


def url(name: str, extra: str = "") -> str:
    return f"lsl://?type=EMG&name={name}&timeout=2{extra}"


def test_a_stream_streaming_is_read_good_in_microvolts_from_millivolts(name: str) -> None:
    out = outlet(name, labels=("ref", RIGHT, LEFT), unit="millivolts")
    source = lsl_source(url(name))
    source.open()
    watch = MuscleWatch(source, 50.0)
    rng = np.random.default_rng(0)
    try:
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            # 5 uV RMS noise on the left, 10 on the right, given in mV, the columns reordered
            chunk = rng.normal(0.0, 1.0, (20, 3)) * np.array([0.0, 0.010, 0.005]) * 1.08
            out.push_chunk(chunk.tolist())
            watch.update(time.monotonic())
            time.sleep(0.02)
    finally:
        source.close()
    r = watch.reading
    assert r.signal is Signal.GOOD
    assert r.left_uv == pytest.approx(5.0, rel=0.25) and r.right_uv == pytest.approx(10.0, rel=0.25)


def test_no_stream_is_refused_with_its_bound_named(name: str) -> None:
    with pytest.raises(MuscleSourceError, match=r"found within 0\.5 s"):
        lsl_source(f"lsl://?type=EMG&name={name}&timeout=0.5").open()


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"rate": 500.0}, "states 500 Hz"),
        ({"labels": ("ch1", "ch2")}, "has no channel 'paravertebral-left'"),
        ({"unit": "counts"}, "is not a voltage"),
    ],
)
def test_a_stream_that_cannot_carry_the_signal_is_refused_naming_why(
    name: str, kw: dict[str, object], words: str
) -> None:
    out = outlet(name, **kw)  # type: ignore[arg-type]
    with pytest.raises(MuscleSourceError, match=words):
        lsl_source(url(name)).open()
    del out


def test_two_streams_answering_the_query_are_refused(name: str) -> None:
    first = outlet(name, source_id=f"{name}-a")
    second = outlet(name, source_id=f"{name}-b")
    with pytest.raises(MuscleSourceError, match="more than one stream"):
        lsl_source(url(name)).open()
    del first, second
