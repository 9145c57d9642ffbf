"""ApprovedCommand: the only thing TableLink.cycle writes, and only the safety gate makes one.

The bridge cannot import the safety layer (it sits below it), so the gate proves itself with
a key: the first module to claim it -- the safety gate, at import -- holds it, and a second
claim fails loudly. mypy then refuses any call of `cycle` with a plain Command, and the
constructor refuses any caller without the key at run time.
"""

from __future__ import annotations

from firmware_bridge.values import Command


class ApprovalKey:
    __slots__ = ()


_KEY = ApprovalKey()
_claimed = False


def claim_approval_key() -> ApprovalKey:
    """Hand the key to the safety gate; once per process."""
    global _claimed  # noqa: PLW0603 - a once-only latch is the point
    if _claimed:
        raise PermissionError("the command approval key has been claimed already")
    _claimed = True
    return _KEY


class ApprovedCommand:
    __slots__ = ("command",)

    def __init__(self, command: Command, key: ApprovalKey) -> None:
        if key is not _KEY:
            raise PermissionError("only the safety gate approves commands")
        self.command = command

    def __repr__(self) -> str:
        return f"ApprovedCommand({self.command!r})"
