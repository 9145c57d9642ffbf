"""Site configuration: the technician types the protocol and the weight, nothing else.

Where the table is, which limits file is in force, where records and logs go, which muscle
signal is connected and the mains frequency come from, in order: the command line, the
environment (TRACTION_DEVICE, TRACTION_LIMITS, TRACTION_RECORDS, TRACTION_LOGS, TRACTION_EMG,
TRACTION_MAINS_HZ, TRACTION_DATA, ...), the user's site file (TRACTION_CONFIG, else
~/.config/traction/site.toml), the table's site file (TRACTION_SYSTEM_CONFIG, else
/etc/traction/site.toml), then the defaults: the table's data directory /var/lib/traction
(TRACTION_SYSTEM_DATA), which holds the one store of the table -- records, register, accounts,
maintenance log -- for every login; the log file beside it, no muscle signal, 50 Hz.

Why one store per table and not per login: the records name the table's calibration, its
daily check and its patients, and a second login must see the same. Where the table's
directory cannot be used (not made yet, no write access: a developer's machine), the store
is the login's own ($XDG_DATA_HOME/traction) and `scope` says so, so that the console and the
commands can say it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controller.clinic.units import Units
from controller.muscles.monitor import BASELINE_S, MuscleSettings
from controller.words.catalogue import DEFAULT as DEFAULT_LANGUAGE
from controller.words.catalogue import checked

DEFAULT_DEVICE = "sim://"
DEFAULT_SITE_FILE = Path.home() / ".config" / "traction" / "site.toml"
SYSTEM_SITE_FILE = Path("/etc/traction/site.toml")
SYSTEM_DATA = Path("/var/lib/traction")
# whose store: the table's (every login), this login's own, or a file named by the site
TABLE, LOGIN, CONFIGURED = "table", "login", "configured"
_KEYS = {
    "device": "TRACTION_DEVICE",
    "limits": "TRACTION_LIMITS",
    "records": "TRACTION_RECORDS",
    "logs": "TRACTION_LOGS",
    "emg": "TRACTION_EMG",  # the muscle signal's URL (lsl://?type=EMG..., sim://); none: none
    "mains_hz": "TRACTION_MAINS_HZ",  # the clinic's mains, for the EMG notch: 50 or 60
    "emg_baseline_s": "TRACTION_EMG_BASELINE_S",  # the resting baseline's length before a pull
    "data": "TRACTION_DATA",  # the table's data directory (default /var/lib/traction)
    "lock_after_s": "TRACTION_LOCK_AFTER_S",  # the console locks after this long untouched
    "fhir_url": "TRACTION_FHIR_URL",  # the clinic's FHIR server (R4/R4B base URL)
    "fhir_token_file": "TRACTION_FHIR_TOKEN_FILE",  # its bearer token, in a mode-600 file
    "patient_system": "TRACTION_PATIENT_SYSTEM",  # the clinic's identifier system (a URI)
    "time_zone": "TRACTION_TIME_ZONE",  # the clinic's (IANA, Europe/Berlin); default: the machine's
    "force_unit": "TRACTION_FORCE_UNIT",  # what people read and write: N, kgf or lbf
    "weight_unit": "TRACTION_WEIGHT_UNIT",  # kg or lb
    "language": "TRACTION_LANGUAGE",  # the console's words: en, de or ru (a person's over it)
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOCK_AFTER_S = 120.0
LOCK_RANGE_S = (15.0, 1800.0)
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
    scope: str = TABLE
    lock_after_s: float = LOCK_AFTER_S
    fhir_url: str | None = None
    fhir_token_file: Path | None = None
    patient_system: str | None = None
    time_zone: str | None = None  # None: the machine's own
    units: Units = field(default_factory=Units)
    language: str = DEFAULT_LANGUAGE

    @property
    def demo_records(self) -> Path:
        """The demo's own store: a simulated table's calibration and sessions must never
        enter the table's maintenance log, where they would make a real table look ready."""
        return self.records.parent / "demo" / RECORDS_FILE

    def for_simulator(self) -> SiteConfig:
        """Where a simulated table records: its own store, unless the records were named."""
        if self.scope == CONFIGURED:
            return self
        return replace(self, records=self.demo_records, scope=CONFIGURED)

    @property
    def backups(self) -> Path:
        return self.records.parent / "backups"

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
    system = Path(env.get("TRACTION_SYSTEM_CONFIG", str(SYSTEM_SITE_FILE)))
    path = Path(env.get("TRACTION_CONFIG", str(DEFAULT_SITE_FILE)))
    file_values = {
        **(_read(system) if system.exists() else {}),
        **(_read(path) if path.exists() else {}),
    }
    chosen: dict[str, str] = {}
    for key, var in _KEYS.items():
        value = cli.get(key) or env.get(var) or file_values.get(key)
        if value:
            chosen[key] = value
    data, scope = _table_dir(env, chosen.get("data"))
    records = Path(chosen["records"]) if "records" in chosen else data / RECORDS_FILE
    scope = CONFIGURED if "records" in chosen else scope
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
    lock_after = _seconds(chosen, "lock_after_s", LOCK_AFTER_S, LOCK_RANGE_S)
    fhir_url = _fhir_url(chosen.get("fhir_url"))
    zone = chosen.get("time_zone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SiteConfigError(
                f"time_zone {zone!r}: an IANA time zone name, e.g. Europe/Berlin"
            ) from None
    try:
        units = Units(chosen.get("force_unit", "N"), chosen.get("weight_unit", "kg"))
        language = checked(chosen.get("language", DEFAULT_LANGUAGE))
    except ValueError as exc:
        raise SiteConfigError(str(exc)) from None
    patient_system = chosen.get("patient_system")
    if patient_system is not None and ":" not in patient_system:
        raise SiteConfigError(
            f"patient_system {patient_system!r}: the clinic's identifier system is a URI "
            "(urn:oid:..., https://...)"
        )
    return SiteConfig(
        device=chosen.get("device", DEFAULT_DEVICE),
        limits=Path(chosen["limits"]) if "limits" in chosen else None,
        records=records,
        logs=Path(chosen["logs"]) if "logs" in chosen else records.parent / LOG_FILE,
        emg=None if emg in (None, "", "none") else emg,
        mains_hz=float(mains),
        emg_baseline_s=baseline,
        scope=scope,
        lock_after_s=lock_after,
        fhir_url=fhir_url,
        fhir_token_file=Path(chosen["fhir_token_file"]) if "fhir_token_file" in chosen else None,
        patient_system=patient_system,
        time_zone=zone,
        units=units,
        language=language,
    )


def _fhir_url(url: str | None) -> str | None:
    """https, or http to this machine alone: patients' records never cross a network bare."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return url.rstrip("/")
    raise SiteConfigError(
        f"fhir_url {url!r}: https://, or http:// to this machine only (127.0.0.1, localhost)"
    )


def _seconds(
    chosen: Mapping[str, str], key: str, default: float, bounds: tuple[float, float]
) -> float:
    try:
        value = float(chosen.get(key, default))
    except ValueError:
        raise SiteConfigError(f"{key}: seconds, a number") from None
    if not bounds[0] <= value <= bounds[1]:
        raise SiteConfigError(f"{key} {value:g}: from {bounds[0]:g} to {bounds[1]:g} s")
    return value


def login_data_dir(env: Mapping[str, str]) -> Path:
    """This login's own data directory (the store before there was one per table)."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "traction"


def _table_dir(env: Mapping[str, str], configured: str | None) -> tuple[Path, str]:
    if configured:
        return Path(configured), TABLE
    system = Path(env.get("TRACTION_SYSTEM_DATA", str(SYSTEM_DATA)))
    if _usable(system):
        return system, TABLE
    return login_data_dir(env), LOGIN


def _usable(directory: Path) -> bool:
    """Writable, or creatable by this login (the installer makes it for the service's group)."""
    if directory.exists():
        return os.access(directory, os.W_OK | os.X_OK)
    parent = directory.parent
    return parent.exists() and os.access(parent, os.W_OK | os.X_OK)


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
