"""Site configuration: the technician types the protocol and the weight, nothing else.

Where the table is, which limits file is in force, where records and logs go, which muscle
signal is connected and the mains frequency come from, in order: the command line, the
environment (TRACTION_DEVICE, TRACTION_LIMITS, TRACTION_RECORDS, TRACTION_LOGS, TRACTION_EMG,
TRACTION_MAINS_HZ), the site file (TRACTION_CONFIG, else ~/.config/traction/site.toml), then
the defaults: the records store in $XDG_DATA_HOME/traction (else ~/.local/share/traction), the
log file beside it, no muscle signal, 50 Hz.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from controller.muscles.monitor import BASELINE_S, MuscleSettings

DEFAULT_DEVICE = "sim://"
DEFAULT_SITE_FILE = Path.home() / ".config" / "traction" / "site.toml"
_KEYS = {
    "device": "TRACTION_DEVICE",
    "limits": "TRACTION_LIMITS",
    "records": "TRACTION_RECORDS",
    "logs": "TRACTION_LOGS",
    "emg": "TRACTION_EMG",  # the muscle signal's URL (lsl://?type=EMG..., sim://); none: none
    "mains_hz": "TRACTION_MAINS_HZ",  # the clinic's mains, for the EMG notch: 50 or 60
    "emg_baseline_s": "TRACTION_EMG_BASELINE_S",  # the resting baseline's length before a pull
}
BASELINE_RANGE_S = (3.0, 120.0)
MAINS_HZ = ("50", "60")
RECORDS_FILE = "records.sqlite3"
LOG_FILE = "traction.log.jsonl"


class SiteConfigError(ValueError):
    """An unreadable or malformed site file; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    device: str
    limits: Path | None
    records: Path
    logs: Path
    emg: str | None = None
    mains_hz: float = 50.0
    emg_baseline_s: float = BASELINE_S

    @property
    def muscle_settings(self) -> MuscleSettings:
        return MuscleSettings(baseline_s=self.emg_baseline_s)

    @property
    def reports(self) -> Path:
        return self.records.parent / "reports"

    def report_path(self, session_id: int) -> Path:
        return self.reports / f"session-{session_id}.png"


def site_config(
    *, cli: Mapping[str, str | None] | None = None, env: Mapping[str, str] | None = None
) -> SiteConfig:
    env = os.environ if env is None else env
    cli = cli or {}
    path = Path(env.get("TRACTION_CONFIG", str(DEFAULT_SITE_FILE)))
    file_values = _read(path) if path.exists() else {}
    chosen: dict[str, str] = {}
    for key, var in _KEYS.items():
        value = cli.get(key) or env.get(var) or file_values.get(key)
        if value:
            chosen[key] = value
    records = Path(chosen["records"]) if "records" in chosen else _data_dir(env) / RECORDS_FILE
    mains = chosen.get("mains_hz", "50")
    if mains not in MAINS_HZ:
        raise SiteConfigError(f"mains_hz {mains!r}: the mains frequency is 50 or 60 (Hz)")
    emg = chosen.get("emg")
    try:
        baseline = float(chosen.get("emg_baseline_s", BASELINE_S))
    except ValueError:
        raise SiteConfigError("emg_baseline_s: seconds, a number") from None
    if not BASELINE_RANGE_S[0] <= baseline <= BASELINE_RANGE_S[1]:
        low, high = BASELINE_RANGE_S
        raise SiteConfigError(f"emg_baseline_s {baseline:g}: from {low:g} to {high:g} s")
    return SiteConfig(
        device=chosen.get("device", DEFAULT_DEVICE),
        limits=Path(chosen["limits"]) if "limits" in chosen else None,
        records=records,
        logs=Path(chosen["logs"]) if "logs" in chosen else records.parent / LOG_FILE,
        emg=None if emg in (None, "", "none") else emg,
        mains_hz=float(mains),
        emg_baseline_s=baseline,
    )


def _data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "traction"


def _read(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteConfigError(f"{path}: cannot read the site file: {exc}") from exc
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise SiteConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}"
        )
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise SiteConfigError(f"{path}: {', '.join(bad)} must be text")
    return {k: str(v) for k, v in data.items()}
