"""The EMG filters, envelope and contact check on the simulated amplifier's raw samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.muscles.processing import Contact, EmgProcessor
from sim.emg_signal import EmgStream
from sim.muscles import Muscles, load_muscles

pytestmark = pytest.mark.requirement("SR-054")


def stream(envelope_uv: float, *, seconds: float = 2.0, seed: int = 3) -> np.ndarray:
    """`seconds` of the simulated amplifier at a steady envelope (hum and artefact included)."""
    profile = load_muscles("relaxed").model_copy(update={"resting_uv": envelope_uv})
    muscles = Muscles(profile, 75.0)
    emg = EmgStream(muscles, seed=seed)
    emg.produce_until(seconds)
    return np.concatenate([c.samples for c in emg.take(seconds)])


@pytest.mark.parametrize("envelope_uv", [3.0, 6.0, 25.0, 80.0])
def test_the_envelope_is_the_true_rms_within_ten_percent_despite_hum_and_artefact(
    envelope_uv: float,
) -> None:
    p = EmgProcessor(1000.0, 50.0)
    p.feed(stream(envelope_uv))
    left, right = p.view()
    for view, truth in ((left, envelope_uv), (right, envelope_uv)):
        assert view.envelope_uv == pytest.approx(truth, rel=0.10)
        assert view.contact is Contact.GOOD


@given(cuts=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12))
def test_chunks_of_any_size_give_the_output_of_the_whole(cuts: list[int]) -> None:
    raw = stream(6.0, seconds=1.5)
    whole = EmgProcessor(1000.0, 50.0)
    whole.feed(raw)
    chunked = EmgProcessor(1000.0, 50.0)
    at = 0
    for n in cuts:
        chunked.feed(raw[at : at + n])
        at += n
    chunked.feed(raw[at:])
    for a, b in zip(whole.view(), chunked.view(), strict=True):
        assert a.envelope_uv == pytest.approx(b.envelope_uv, rel=1e-9)


def test_the_notch_follows_the_site_mains() -> None:
    """A 60 Hz clinic: hum at 60 Hz is removed by a 60 Hz notch, not by a 50 Hz one."""
    t = np.arange(2000) / 1000.0
    rng = np.random.default_rng(1)
    raw = rng.normal(0, 5.0, (2000, 2)) + 200.0 * np.sin(2 * math.pi * 60.0 * t)[:, None]
    at_60, at_50 = EmgProcessor(1000.0, 60.0), EmgProcessor(1000.0, 50.0)
    at_60.feed(raw)
    at_50.feed(raw)
    assert at_60.view()[0].envelope_uv < 10.0
    assert at_50.view()[0].envelope_uv > 50.0


@pytest.mark.parametrize(
    ("how", "expected"),
    [("off-flat", Contact.FLAT), ("off-mains", Contact.MAINS), ("saturated", Contact.SATURATED)],
)
def test_an_electrode_off_is_named_never_read_as_relaxation(how: str, expected: Contact) -> None:
    profile = load_muscles("guarding")
    muscles = Muscles(profile, 75.0)
    muscles.faults.contact["left"] = how  # type: ignore[assignment]
    emg = EmgStream(muscles, seed=1)
    emg.produce_until(1.0)
    p = EmgProcessor(1000.0, 50.0)
    p.feed(np.concatenate([c.samples for c in emg.take(1.0)]))
    left, right = p.view()
    assert left.contact is expected
    assert right.contact is Contact.GOOD


def test_a_rate_that_cannot_carry_the_band_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot carry the 20-450 Hz band"):
        EmgProcessor(500.0, 50.0)
