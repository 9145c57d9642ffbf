"""Token files: how a script or a HIL run acts for an account without a terminal.

The file holds a random token (controller/people/pins.py), readable by its owner only: a
token readable by others is refused, since whoever reads it acts with its account's role.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

TOKEN_ENV, USER_ENV = "TRACTION_TOKEN_FILE", "TRACTION_USER"


class TokenFileError(ValueError):
    """A token file that cannot be used; the message names the file and what to do."""


def read_token(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TokenFileError(f"{path}: cannot read the token file: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenFileError(f"{path}: others may read this token file: chmod 600 {path}")
    if not text:
        raise TokenFileError(f"{path}: the token file is empty")
    return text


def write_token(path: Path, token: str) -> None:
    """The token file, readable by its owner only, written without a moment of wider access."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    path.chmod(0o600)
