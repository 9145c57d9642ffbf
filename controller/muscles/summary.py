"""The relaxation figures in words, the same for the terminal, the console and the report.

They take the figures as recorded (the dicts of `Relaxation.as_dict` and `EmgFigures.as_dict`,
as the session record keeps them), so a report drawn years later says what the summary said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _num(value: Any, fmt: str, unit: str, missing: str = "not measured") -> str:
    return missing if value is None else f"{format(value, fmt)}{unit}"


def relaxation_lines(relaxation: Mapping[str, Any] | None) -> list[str]:
    """From force and position (no electrodes): every session has them."""
    if relaxation is None:
        return ["relaxation (force and position): not recorded"]
    holds = relaxation.get("holds") or []
    change = relaxation.get("stiffness_change_pct")
    return [
        f"relaxation (force and position, {len(holds)} hold(s)): index "
        f"{_num(relaxation.get('mean_index_pct'), '.1f', ' %')}, creep "
        f"{_num(relaxation.get('total_creep_mm'), '.1f', ' mm')}, stiffness "
        f"{_num(relaxation.get('stiffness_first_n_mm'), '.1f', ' N/mm')} -> "
        f"{_num(relaxation.get('stiffness_last_n_mm'), '.1f', ' N/mm', 'one ramp only')}"
        + ("" if change is None else f" ({change:+.0f} %)")
    ]


def emg_lines(emg: Mapping[str, Any] | None) -> list[str]:
    """From the muscle signal, when one was connected."""
    if emg is None:
        return ["muscles (EMG): not connected"]
    holds = emg.get("holds") or []
    returns = [h["return_s"] for h in holds if h.get("return_s") is not None]
    onset = emg.get("guarding_onset_n") or []
    return [
        f"muscles (EMG): resting baseline {_num(emg.get('baseline_uv'), '.1f', ' uV')}, "
        f"threshold {_num(emg.get('threshold_uv'), '.1f', ' uV')}, mean in holds "
        f"{_num(emg.get('mean_hold_uv'), '.1f', ' uV')}, first to last hold "
        f"{_num(emg.get('reduction_pct'), '.0f', ' % lower', 'one hold only')}",
        f"guarding: {emg.get('guarding_episodes', 0)} episode(s), mean "
        f"{emg.get('guarding_mean_s', 0.0):.1f} s"
        + (f", first at {onset[0]:.0f} N" if onset else "")
        + f"; back to baseline after a ramp in {len(returns)} of {len(holds)} hold(s)"
        + f"; signal reliable {100 * emg.get('reliable_share', 0.0):.0f} % of the time",
    ]
