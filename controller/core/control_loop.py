"""The control cycle (docs/architecture.md): write + read, safety first, propose, gate.

One cycle: the FC23 writes the command the gate approved last cycle and reads the snapshot;
the safety supervisor judges the snapshot before anything else (a trip requests the board's
release at once, out of cycle); then the policy proposes a velocity and states its intents
(the board's release), and the supervisor turns both into the next cycle's command. A policy
never touches the link or the supervisor: the loop carries its intents out. Absolute
deadlines; a late cycle is counted and handed to the monitor as its gap; a cycle that ends
after the next one's start is a missed deadline. On `sim://` the same loop runs in virtual
time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field

from controller.core import logs
from controller.core.repeats import RepeatedCondition
from firmware_bridge import TableLink
from firmware_bridge.approval import ApprovedCommand
from firmware_bridge.errors import LinkError
from firmware_bridge.values import Telemetry
from safety.faults import Trip
from safety.monitor import Observation
from safety.release import ReleaseState
from safety.supervisor import SafetySupervisor

# A session keeps its history in memory; Python's full garbage collections scan all of it and
# took up to 70 ms at 10 minutes -- a missed control deadline. Freezing what exists every
# second keeps each collection to the last second's objects (the history is acyclic and is
# freed by reference counting; the freeze is lifted when the loop ends).
_GC_FREEZE_CYCLES = 100
PERIOD_S = 0.01  # 100 Hz: what FC23 at 115200 baud RTU carries with room (docs/architecture.md)


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the treatment logic wants this cycle."""

    velocity_m_s: float = 0.0
    target_force_n: float | None = None
    treatment_active: bool = True
    release: bool = False  # intent: the board's safe release, held until seen finished
    release_reason: str = ""


Policy = Callable[[float, Telemetry], Proposal]


@dataclass(slots=True)
class CycleRecord:
    time_s: float
    telemetry: Telemetry | None
    approved: ApprovedCommand
    trips: list[Trip]
    release_requests: int
    release: ReleaseState = ReleaseState.IDLE


@dataclass(frozen=True, slots=True)
class DeadlineMiss:
    """When a cycle's work ended after its deadline: kept so a miss can be laid beside what
    else the machine did at that moment (bench/loop_jitter.py), not just counted."""

    deadline_s: float
    done_s: float
    transaction_s: float  # of which the FC23 round trip: the board's and the wire's share


@dataclass(slots=True)
class LoopResult:
    records: list[CycleRecord] = field(default_factory=list)
    overruns: int = 0  # cycles that started more than half a period late
    misses: list[DeadlineMiss] = field(default_factory=list)  # work ended after the next start
    link_errors: int = 0

    @property
    def deadline_misses(self) -> int:
        return len(self.misses)

    @property
    def trips(self) -> list[Trip]:
        return [t for r in self.records for t in r.trips]

    @property
    def telemetry(self) -> list[Telemetry]:
        return [r.telemetry for r in self.records if r.telemetry is not None]


class ControlLoop:
    def __init__(
        self, link: TableLink, supervisor: SafetySupervisor, *, period_s: float = PERIOD_S
    ) -> None:
        self.link = link
        self.supervisor = supervisor
        self.period_s = period_s
        self.pending: ApprovedCommand = supervisor.command(0.0, None)
        self.context = Proposal(treatment_active=False)
        self.last_transaction_s = 0.0
        self.no_reply = RepeatedCondition("no valid reply from the board")

    def run(
        self,
        policy: Policy,
        seconds: float,
        *,
        until: Callable[[CycleRecord], bool] | None = None,
        write: bool | Callable[[float], bool] = True,
        feedback: Callable[[float, float], None] | None = None,
    ) -> LoopResult:
        """Run cycles for `seconds` (or until `until` holds). `write` False = host silent."""
        clock, result = self.link.clock, LoopResult()
        start = deadline = clock.now()
        previous = start - self.period_s
        gc.freeze()  # see _GC_FREEZE_CYCLES
        try:
            result = self._run(
                policy=policy,
                seconds=seconds,
                until=until,
                write=write,
                feedback=feedback,
                result=result,
                start=start,
                deadline=deadline,
                previous=previous,
            )
            self.no_reply.close(clock.now())  # an outage still on, and the isolated losses
            logs.summarise_library_lines()  # what the libraries said over and over, counted
            return result
        finally:
            gc.unfreeze()

    def _run(
        self,
        *,
        policy: Policy,
        seconds: float,
        until: Callable[[CycleRecord], bool] | None,
        write: bool | Callable[[float], bool],
        feedback: Callable[[float, float], None] | None,
        result: LoopResult,
        start: float,
        deadline: float,
        previous: float,
    ) -> LoopResult:
        clock = self.link.clock
        cycles = 0
        while True:
            now = clock.now()
            if now - start >= seconds - 1e-9:
                return result
            cycles += 1
            if cycles % _GC_FREEZE_CYCLES == 0:
                gc.freeze()
            gap = now - previous
            previous = now
            if gap > 1.5 * self.period_s:
                result.overruns += 1
            talking = write(now - start) if callable(write) else write
            record = self._cycle(now, gap, policy, result, feedback) if talking else None
            transaction = self.last_transaction_s if talking else 0.0
            if record is not None:
                result.records.append(record)
                if until is not None and until(record):
                    return result
            deadline += self.period_s  # this cycle's deadline: the next one's start
            done = clock.now()
            if done > deadline:
                result.misses.append(DeadlineMiss(deadline, done, transaction))
            if done > deadline + self.period_s:
                deadline = done  # missed whole periods: skip them, never burst to catch up
            clock.sleep_until(deadline)

    def _cycle(
        self,
        now: float,
        gap: float,
        policy: Policy,
        result: LoopResult,
        feedback: Callable[[float, float], None] | None,
    ) -> CycleRecord:
        sup = self.supervisor
        tel: Telemetry | None
        error = ""
        clock = self.link.clock
        sent = clock.now()
        in_flight = self.pending.command.velocity_m_s
        try:
            tel = self.link.cycle(self.pending)
        except LinkError as exc:
            tel, error = None, type(exc).__name__
            result.link_errors += 1
            self.no_reply.seen(now, error, str(exc))
        else:
            if self.no_reply.active:
                self.no_reply.ended(now)
        self.last_transaction_s = clock.now() - sent
        context = self.context  # what the session was doing when this snapshot was taken
        trips = sup.observe(
            Observation(
                now,
                tel,
                cycle_gap_s=gap,
                treatment_active=context.treatment_active,
                target_force_n=context.target_force_n,
                link_error=error,
                commanded_m_s=in_flight,
            )
        )
        proposal = policy(now, tel) if tel is not None else context
        self.context = proposal
        if proposal.release:
            sup.request_release(now, tel, proposal.release_reason or "policy")
        self.pending = sup.command(proposal.velocity_m_s, tel)
        if feedback is not None:
            feedback(proposal.velocity_m_s, self.pending.command.velocity_m_s)
        return CycleRecord(now, tel, self.pending, trips, sup.release_requests, sup.release.state)
