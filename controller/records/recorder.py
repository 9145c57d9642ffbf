"""From a running treatment to the store: samples every cycle, events as they happen.

Runs in the control thread and only queues (the writer thread commits). Samples go out in
batches of at most one second of session time; events come from the session's event stream
(it subscribes) and go out at once. A failed write shows in `error`; the session owner turns
it into an alarm and a controlled stop. Whatever could not be written is dumped next to the
store as JSON lines rather than lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from controller.core import logs
from controller.core.session_states import State
from controller.records.maintenance import require_ready_store
from controller.records.prescribing import ClinicalStart
from controller.records.store import NewEvent, SampleRow, SessionInfo, SessionStore
from controller.records.writer import Batch, RecordWriter

if TYPE_CHECKING:
    from controller.core.control_loop import CycleRecord
    from controller.core.events import SessionEvent
    from controller.core.preparation import Prepared
    from controller.core.relaxation import Relaxation
    from controller.core.treatment import Treatment
    from controller.muscles.figures import EmgFigures
    from controller.protocols.checks import CheckedProtocol
    from controller.protocols.models import ProtocolFile
    from safety.limits import SafetyLimits

log = structlog.get_logger(__name__)

SELF_TEST_EVENT = "table prepared: identity read, interlocks verified, tared"
BATCH_S = 1.0  # samples are committed at least this often (issue: batches of at most 1 s)
SOFTWARE = "traction-table"


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{SOFTWARE} {version(SOFTWARE)}"
    except PackageNotFoundError:
        return f"{SOFTWARE} (not installed)"


class SessionRecorder:
    def __init__(
        self,
        path: Path,
        *,
        operator: str,
        patient_ref: str,
        device_url: str,
        clinical: ClinicalStart | None = None,
        language: str = "en",
    ) -> None:
        self.path = path
        self.language = language
        self.clinical = clinical
        self.operator = operator
        self.patient_ref = patient_ref
        self.device_url = device_url
        self.writer = RecordWriter(path)
        self.session_id = 0
        self.t0 = 0.0
        self.cycle_no = 0
        self.samples: list[SampleRow] = []
        self.next_flush_t = 0.0
        self.pending: list[NewEvent] = []
        self.finished = False

    @property
    def error(self) -> str | None:
        return self.writer.error

    # --- the session's life -----------------------------------------------------------------
    def require_ready(self) -> None:
        """No treatment on a table whose calibration or daily check is missing, failed or
        overdue (NotReady names the procedure); judged on this store's maintenance log."""
        store = SessionStore(self.path, recover=False)
        try:
            require_ready_store(store)
        finally:
            store.close()

    def begin(
        self,
        entry: ProtocolFile,
        checked: CheckedProtocol,
        weight_kg: float,
        limits: SafetyLimits,
        now: float,
    ) -> int:
        self.t0 = self.next_flush_t = now
        info = SessionInfo(
            protocol_name=entry.name,
            protocol_json=entry.model_dump_json(),
            region=checked.protocol.region,
            patient_ref=self.patient_ref,
            weight_kg=weight_kg,
            operator=self.operator,
            limits_sha256=limits.fingerprint(),
            software_version=software_version(),
            device_url=self.device_url,
            language=self.language,
            **(asdict(self.clinical) if self.clinical is not None else {}),
        )
        self.session_id = self.writer.begin(info, 0.0)
        logs.bind_session(self.session_id)
        log.info("session recorded", session_id=self.session_id, store=str(self.path))
        return self.session_id

    def prepared(self, prepared: Prepared, now: float) -> None:
        identity = json.dumps(asdict(prepared.identity), sort_keys=True)
        data: dict[str, Any] = {
            "board": asdict(prepared.identity),
            "interlocks": asdict(prepared.interlocks),
            "force_limit_n": prepared.force_limit_n,
        }
        self._put(
            [NewEvent(self._t(now), "info", "none", SELF_TEST_EVENT, data)],
            updates={"board_identity": identity, "force_limit_n": prepared.force_limit_n},
        )

    def not_started(self, reason: str, now: float) -> None:
        """Self-test or link failure before the treatment started: recorded, then ended."""
        self._put([NewEvent(self._t(now), "alarm", "medium", reason, {"reason": reason})])
        self.finish("not started", State.IDLE.value, now)

    def cycle(self, treatment: Treatment, record: CycleRecord) -> None:
        tel = record.telemetry
        t = self._t(record.time_s)
        self.samples.append(
            SampleRow(
                self.cycle_no,
                t,
                treatment.target_n,
                None if tel is None else tel.force_a_n,
                None if tel is None else tel.force_b_n,
                None if tel is None else tel.position_m,
                None if tel is None else tel.velocity_m_s,
                treatment.states.state,
                treatment.phase,
                None if tel is None else int(tel.status),
                *_muscle_columns(treatment),
            )
        )
        self.cycle_no += 1
        if self.pending or record.time_s >= self.next_flush_t:
            self._put(self._take_pending(), last_state=treatment.states.state)
            self.next_flush_t = record.time_s + BATCH_S

    def on_event(self, event: SessionEvent) -> None:
        """A subscriber of the session's event stream: queued, committed at the next cycle's
        batch (or at once when no treatment is running to carry it)."""
        if self.session_id == 0 or self.finished:
            return
        self.pending.append(
            NewEvent(
                self._t(event.time_s), event.kind, event.priority, event.text, dict(event.data)
            )
        )

    def _take_pending(self) -> list[NewEvent]:
        out, self.pending = self.pending, []
        return out

    def figures(self, relaxation: Relaxation, emg: EmgFigures | None) -> None:
        """The session's relaxation figures: from force and position always, from the EMG
        when a muscle signal was connected."""
        if self.session_id == 0 or self.finished:
            return
        self._put(
            [],
            updates={
                "relaxation_json": json.dumps(relaxation.as_dict()),
                "emg_json": None if emg is None else json.dumps(emg.as_dict()),
            },
        )

    def ended(self, outcome: str, state: str) -> None:
        """The session has ended: its outcome is final on disk now, acknowledged or not (the
        record is sealed later by `finish`, after the end alarm is answered)."""
        if self.session_id == 0 or self.finished:
            return
        self._put(self._take_pending(), updates={"outcome": outcome}, last_state=state)

    def finish(self, outcome: str, state: str, now: float) -> None:
        if self.finished:
            return
        self.finished = True
        batch = Batch(
            self.session_id, self.samples, self._take_pending(), {}, (outcome, state, self._t(now))
        )
        self.samples = []
        self.writer.put(batch)
        self.writer.close()  # the writer commits everything queued before it stops
        if self.writer.unsaved:
            self._rescue()
        log.info("session record closed", outcome=outcome, store=str(self.path))
        logs.unbind_session()

    # --- helpers ------------------------------------------------------------------------------
    def _t(self, now: float) -> float:
        return round(now - self.t0, 6)

    def _put(
        self,
        events: list[NewEvent],
        *,
        updates: dict[str, Any] | None = None,
        last_state: str | None = None,
    ) -> None:
        upd = dict(updates or {})
        if last_state is not None:
            upd["last_state"] = last_state
        self.writer.put(Batch(self.session_id, self.samples, events, upd))
        self.samples = []

    def _rescue(self) -> None:
        """Last resort for rows the store refused: JSON lines beside it, if the disk lets us."""
        target = self.path.with_name(
            f"{self.path.name}.unsaved-session-{self.session_id}-{os.getpid()}.jsonl"
        )
        try:
            with target.open("a", encoding="utf-8") as f:
                for b in self.writer.unsaved:
                    for s in b.samples:
                        f.write(json.dumps({"sample": s._asdict()}) + "\n")
                    for e in b.events:
                        f.write(json.dumps({"event": asdict(e)}, default=str) + "\n")
                    if b.end is not None:
                        f.write(json.dumps({"end": b.end}) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            log.error(
                "unsaved records could not be rescued either", file=str(target), error=str(exc)
            )
            return
        log.error("unsaved records written beside the store", file=str(target))


def _muscle_columns(treatment: Treatment) -> tuple[float | None, str | None]:
    """The envelope (when the signal is reliable) and the gate's state, per cycle."""
    m = treatment.muscles
    if m is None:
        return None, None
    r = m.reading
    return (round(r.envelope_uv, 3) if r.reliable else None), m.gate_state.value
