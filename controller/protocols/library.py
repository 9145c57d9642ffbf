"""Protocols by name (the built-in presets) or from a TOML file of the same shape."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from pathlib import Path

from pydantic import ValidationError

from controller.protocols.checks import ProtocolError
from controller.protocols.models import ProtocolFile


@cache
def presets() -> dict[str, ProtocolFile]:
    text = files("controller.protocols").joinpath("presets.toml").read_text(encoding="utf-8")
    return {name: _parse(name, body, "presets") for name, body in tomllib.loads(text).items()}


def load_protocol(
    name_or_path: str, library: dict[str, ProtocolFile] | None = None
) -> ProtocolFile:
    """A name in the library (the presets unless given: with the saved protocols, see
    controller/records/saved_protocols.py), or a path to a TOML file with `name`,
    `description`, `protocol`."""
    library = presets() if library is None else library
    if name_or_path in library:
        return library[name_or_path]
    path = Path(name_or_path)
    if not path.exists():
        raise ProtocolError(
            f"{name_or_path}: no such protocol or file; the library: {', '.join(sorted(library))}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read a TOML protocol: {exc}") from exc
    return parse_protocol_text(text, str(path))


def parse_protocol_text(text: str, source: str) -> ProtocolFile:
    """A protocol file's text (the console's upload), checked as `load_protocol` checks it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: cannot read a TOML protocol: {exc}") from exc
    return _parse(str(data.pop("name", Path(source).stem)), data, source)


def _parse(name: str, body: dict[str, object], source: str) -> ProtocolFile:
    try:
        return ProtocolFile.model_validate({"name": name, **body})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])} = {err.get('input')!r}: {err['msg']}"
            for err in exc.errors()
        )
        raise ProtocolError(f"{source}: protocol {name!r}: {problems}") from exc
