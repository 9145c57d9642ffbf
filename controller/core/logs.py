"""structlog set-up shared by every command.

Two outputs: readable lines (or JSON with --log-json) on stderr at the chosen level, and JSON
lines in a file (site configuration `logs`, default beside the records store) at info or
below, so that what the technician did not watch is still on disk. The id of the session
in progress is added to every line, from whichever thread logs it (contextvars do not
follow a new thread, so it is held here). Lines from third-party libraries (pymodbus,
uvicorn, ...) follow the project's own rule for repeats (controller/core/repeats.py): the first of
a kind is written, the rest are counted and told once in a summary (`summarise_library_lines`,
at the end of every control loop and of the process).
"""

from __future__ import annotations

import atexit
import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

LEVELS = ("debug", "info", "warning", "error")
FILE_LEVEL = logging.INFO
OWN_PACKAGES = frozenset({"controller", "safety", "firmware_bridge", "sim", "hil", "bench"})
_session: dict[str, int] = {}
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\d+(\.\d+)?")


class OnceThenCount(logging.Filter):
    """A third-party library's line is written the first time its kind is seen (its logger,
    level and text with numbers blanked), then counted until `summarise` tells the count.

    Why: pymodbus writes two error lines for every reply a bad board spoils, 100 times a
    second, where the project's own lines say the outage once. One instance sits on every
    handler; a record's verdict is kept on it so that each handler says the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, int, str], list[float]] = {}  # kind -> [repeats, first t]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] in OWN_PACKAGES:
            return True
        verdict = record.__dict__.get("once_then_count")
        if isinstance(verdict, bool):
            return verdict
        first = record.getMessage().split("\n", 1)[0]  # pymodbus appends a frame dump
        kind = (record.name, record.levelno, _NUMBERS.sub("N", first))
        with self._lock:
            run = self._runs.get(kind)
            if run is None:
                self._runs[kind] = [0, record.created]
            else:
                run[0] += 1
        record.once_then_count = run is None
        return run is None

    def summarise(self) -> list[tuple[str, str, int]]:
        """One line per kind that repeated since the last summary; the runs start afresh."""
        with self._lock:
            runs, self._runs = self._runs, {}
        told = []
        for (name, level, text), (repeats, since) in runs.items():
            if repeats:
                told.append((name, text, int(repeats)))
                structlog.get_logger(__name__).log(
                    level,
                    "library log line repeated",
                    library=name,
                    line=text,
                    repeats=int(repeats),
                    since=datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds"),
                )
        return told


LIBRARY_LINES = OnceThenCount()


def _first_line_of_libraries(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """On the terminal a library's record is one line (pymodbus adds up to 20 lines of frames
    to an error); the log file keeps it whole."""
    record = event.get("_record")
    text = event.get("event")
    if (
        isinstance(record, logging.LogRecord)
        and record.name.split(".", 1)[0] not in OWN_PACKAGES
        and isinstance(text, str)
        and "\n" in text
    ):
        first, rest = text.split("\n", 1)
        event["event"] = f"{first} (+{rest.count(chr(10)) + 1} lines in the log file)"
    return event


def summarise_library_lines() -> list[tuple[str, str, int]]:
    """Tell the counts of third-party lines held back since the last summary."""
    return LIBRARY_LINES.summarise()


atexit.register(summarise_library_lines)


def _add_session(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if "id" in _session:
        event.setdefault("session_id", _session["id"])
    return event


def bind_session(session_id: int) -> None:
    _session["id"] = session_id


def unbind_session() -> None:
    _session.pop("id", None)


def configure(level: str = "warning", *, json: bool = False, file: Path | None = None) -> None:
    console_level = getattr(logging, level.upper())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_session,
    ]
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _first_line_of_libraries],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer()
                if json
                else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
            ],
        )
    )
    console.addFilter(LIBRARY_LINES)
    handlers: list[logging.Handler] = [console]
    lowest = console_level
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(file, encoding="utf-8", delay=True)
        to_file.setLevel(min(FILE_LEVEL, console_level))
        to_file.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=shared,
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.dict_tracebacks,
                    structlog.processors.JSONRenderer(),
                ],
            )
        )
        to_file.addFilter(LIBRARY_LINES)
        handlers.append(to_file)
        lowest = min(lowest, to_file.level)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        old.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(lowest)
    logging.getLogger("transitions").setLevel(max(logging.WARNING, lowest))  # a line per callback
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(lowest),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
