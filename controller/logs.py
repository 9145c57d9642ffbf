"""structlog set-up shared by every command.

Two outputs: readable lines (or JSON with --log-json) on stderr at the chosen level, and JSON
lines in a file (site configuration `logs`, default beside the records store) at info or
below, so that what the technician did not watch is still on disk. The id of the session
in progress is added to every line, from whichever thread logs it (contextvars do not
follow a new thread, so it is held here).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import structlog

LEVELS = ("debug", "info", "warning", "error")
FILE_LEVEL = logging.INFO
_session: dict[str, int] = {}


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
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer()
                if json
                else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
            ],
        )
    )
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
