"""The relaxation figures in words, the same for the terminal, the console and the report.

They take the figures as recorded (the dicts of `Relaxation.as_dict` and `EmgFigures.as_dict`,
as the session record keeps them), so a report drawn years later says what the summary said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _num(value: Any, fmt: str, unit: str, missing: str = "not measured") -> str:
    return missing if value is None else f"{format(value, fmt)}{unit}"


# The sentences, as catalogue entries whose parts are quantities or catalogue words, so the
# console and the report say them in any language (controller/words/catalogue.py's said).
RELAXATION = (
    "relaxation (force and position, {holds} hold(s)): index {index}, creep {creep}, "
    "stiffness {first} -> {last}"
)
RELAXATION_CHANGE = RELAXATION + " ({change})"
EMG_LEVELS = (
    "muscles (EMG): resting baseline {baseline}, threshold {threshold}, mean in holds {mean}, "
    "first to last hold {reduction}"
)
LOWER = "{pct} lower"
GUARDING = (
    "guarding: {episodes} episode(s), mean {mean}; back to baseline after a ramp in "
    "{returns} of {holds} hold(s); signal reliable {reliable} of the time"
)
GUARDING_ONSET = (
    "guarding: {episodes} episode(s), mean {mean}, first at {onset}; back to baseline after "
    "a ramp in {returns} of {holds} hold(s); signal reliable {reliable} of the time"
)
NOT_RECORDED = "relaxation (force and position): not recorded"
NOT_CONNECTED = "muscles (EMG): not connected"


def relaxation_lines(relaxation: Mapping[str, Any] | None) -> list[str]:
    """From force and position (no electrodes): every session has them."""
    if relaxation is None:
        return [NOT_RECORDED]
    change = relaxation.get("stiffness_change_pct")
    parts = {
        "holds": len(relaxation.get("holds") or []),
        "index": _num(relaxation.get("mean_index_pct"), ".1f", " %"),
        "creep": _num(relaxation.get("total_creep_mm"), ".1f", " mm"),
        "first": _num(relaxation.get("stiffness_first_n_mm"), ".1f", " N/mm"),
        "last": _num(relaxation.get("stiffness_last_n_mm"), ".1f", " N/mm", "one ramp only"),
    }
    if change is None:
        return [RELAXATION.format(**parts)]
    return [RELAXATION_CHANGE.format(**parts, change=f"{change:+.0f} %")]


def emg_lines(emg: Mapping[str, Any] | None) -> list[str]:
    """From the muscle signal, when one was connected."""
    if emg is None:
        return [NOT_CONNECTED]
    holds = emg.get("holds") or []
    returns = [h["return_s"] for h in holds if h.get("return_s") is not None]
    onset = emg.get("guarding_onset_n") or []
    reduction = emg.get("reduction_pct")
    levels = EMG_LEVELS.format(
        baseline=_num(emg.get("baseline_uv"), ".1f", " uV"),
        threshold=_num(emg.get("threshold_uv"), ".1f", " uV"),
        mean=_num(emg.get("mean_hold_uv"), ".1f", " uV"),
        reduction="one hold only" if reduction is None else LOWER.format(pct=f"{reduction:.0f} %"),
    )
    parts = {
        "episodes": emg.get("guarding_episodes", 0),
        "mean": f"{emg.get('guarding_mean_s', 0.0):.1f} s",
        "returns": len(returns),
        "holds": len(holds),
        "reliable": f"{100 * emg.get('reliable_share', 0.0):.0f} %",
    }
    if onset:
        return [levels, GUARDING_ONSET.format(**parts, onset=f"{onset[0]:.0f} N")]
    return [levels, GUARDING.format(**parts)]
