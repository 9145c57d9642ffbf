"""One treatment run for every front end: the record begun and closed with the end reason,
the end answered, the report drawn, and a refusal told with its exit code and words."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import (
    EXIT_COMPLETE,
    EXIT_INVALID,
    EXIT_STOPPED_EARLY,
    EXIT_TABLE,
    EndReason,
)
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.maintenance.readiness import NotReady
from controller.protocols.checks import ProtocolError
from controller.protocols.models import ProtocolFile, Static
from controller.records.store import SessionStore
from controller.run.treatment_run import Acknowledged, TreatmentRun
from safety.limits import load_limits
from tests.helpers import ready_records

SHORT = ProtocolFile(name="short", protocol=Static(force_n=80.0, duration_s=3.0))


def recorded(store: Path, session_id: int) -> tuple[str, str, list[str]]:
    """The record's outcome, last state and event texts, read back from the store."""
    reader = SessionStore(store, recover=False)
    try:
        row = reader.session(session_id)
        texts = [e.message for e in reader.events(session_id)]
        return row["outcome"], row["last_state"], texts
    finally:
        reader.close()


@pytest.mark.requirement("SR-045")
def test_a_whole_run_records_the_end_answers_it_and_draws_the_report(tmp_path: Path) -> None:
    store = ready_records(tmp_path / "records.sqlite3")
    run = TreatmentRun(
        open_link("sim://").link, SHORT, load_limits(), 75.0, records=store, operator="t"
    )
    assert run.treat()
    run.answer_end(Acknowledged("demo"))
    result = run.close(tmp_path / "report.png")
    assert result.outcome is not None and result.outcome.end.reason is EndReason.COMPLETE
    assert (result.exit_code, result.words) == (EXIT_COMPLETE, result.outcome.end.words)
    assert result.report == tmp_path / "report.png" and result.report.stat().st_size > 0
    assert result.records_error is None
    outcome, last_state, texts = recorded(store, result.session_id)
    assert (outcome, last_state) == ("complete", State.COMPLETE.value)
    assert "end of session acknowledged by demo" in texts
    assert run.close() is result  # once


@pytest.mark.requirement("SR-045")
def test_a_stop_reads_the_same_in_the_exit_code_the_words_and_the_record(tmp_path: Path) -> None:
    store = ready_records(tmp_path / "records.sqlite3")
    run = TreatmentRun(open_link("sim://").link, SHORT, load_limits(), 75.0, records=store)

    def stop_in_hold(treatment: Treatment, _: CycleRecord) -> None:
        if treatment.phase == "hold" and treatment.states.current is State.RUNNING:
            run.session.ask("stop", "operator t")

    assert run.treat(on_cycle=stop_in_hold)
    run.answer_end(Acknowledged("t"))
    result = run.close()
    assert result.outcome is not None
    end = result.outcome.end
    assert end.reason is EndReason.STOPPED_BY_OPERATOR
    assert (result.exit_code, result.words) == (EXIT_STOPPED_EARLY, end.words)
    outcome, last_state, _ = recorded(store, result.session_id)
    assert outcome == end.outcome
    assert last_state == State.STOPPED.value


def test_a_table_not_ready_is_refused_before_a_record_begins(tmp_path: Path) -> None:
    run = TreatmentRun(
        open_link("sim://").link, SHORT, load_limits(), 75.0, records=tmp_path / "fresh.sqlite3"
    )
    assert not run.treat()
    run.answer_end(Acknowledged("t"))  # nothing ran: nothing to answer
    result = run.close()
    assert isinstance(result.error, NotReady) and result.outcome is None
    assert result.session_id == 0
    assert result.exit_code == EXIT_TABLE
    assert result.words.startswith("refused: the table is not ready: ")


def test_a_refused_protocol_is_invalid_input(tmp_path: Path) -> None:
    store = ready_records(tmp_path / "records.sqlite3")
    too_much = ProtocolFile(name="too much", protocol=Static(force_n=800.0, duration_s=3.0))
    run = TreatmentRun(open_link("sim://").link, too_much, load_limits(), 75.0, records=store)
    assert not run.treat()
    result = run.close()
    assert isinstance(result.error, ProtocolError)
    assert result.exit_code == EXIT_INVALID
    assert result.words.startswith("refused: ") and "force_n" in result.words


def test_an_error_in_a_front_end_is_raised_and_the_record_says_so(tmp_path: Path) -> None:
    store = ready_records(tmp_path / "records.sqlite3")
    run = TreatmentRun(open_link("sim://").link, SHORT, load_limits(), 75.0, records=store)

    def broken(_t: Treatment, _r: CycleRecord) -> None:
        raise RuntimeError("display broke")

    with pytest.raises(RuntimeError, match="display broke"):
        run.treat(on_cycle=broken)
    result = run.close()
    assert result.outcome is None and isinstance(result.error, RuntimeError)
    outcome, _, _ = recorded(store, result.session_id)
    assert outcome == "error: RuntimeError: display broke"
