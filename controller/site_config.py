"""Site configuration: the technician types the protocol and the weight, nothing else.

Where the table is, which limits file is in force and where records go come from, in order:
the command line, the environment (TRACTION_DEVICE, TRACTION_LIMITS, TRACTION_RECORDS), the
site file (TRACTION_CONFIG, else ~/.config/traction/site.toml), then the defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DEVICE = "sim://"
DEFAULT_SITE_FILE = Path.home() / ".config" / "traction" / "site.toml"
_KEYS = {"device": "TRACTION_DEVICE", "limits": "TRACTION_LIMITS", "records": "TRACTION_RECORDS"}


class SiteConfigError(ValueError):
    """An unreadable or malformed site file; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    device: str = DEFAULT_DEVICE
    limits: Path | None = None
    records: Path | None = None


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
    return SiteConfig(
        device=chosen.get("device", DEFAULT_DEVICE),
        limits=Path(chosen["limits"]) if "limits" in chosen else None,
        records=Path(chosen["records"]) if "records" in chosen else None,
    )


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
