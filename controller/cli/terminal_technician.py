"""The technician at a terminal: instructions printed, confirmations typed, every wait bounded.

A confirmation is an explicit "yes" typed within the step's bound; anything else, or
silence (select on stdin, never a blocking read), is a no, so a procedure left unattended
fails instead of waiting forever.
"""

from __future__ import annotations

import select
import sys
import time

from controller.maintenance.technician import Action
from controller.words.catalogue import DEFAULT, said, speaker

YES = ("y", "yes", "j", "ja", "д", "да")  # as the prompt asks in English, German or Russian


class TerminalTechnician:
    def __init__(self, language: str = DEFAULT) -> None:
        self._write = sys.stdout.write
        self.language = language  # the site's: the instructions and the question in it

    def show(self, action: Action) -> None:
        self._write(f"  -> {said(self.language, action.text)}\n")
        sys.stdout.flush()

    def confirm(self, action: Action, timeout_s: float) -> bool:
        asked = speaker(self.language)("done? type yes (within {s} s): ", s=f"{timeout_s:g}")
        self._write(f"  -> {said(self.language, action.text)}\n     {asked}")
        sys.stdout.flush()
        return ask_yes(timeout_s)


def ask_yes(timeout_s: float) -> bool:
    """One line from stdin within timeout_s; True only for yes."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sys.stdin], [], [], left)
        if ready:
            line = sys.stdin.readline()
            if not line:
                return False  # end of input: nobody is there
            return line.strip().lower() in YES
    sys.stdout.write("\n     no answer in time\n")
    return False
