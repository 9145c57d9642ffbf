"""One treatment run, for every front end: from the record begun to the report drawn.

`traction run`, `demo` and `live-demo`, the console, HIL and the campaign all run a treatment
the same way: open its recorder (no treatment without its record), run the session owner
(controller/run/session.py), wait for the end-of-session alarm to be answered (at a terminal, at
the console, or by nobody), close the record or mark it failed, draw the report. What is
left to a front end is how it shows the cycles and who answers the end. The result is a
`RunResult`: the session's end reason, or why it never started, with the exit code and the
words every front end says for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from controller.clinic.units import Units
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import EXIT_INVALID, EXIT_TABLE
from controller.core.preparation import Prepared, SelfTestError
from controller.core.session_states import ENDED, State
from controller.core.treatment import Treatment
from controller.maintenance.readiness import NotReady
from controller.muscles.monitor import MuscleSettings
from controller.muscles.source import MuscleSource, MuscleSourceError
from controller.protocols.checks import ProtocolError
from controller.protocols.models import ProtocolFile
from controller.records.opening import open_recorder
from controller.records.prescribing import ClinicalStart
from controller.run.session import Outcome, TreatmentSession
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from safety.limits import LimitsError, SafetyLimits

# refused before anything moved: the session never started, and says why
NOT_STARTED = (
    ProtocolError,
    TargetError,
    LimitsError,
    NotReady,
    SelfTestError,
    LinkError,
    MuscleSourceError,
)


class EndAnswer(Protocol):
    """Who answers the end-of-session alarm: a technician at a terminal or at the console,
    a scripted one, or nobody. `answer` returns once the end is acknowledged (it calls
    `run.acknowledge`) or its bound has passed (it says so with `run.note`)."""

    def answer(self, run: TreatmentRun, words: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """A front end with nobody at a simulated table to press a key (the demo, HIL, the
    campaign): the end is acknowledged at once, in the name of `by`."""

    by: str

    def answer(self, run: TreatmentRun, words: str) -> None:
        if run.awaits_answer:
            run.acknowledge(self.by)


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a treatment run ended: the session's outcome, or the error that kept it from
    starting; the record it left and whether it could be written; the report drawn."""

    outcome: Outcome | None
    error: BaseException | None  # one of NOT_STARTED when the session never started
    session_id: int  # 0: no record was begun
    report: Path | None
    records_error: str | None

    @property
    def exit_code(self) -> int:
        if self.records_error is not None:
            return EXIT_TABLE
        if self.outcome is not None:
            return self.outcome.end.exit_code
        if isinstance(self.error, ProtocolError | TargetError | LimitsError):
            return EXIT_INVALID
        return EXIT_TABLE

    @property
    def words(self) -> str:
        """What a front end says of the end, first (its details follow)."""
        if self.outcome is not None:
            return self.outcome.end.words
        if isinstance(self.error, ProtocolError | TargetError | LimitsError):
            return f"refused: {self.error}"
        if isinstance(self.error, NotReady):
            return f"refused: the table is not ready: {self.error}"
        return f"not started: {self.error}"


class TreatmentRun:
    """One treatment from its record begun to its report drawn. Construct it (the recorder
    opens here: RecordsError when the store cannot be used), `treat`, let the end be
    answered (`answer_end`), `close`. `session` is there from the start, for a front end's
    requests (pause, stop) and its subscription to the event stream."""

    def __init__(
        self,
        link: TableLink,
        entry: ProtocolFile,
        limits: SafetyLimits,
        weight_kg: float,
        *,
        records: Path | None,
        operator: str | None = None,
        patient_ref: str | None = None,
        clinical: ClinicalStart | None = None,
        attended: Callable[[], bool] | None = None,
        before_start: Callable[[Prepared], None] | None = None,
        muscles: MuscleSource | None = None,
        muscle_settings: MuscleSettings | None = None,
        mains_hz: float = 50.0,
        language: str = "en",
    ) -> None:
        """`records` None: a run with no record (benchmarks, the campaign's cells).
        `muscles`: the muscle signal's source, not yet opened (controller/muscles/)."""
        self.link = link
        self.recorder = (
            None
            if records is None
            else open_recorder(
                records,
                device_url=link.url,
                operator=operator,
                patient_ref=patient_ref,
                clinical=clinical,
                language=language,
            )
        )
        self.session = TreatmentSession(
            link,
            entry,
            limits,
            weight_kg,
            recorder=self.recorder,
            before_start=before_start,
            attended=attended,
            muscles=muscles,
            muscle_settings=muscle_settings,
            mains_hz=mains_hz,
        )
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self._closed: RunResult | None = None

    @property
    def session_id(self) -> int:
        return 0 if self.recorder is None else self.recorder.session_id

    def treat(self, on_cycle: Callable[[Treatment, CycleRecord], None] | None = None) -> bool:
        """Run the session to its end; True when it ran. A session refused before anything
        moved (NOT_STARTED) is kept as the run's error; any other error is recorded as the
        session's failure and raised."""
        try:
            self.outcome = self.session.run(on_cycle=on_cycle)
        except NOT_STARTED as exc:
            self.error = exc
            return False
        except BaseException as exc:
            self.error = exc
            self.session.fail(self.link.clock.now(), exc)
            self._closed = self._result(None)
            raise
        return True

    @property
    def awaits_answer(self) -> bool:
        """An ended session alarms until acknowledged; a faulted one's alarms are the
        faults' own, answered where they are shown."""
        out = self.outcome
        return out is not None and out.state in ENDED - {State.FAULTED}

    def answer_end(self, answer: EndAnswer) -> None:
        """Let `answer` take the end of a session that ran: its end alarm when it has one
        (`awaits_answer`), and whatever else the front end waits for before the record is
        closed (the console: every alarm acknowledged)."""
        if self.outcome is not None:
            answer.answer(self, self.outcome.end.words)

    def acknowledge(self, by: str) -> None:
        self.session.acknowledge(self.link.clock.now(), by=by)

    def note(self, text: str) -> None:
        self.session.note(self.link.clock.now(), text)

    def close(self, report: Path | None = None, units: Units | None = None) -> RunResult:
        """Close the record with the outcome (or the error) and draw the report to `report`
        (None: not drawn) in the site's `units`. Once: a second call returns the first result."""
        if self._closed is not None:
            return self._closed
        now = self.link.clock.now()
        drawn = None
        if self.outcome is not None:
            drawn = self.session.finish(now, report, units)
        else:
            self.session.fail(now, self.error or RuntimeError("the session did not run"))
        self._closed = self._result(drawn)
        return self._closed

    def abandon(self, error: BaseException) -> RunResult:
        """The control thread did not end within its bound (never in a correct build): the
        record says so, and the run is closed without waiting for it."""
        self.error = error
        self.session.fail(self.link.clock.now(), error)
        self._closed = self._result(None)
        return self._closed

    def _result(self, report: Path | None) -> RunResult:
        rec = self.recorder
        return RunResult(
            self.outcome,
            self.error,
            self.session_id,
            report,
            None if rec is None else rec.error,
        )
