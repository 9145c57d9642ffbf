"""Who is acting, for the commands that act: an account and its PIN, or a token file.

A store with no administrator yet is open: the command records the typed name (--operator,
--by) or the login name, as before accounts existed. Once the first administrator exists,
every acting command names an account: on a terminal the PIN is asked (never echoed); a
script or a HIL run gives a token file (`traction users token NAME --to FILE`, readable by
its owner only), which acts with its account's role. The role is checked here, before
anything is done, and a refusal names the role the task needs.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from controller.people.roles import Task
from controller.people.token_file import TOKEN_ENV, USER_ENV, TokenFileError, read_token
from controller.records.accounts import AccountError, User, accounts_exist, by_token, sign_in
from controller.records.opening import default_operator
from controller.records.store import SessionStore

EXIT_REFUSED = 2


def add_identity_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--user", default=None, help=f"your account; its PIN is asked (default: ${USER_ENV})"
    )
    p.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help=f"act with a token file's account: scripts, HIL (default: ${TOKEN_ENV})",
    )
    p.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read PINs from standard input, one a line, instead of asking on the terminal",
    )


class Pins:
    """Where PINs come from: the terminal (not echoed), or standard input's lines."""

    def __init__(self, args: argparse.Namespace, stdin: TextIO | None = None) -> None:
        self.from_stdin = bool(getattr(args, "pin_stdin", False))
        self.stdin = stdin or sys.stdin
        self._lines: Iterator[str] | None = None

    def ask(self, prompt: str, *, confirm: bool = False) -> str:
        if self.from_stdin:
            if self._lines is None:
                self._lines = iter(self.stdin)
            line = next(self._lines, None)
            if line is None:
                raise AccountError(f"{prompt.rstrip(': ')}: no line left on standard input")
            return str(line).rstrip("\r\n")
        if not self.stdin.isatty():
            raise AccountError(
                "no terminal to ask the PIN on: use --pin-stdin, or a token file "
                "(traction users token NAME --to FILE)"
            )
        pin = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != pin:
            raise AccountError("the two PINs differ: nothing was changed")
        return pin


def signed_in(args: argparse.Namespace, store: SessionStore, pins: Pins) -> User:
    """The account acting, from the token file or the name and its PIN; AccountError if none."""
    token_file = getattr(args, "token_file", None) or os.environ.get(TOKEN_ENV)
    if token_file:
        try:
            token = read_token(Path(token_file))
        except TokenFileError as exc:
            raise AccountError(str(exc)) from None
        return by_token(store, token)
    name = getattr(args, "user", None) or os.environ.get(USER_ENV)
    if not name:
        raise AccountError(
            "this table has accounts: name yours with --user (or a token file, --token-file)"
        )
    return sign_in(store, name, pins.ask(f"PIN for {name}: "))


def acting(
    args: argparse.Namespace, store: SessionStore, task: Task, typed: str | None = None
) -> str:
    """The name to record for `task`; AccountError when nobody may be named or the role
    may not. `typed`: the free name (--operator, --by), used only on an open store."""
    if not accounts_exist(store):
        return typed or default_operator()
    user = signed_in(args, store, Pins(args))
    if typed and typed.strip().lower() != user.name.lower():
        raise AccountError(f"{typed!r} is not the account acting ({user.name}): leave it out")
    user.require(task)
    return user.name
