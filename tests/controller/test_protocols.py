"""Protocols: models, the setpoint profile (pure, hypothesis), checks against the limits, CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.protocols.checks import ProtocolError, check_protocol
from controller.protocols.library import load_protocol, presets
from controller.protocols.models import (
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    Regressive,
    Static,
)
from controller.protocols.profile import RELEASE_PHASE, build_profile
from safety.limits import load_limits

LIMITS = load_limits()
ROOT = Path(__file__).resolve().parents[2]
forces = st.floats(30.0, 400.0)
phase_s = st.floats(1.0, 99.0)
rates = st.floats(5.0, 100.0)


def statics() -> st.SearchStrategy[Static]:
    return st.builds(
        Static,
        force_n=forces,
        duration_s=st.floats(1.0, 600.0),
        ramp_up_n_s=rates,
        ramp_down_n_s=rates,
    )


@st.composite
def intermittents(draw: st.DrawFn) -> Intermittent:
    hold = draw(forces)
    rest = draw(st.floats(0.0, hold - 1.0))
    length = draw(st.sampled_from(["cycles", "total_s"]))
    extra = (
        {"cycles": draw(st.integers(1, 6))}
        if length == "cycles"
        else {"total_s": draw(st.floats(1.0, 600.0))}
    )
    return Intermittent(
        hold_force_n=hold,
        hold_s=draw(phase_s),
        rest_force_n=rest,
        rest_s=draw(phase_s),
        ramp_up_n_s=draw(rates),
        ramp_down_n_s=draw(rates),
        **extra,
    )


@st.composite
def stepped(draw: st.DrawFn) -> Progressive | Regressive:
    a, b = sorted(draw(st.lists(forces, min_size=2, max_size=2, unique=True)))
    rising = draw(st.booleans())
    kind: type[Progressive] | type[Regressive] = Progressive if rising else Regressive
    start, end = (a, b) if rising else (b, a)
    return kind(
        start_force_n=start, end_force_n=end, steps=draw(st.integers(2, 8)), step_s=draw(phase_s)
    )


@st.composite
def cyclics(draw: st.DrawFn) -> Cyclic:
    peak = draw(forces)
    return Cyclic(
        peak_force_n=peak,
        base_force_n=draw(st.floats(0.0, peak - 1.0)),
        rise_s=draw(phase_s),
        fall_s=draw(phase_s),
        peak_s=draw(st.floats(0, 20)),
        base_s=draw(st.floats(0, 20)),
        cycles=draw(st.integers(1, 5)),
    )


protocols = st.one_of(statics(), intermittents(), stepped(), cyclics())


def forces_of(p: Static | Intermittent | Progressive | Regressive | Cyclic) -> list[float]:
    return [v for k, v in p.model_dump().items() if k.endswith("force_n")]


@given(protocols)
def test_profile_shape(p: Static | Intermittent | Progressive | Regressive | Cyclic) -> None:
    prof = build_profile(p)
    assert prof.at(0.0).force_n == pytest.approx(p.slack_take_up_n)
    end = prof.at(prof.total_s)
    assert end.force_n == pytest.approx(0.0, abs=1e-9) and end.phase == RELEASE_PHASE
    assert prof.peak_n <= max([*forces_of(p), p.slack_take_up_n]) + 1e-9
    for seg in prof.segments:
        assert seg.duration_s >= 0.0
        if not isinstance(p, Cyclic) and seg.duration_s > 0 and not seg.waits:
            rate = (seg.end_n - seg.start_n) / seg.duration_s
            assert rate <= p.ramp_up_n_s + 1e-6
            assert -rate <= p.ramp_down_n_s + 1e-6


@given(protocols, st.floats(0.0, 1.0))
def test_profile_is_continuous(
    p: Static | Intermittent | Progressive | Regressive | Cyclic, u: float
) -> None:
    prof = build_profile(p)
    t = u * prof.total_s
    before, after = prof.at(t - 1e-6).force_n, prof.at(t + 1e-6).force_n
    assert abs(after - before) < 1e-2


@given(intermittents())
def test_intermittent_time_at_force(p: Intermittent) -> None:
    held = sum(s.duration_s for s in build_profile(p).segments if s.waits)
    if p.total_s is not None:
        assert held == pytest.approx(p.total_s, rel=1e-9)
    else:
        assert p.cycles is not None
        assert held == pytest.approx(p.cycles * (p.hold_s + p.rest_s))


@given(cyclics())
def test_cyclic_cycles_run_whole_even_with_no_peak_or_base_time(p: Cyclic) -> None:
    """A peak or base of 0 s is skipped, never the end of the cycle (it once stopped the
    profile at the first peak: no fall, no later cycles)."""
    prof = build_profile(p)
    cycle_s = p.rise_s + p.peak_s + p.fall_s + p.base_s
    assert p.cycles is not None
    in_cycles = sum(s.duration_s for s in prof.segments if s.rep >= 0 and s.phase != RELEASE_PHASE)
    assert in_cycles == pytest.approx(p.cycles * cycle_s)
    falls = [s for s in prof.segments if s.phase == "fall"]
    assert len(falls) == p.cycles and all(s.end_n == p.base_force_n for s in falls)


def test_every_preset_loads_and_passes_for_an_average_patient() -> None:
    assert len(presets()) >= 7
    kinds = {entry.protocol.kind for entry in presets().values()}
    assert kinds == {"static", "intermittent", "progressive", "regressive", "cyclic", "program"}
    for entry in presets().values():
        checked = check_protocol(entry.protocol, LIMITS, 75.0)
        assert checked.profile.peak_n <= checked.force_limit_n


@pytest.mark.parametrize(
    ("protocol", "weight", "message"),
    [
        (Static(force_n=500.0, duration_s=60), 75.0, "force_n = 500 N: above the session force"),
        (Static(force_n=300.0, duration_s=60), 40.0, "235.4 N (lumbar, 40 kg)"),
        (Static(force_n=150.0, duration_s=60, region="cervical"), 75.0, "110.3 N (cervical"),
        (Static(force_n=200.0, duration_s=60, ramp_up_n_s=150.0), 75.0, "ramp_up_n_s = 150"),
        (Static(force_n=200.0, duration_s=60, slack_take_up_n=5.0), 75.0, "slack_take_up_n = 5"),
        (
            Cyclic(peak_force_n=300.0, base_force_n=0.0, rise_s=1.0, fall_s=10.0, cycles=2),
            75.0,
            "rise_s = 1 s: rising 300 N in it is 300.0 N/s",
        ),
        (
            Program(
                steps=[Static(force_n=100.0, duration_s=10), Static(force_n=900.0, duration_s=10)]
            ),
            75.0,
            "steps[1].force_n = 900",
        ),
        (Static(force_n=100.0, duration_s=60), 0.0, "weight_kg"),
    ],
)
@pytest.mark.requirement("SR-016")
def test_protocols_beyond_the_limits_are_refused_naming_field_value_and_rule(
    protocol: Static | Cyclic | Program, weight: float, message: str
) -> None:
    with pytest.raises(ProtocolError, match=re.escape(message)):
        check_protocol(protocol, LIMITS, weight)


def test_bad_protocol_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="no such protocol or file; the library: "):
        load_protocol("nope")
    bad = tmp_path / "p.toml"
    bad.write_text('protocol = { kind = "static", force_n = 100.0, duration_s = 0.5 }\n')
    with pytest.raises(ProtocolError, match=r"protocol\.static\.duration_s = 0\.5"):
        load_protocol(str(bad))
    bad.write_text('protocol = { kind = "static", force_n = 100.0, duration_s = 60, x = 1 }\n')
    with pytest.raises(ProtocolError, match="x = 1"):
        load_protocol(str(bad))
    bad.write_text("protocol = [")
    with pytest.raises(ProtocolError, match="cannot read"):
        load_protocol(str(bad))
    good = tmp_path / "mine.toml"
    good.write_text(
        'description = "d"\nprotocol = { kind = "static", force_n = 90.0, duration_s = 30.0 }\n'
    )
    assert load_protocol(str(good)).name == "mine"


def test_model_rules() -> None:
    with pytest.raises(ValueError, match="exactly one of cycles or total_s"):
        Intermittent(hold_force_n=100, hold_s=10, rest_force_n=10, rest_s=10)
    with pytest.raises(ValueError, match="rest_force_n must be below"):
        Intermittent(hold_force_n=100, hold_s=10, rest_force_n=100, rest_s=10, cycles=1)
    with pytest.raises(ValueError, match="rises"):
        Progressive(start_force_n=200, end_force_n=100, steps=3, step_s=10)
    with pytest.raises(ValueError, match="same region"):
        Program(
            steps=[
                Static(force_n=50, duration_s=5),
                Static(force_n=50, duration_s=5, region="cervical"),
            ]
        )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controller.cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_and_protocols_commands() -> None:
    ok = cli("check", "lumbar-static", "--weight", "75")
    assert ok.returncode == 0 and "planned peak 250.0 N" in ok.stdout and "hold" in ok.stdout
    refused = cli("check", "lumbar-intermittent", "--weight", "40")
    assert refused.returncode == 2 and "hold_force_n = 300 N" in refused.stderr
    listing = cli("protocols").stdout
    assert all(name in listing for name in presets())
