"""Typed errors of the link: every way talking to the board can fail has a class here.

Callers (the safety layer above all) decide by type: a timeout counts toward the link
liveness limit, a Modbus exception means the board refused, a decode error means the reply
was malformed. None of them ever carries a partly decoded snapshot.
"""

from __future__ import annotations

from firmware_bridge.icd import ExceptionCode


class LinkError(Exception):
    """Base of every error raised by the bridge."""


class TargetError(LinkError):
    """A target URL that cannot be understood; nothing was opened."""


class ConnectError(LinkError):
    """The transport could not be opened or was lost."""


class LinkTimeout(LinkError):
    """No (valid) reply within the transaction timeout, after the allowed attempts."""


class ModbusExceptionReply(LinkError):
    """The board answered with a Modbus exception: it refused the request and changed nothing."""

    def __init__(self, function_code: int, code: int) -> None:
        self.function_code = function_code
        self.code = code
        try:
            label = ExceptionCode(code).name
        except ValueError:
            label = f"unknown exception {code}"
        super().__init__(f"board refused function 0x{function_code:02X}: {label} ({code})")


class DecodeError(LinkError):
    """A reply that does not decode to exactly what was asked for."""


class EncodeError(LinkError):
    """A value that cannot be represented in its register; nothing was sent."""


class StaleReply(LinkError):
    """A reply that belongs to an earlier request (CMD_SEQ_ECHO does not match)."""


class BoardMismatch(LinkError):
    """The board is not the one this software was built for (ICD version, identity, limits)."""


class InterlockMismatch(LinkError):
    """The board's configuration read back differs from what was written: refuse the session."""


class PreconditionError(LinkError):
    """An operation the board would ignore in its present state (e.g. tare under load)."""
