"""Operator prompts: a step that needs a person asks on the terminal and waits, with a timeout.

The question and the answer (or the timeout) go into the test record. Without a terminal
(CI) nobody can answer: the prompt times out at once rather than hanging the run. A script
of answers (`--operator-script FILE`, TOML: step = "answer") stands in for the person when
the simulator poses as a real table; in that case the suite performs the step on the
simulator itself (see `table.py`), as the person would on the bench.
"""

from __future__ import annotations

import os
import select
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hil.targets import OperatorStep

TTY = "/dev/tty"


@dataclass(frozen=True, slots=True)
class Prompt:
    step: str
    question: str
    answer: str | None  # None: no answer within the timeout
    asked_at: str
    waited_s: float
    source: str  # "terminal", "script" or "nobody"

    @property
    def confirmed(self) -> bool:
        return self.answer is not None and self.answer.strip().lower() in ("y", "yes", "done", "ok")


@dataclass
class Operator:
    timeout_s: float
    script: dict[str, str] = field(default_factory=dict)
    prompts: list[Prompt] = field(default_factory=list)

    def ask_once(self, step: OperatorStep, question: str) -> Prompt:
        """For a step that stays done for the run (the test load stays attached): the first
        answer, confirmed or not, stands for every later test -- nobody is asked twice."""
        earlier = next((p for p in self.prompts if p.step == step.value), None)
        return earlier if earlier is not None else self.ask(step, question)

    def ask(self, step: OperatorStep, question: str) -> Prompt:
        asked = datetime.now(UTC).isoformat(timespec="seconds")
        start = time.monotonic()
        answer: str | None
        if step.value in self.script:
            answer, source = self.script[step.value], "script"
        else:
            answer, source = self._terminal(question)
        prompt = Prompt(step.value, question, answer, asked, time.monotonic() - start, source)
        self.prompts.append(prompt)
        return prompt

    def _terminal(self, question: str) -> tuple[str | None, str]:
        try:
            fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return None, "nobody"  # no terminal: nobody can answer
        try:
            text = (
                f"\n*** OPERATOR: {question}\n    answer 'done' (anything else refuses) "
                f"within {self.timeout_s:g} s: "
            )
            os.write(fd, text.encode())
            ready, _, _ = select.select([fd], [], [], self.timeout_s)
            if not ready:
                os.write(fd, b"\n    (no answer: timed out)\n")
                return None, "terminal"
            return os.read(fd, 1024).decode(errors="replace").strip(), "terminal"
        finally:
            os.close(fd)


def load_script(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {s.value for s in OperatorStep}
    if unknown:
        raise ValueError(f"{path}: unknown operator steps {sorted(unknown)}")
    return {k: str(v) for k, v in data.items()}
