"""One treatment: the state machine, the setpoint timer and the force loop, as a loop policy.

Per cycle (called by ControlLoop after safety has judged the snapshot): follow the session
state. Running: take up the slack at a slow speed, then walk the setpoint profile; a hold's
clock waits until the force is within the reach tolerance (commercial tables start the
timer once the new force is reached). Paused: hold the force measured at the pause, timer
frozen. Stopping (operator stop or profile end): ramp the setpoint down to the slack force
at the protocol's ramp-down rate (bounded: past its planned time plus a margin, or on an
urgent stop, it goes straight on), then state the intent "release" every cycle.

The policy only proposes and states intents: the loop and the safety supervisor carry them
out (the release handshake), and the session owner moves the machine to complete when the
release is confirmed and to faulted when safety trips (controller/run/session.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from controller.core.control_loop import Proposal
from controller.core.events import EventStream, SessionEvent
from controller.core.force_loop import ForceLoop
from controller.core.session_states import SessionStates, State
from controller.muscles.monitor import MuscleMonitor
from controller.protocols.checks import CheckedProtocol, ProtocolError
from controller.protocols.models import Program
from controller.protocols.profile import RELEASE_PHASE
from controller.protocols.retime import Timing, retime
from firmware_bridge.values import Telemetry
from safety.limits import ReleaseLimits

REACH_SHARE = 0.02
REACH_MIN_N = 2.0
_PHASE_WITHOUT_SETPOINT = {State.RUNNING: "slack take-up", State.STOPPING: "release"}
BASELINE_PHASE = "resting baseline"
OPERATOR = "operator"


def is_operator(by: str) -> bool:
    """A technician's action: "operator" (keys, Ctrl-C) or "operator NAME" (the console)."""
    return by == OPERATOR or by.startswith(OPERATOR + " ")


class Sample(NamedTuple):
    time_s: float
    force_n: float
    target_n: float
    phase: str
    holding: bool  # in a hold whose force had been reached (the clock was running)
    position_m: float = math.nan  # the carriage, for the electrode-free relaxation figures
    emg_uv: float | None = None  # the muscles' envelope when the signal is reliable
    gate: str = ""  # the EMG gate's state ("": no muscle signal connected)


class ForceChangeRefused(ValueError):
    """A technician's force change the treatment cannot take now; the message says why."""


@dataclass
class TreatmentLog:
    """What happened, for accuracy figures and records; events are the session's stream."""

    samples: list[Sample] = field(default_factory=list)
    waited_s: float = 0.0
    running_s: float = 0.0
    stream: EventStream = field(default_factory=EventStream)

    @property
    def events(self) -> list[SessionEvent]:
        return self.stream.history


class Treatment:
    def __init__(
        self,
        checked: CheckedProtocol,
        *,
        events: EventStream | None = None,
        release_limits: ReleaseLimits | None = None,
        loop: ForceLoop | None = None,
        muscles: MuscleMonitor | None = None,
    ) -> None:
        self.checked = checked
        self.profile = checked.profile
        proto = checked.protocol
        first = proto.steps[0] if isinstance(proto, Program) else proto
        self.slack_n = first.slack_take_up_n
        self.ramp_up_n_s = first.ramp_up_n_s
        self.ramp_down_n_s = first.ramp_down_n_s
        self.release_limits = release_limits or ReleaseLimits()
        self.force_loop = loop or ForceLoop()
        self.states = SessionStates()
        self.log = TreatmentLog(stream=events or EventStream())
        self.timer_s = 0.0
        self.slack_done = False
        self.reached: set[int] = set()
        self.hold_n = 0.0
        self.stop_target_n = 0.0
        self.release_requested = False
        self.urgent = False  # an urgent stop: no ramp down, the board's release at once
        self.ramp_deadline_s = 0.0
        self.last_t: float | None = None
        self.last_proposal = 0.0
        self.limited = False
        self.offset_n = 0.0  # technician's force change, applied to every remaining setpoint
        self.target_n: float | None = None  # this cycle's setpoint, for display and records
        self.phase = ""
        self.resume_ramp_n: float | None = None  # after a patient's stop: a fresh ramp up
        self._now = 0.0  # this cycle's time, for what the muscle monitor tells
        self.stopped_by = ""  # who asked the first stop ("": none; the plan ran to its end)
        self.ended_by = ""  # who ended a session held after the patient's stop
        self.muscles = muscles  # the muscle signal: may hold or lower the setpoint, never raise
        if muscles is not None:
            muscles.tell = self._tell_muscles

    # --- operator and safety events ----------------------------------------------------------
    def event(
        self, name: str, now: float, tel: Telemetry | None = None, *, by: str = "controller"
    ) -> State:
        """Fire `name`; `by` says who asked (the technician's actions are audited as such)."""
        before = self.states.state
        state = self.states.fire(name)
        self.log.stream.publish(
            SessionEvent(
                now,
                "operator" if is_operator(by) else "state",
                f"{name}: {before} -> {state.value}",
                {
                    "trigger": name,
                    "from": before,
                    "to": state.value,
                    "by": by,
                    "force_n": None if tel is None else round(tel.force_n, 2),
                },
            )
        )
        if name == "pause" and tel is not None:
            self.hold_n = tel.force_n
            self.force_loop.reset_integral()
        elif name == "end":
            self.ended_by = by
        elif name in ("stop", "profile_done") and tel is not None:
            self.stop_target_n = max(tel.force_n, self.slack_n)
            if self.muscles is not None and self.log.samples:  # gated: never above the last
                last = self.log.samples[-1].target_n
                self.stop_target_n = max(min(self.stop_target_n, last), self.slack_n)
        if state is State.STOPPING:
            if name == "stop":
                self.force_loop.reset_integral()
                self.stopped_by = self.stopped_by or by  # a stop asked for: the plan did not end
            r = self.release_limits
            planned = max(0.0, self.stop_target_n - self.slack_n) / self.ramp_down_n_s
            self.ramp_deadline_s = now + planned * (1 + r.ramp_bound_share) + r.bound_margin_s
        return state

    def stop_now(self, now: float, tel: Telemetry | None = None, *, by: str) -> None:
        """An urgent stop (a signal ending the process, a second stop): skip the ramp down and
        ask for the board's release at once. Also while already stopping."""
        if self.states.can("stop"):
            self.event("stop", now, tel, by=by)
        if self.states.current is State.STOPPING and not self.urgent:
            self.urgent = True
            self.log.stream.publish(
                SessionEvent(now, "operator", "urgent stop: release at once", {"by": by})
            )

    def resume_after_patient(
        self, now: float, tel: Telemetry, *, by: str, delta_n: float = 0.0
    ) -> None:
        """Resume after the patient's stop: slack taken up again, then a fresh ramp at the
        protocol's ramp-up rate from the force now to the setpoint, the timer waiting until
        it is reached; the remaining time is what was left. `delta_n` (never above 0: the
        force may only be lowered) moves every remaining setpoint, as a force change does."""
        if delta_n > 0:
            raise ForceChangeRefused(
                "after a patient's stop the force may be lowered, never raised"
            )
        self.event("resume", now, tel, by=by)
        if delta_n:
            self.adjust_force(delta_n, now, by=by)
        self.slack_done = False
        self.reached.discard(self.profile.at(self.timer_s).segment)
        self.force_loop.reset_integral()
        self.resume_ramp_n = tel.force_n

    def adjust_force(self, delta_n: float, now: float, *, by: str = OPERATOR) -> float:
        """The technician's force change: every remaining setpoint moves by delta_n.

        Refused (ValueError, nothing changes) outside running/paused, when the planned peak
        would pass the session limit, or when a hold would fall below the slack force. The
        hold in progress restarts its clock once the new force is reached.
        """
        if self.states.current not in (State.RUNNING, State.PAUSED):
            raise ForceChangeRefused(
                f"the force can be changed only while running or paused, "
                f"not while {self.states.state}"
            )
        offset = self.offset_n + delta_n
        peak = self.profile.peak_n + offset
        if peak > self.checked.force_limit_n:
            raise ForceChangeRefused(
                f"force change {delta_n:+g} N refused: the planned peak "
                f"{peak:.1f} N would pass the limit {self.checked.force_limit_n:.1f} N"
            )
        lowest = min(s.end_n for s in self.profile.segments if s.waits)
        if lowest + offset < self.slack_n:
            raise ForceChangeRefused(
                f"force change {delta_n:+g} N refused: a hold would fall to "
                f"{lowest + offset:.1f} N, below the slack force {self.slack_n:g} N"
            )
        self.offset_n = offset
        self.reached.discard(self.profile.at(self.timer_s).segment)
        if self.states.current is State.PAUSED:
            self.hold_n += delta_n
        self.log.stream.publish(
            SessionEvent(
                now,
                "operator",
                f"force {delta_n:+.1f} N (offset {offset:+.1f} N)",
                {"delta_n": delta_n, "offset_n": offset, "by": by},
            )
        )
        return offset

    def retime(self, timing: Timing, now: float, *, by: str = OPERATOR) -> CheckedProtocol:
        """The technician's change of hold, rest or total time (controller/protocols/retime.py).

        Refused (ProtocolError, nothing changes) outside running/paused, past the last step,
        or outside the ranges allowed at the start; the forces and the force change stay.
        """
        if self.states.current not in (State.RUNNING, State.PAUSED):
            raise ProtocolError(
                f"times can be changed only while running or paused, not while {self.states.state}"
            )
        before = self.profile.total_s
        done = retime(self.checked, self.timer_s, timing)
        i = self.profile.at(self.timer_s).segment
        self.checked, self.profile, self.timer_s = done.checked, done.checked.profile, done.timer_s
        self.reached = {n for n in self.reached if n <= i}
        self.log.stream.publish(
            SessionEvent(
                now,
                "operator",
                f"times: {timing.describe()} (session {before / 60:.1f} -> "
                f"{self.profile.total_s / 60:.1f} min)",
                {
                    **timing.given(),
                    "planned_s": round(self.profile.total_s, 1),
                    "protocol_as_run": self.checked.protocol.model_dump_json(),
                    "by": by,
                },
            )
        )
        return self.checked

    def approved(self, proposed_m_s: float, approved_m_s: float) -> None:
        """Feedback from the gate: a limited command freezes the integrator (anti-windup)."""
        self.limited = abs(approved_m_s - proposed_m_s) > 1e-9

    # --- the policy ------------------------------------------------------------------------------
    def __call__(self, now: float, tel: Telemetry) -> Proposal:
        dt = 0.0 if self.last_t is None else now - self.last_t
        self.last_t = now
        state = self.states.current
        self.target_n, self.phase = None, _PHASE_WITHOUT_SETPOINT.get(state, state.value)
        if self.muscles is not None:
            self._now = now
            self.muscles.update(now)
        if state is State.RUNNING:
            self.log.running_s += dt
            return self._running(now, tel, dt)
        if state is State.PAUSED:
            return self._follow(self.hold_n, 0.0, tel, dt)
        if state is State.STOPPING:
            return self._stopping(now, tel, dt)
        return Proposal(0.0, None, treatment_active=False)

    def _running(self, now: float, tel: Telemetry, dt: float) -> Proposal:
        if self.muscles is not None and not self.muscles.take_baseline(now):
            self.phase = BASELINE_PHASE  # before the pull: the patient lying still
            return Proposal(0.0, None)
        if not self.slack_done:
            if tel.force_n < self.slack_n:
                return Proposal(self.force_loop.tuning.slack_speed_m_s, None)
            self.slack_done = True
            self.force_loop.reset_integral()
            if self.resume_ramp_n is not None:  # the fresh ramp starts where the slack ended
                self.resume_ramp_n = tel.force_n
            self.log.stream.publish(
                SessionEvent(now, "info", "slack taken up", {"force_n": round(tel.force_n, 2)})
            )
        sp = self.profile.at(self.timer_s)
        seg = self.profile.segments[sp.segment]
        target = self._with_offset(sp.force_n, sp.phase, seg.start_n)
        target, capped = self._gated(now, dt, target, tel)
        if self.resume_ramp_n is not None:  # the fresh ramp after a patient's stop
            self.resume_ramp_n += self.ramp_up_n_s * dt
            if self.resume_ramp_n < target:
                self.log.waited_s += dt
                return self._follow(
                    self.resume_ramp_n, self.ramp_up_n_s, tel, dt, phase="ramp up", now=now
                )
            self.resume_ramp_n = None
            self.force_loop.reset_integral()
        reach = max(REACH_MIN_N, REACH_SHARE * target)
        if seg.waits and sp.segment not in self.reached:
            if abs(tel.force_n - target) > reach:
                self.log.waited_s += dt
                return self._follow(target, 0.0, tel, dt, phase=sp.phase, now=now)
            self.reached.add(sp.segment)
        self.timer_s += dt
        if self.timer_s >= self.profile.total_s or (
            sp.phase == RELEASE_PHASE and target <= self.slack_n
        ):
            self.event("profile_done", now, tel)
            return self._stopping(now, tel, 0.0)
        rate = 0.0 if seg.duration_s <= 0 or capped else (seg.end_n - seg.start_n) / seg.duration_s
        return self._follow(target, rate, tel, dt, phase=sp.phase, now=now, holding=seg.waits)

    def _gated(self, now: float, dt: float, target: float, tel: Telemetry) -> tuple[float, bool]:
        """The setpoint under the muscles' ceiling, and whether the ceiling held it down."""
        if self.muscles is None:
            return target, False
        ceiling = self.muscles.ceiling(
            now, dt, target, tel.force_n, ramp_n_s=self.ramp_up_n_s, floor_n=self.slack_n
        )
        if ceiling < target:
            return ceiling, True
        return target, False

    def _tell_muscles(
        self, kind: str, text: str, data: dict[str, str | float | None], priority: str
    ) -> None:
        self.log.stream.publish(SessionEvent(self._now, kind, text, data, priority))

    def _with_offset(self, force_n: float, phase: str, start_n: float) -> float:
        """The technician's offset; in the final release it fades with the setpoint to zero."""
        if phase != RELEASE_PHASE:
            return force_n + self.offset_n
        return force_n + (self.offset_n * force_n / start_n if start_n > 0 else 0.0)

    def _stopping(self, now: float, tel: Telemetry, dt: float) -> Proposal:
        if not self.release_requested:
            self.stop_target_n = max(self.slack_n, self.stop_target_n - self.ramp_down_n_s * dt)
            ramping = self.stop_target_n > self.slack_n or tel.force_n > self.slack_n + REACH_MIN_N
            overdue = now > self.ramp_deadline_s
            if ramping and not overdue and not self.urgent:
                return self._follow(
                    self.stop_target_n, -self.ramp_down_n_s, tel, dt, phase="stopping", now=now
                )
            self.release_requested = True
            why = "urgent stop" if self.urgent else "ramp down over its bound" if overdue else ""
            self.log.stream.publish(
                SessionEvent(
                    now,
                    "info",
                    "release requested" + (f" ({why})" if why else ""),
                    {"force_n": round(tel.force_n, 2)},
                    "medium" if overdue and not self.urgent else "none",
                )
            )
        # held by the supervisor until the release is confirmed; the session then completes
        return Proposal(0.0, None, treatment_active=True, release=True, release_reason="stop")

    def _follow(
        self,
        target_n: float,
        rate_n_s: float,
        tel: Telemetry,
        dt: float,
        *,
        phase: str = "paused",
        now: float = 0.0,
        holding: bool = False,
    ) -> Proposal:
        v = self.force_loop.velocity(
            target_n=target_n,
            planned_rate_n_s=rate_n_s,
            force_n=tel.force_n,
            position_m=tel.position_m,
            dt=dt,
            limited=self.limited,
        )
        self.last_proposal = v
        self.target_n, self.phase = target_n, phase
        m = self.muscles
        if m is None:
            sample = Sample(now, tel.force_n, target_n, phase, holding, tel.position_m)
        else:
            r = m.reading
            emg = r.envelope_uv if r.reliable else None
            sample = Sample(
                now, tel.force_n, target_n, phase, holding, tel.position_m, emg, m.gate_state.value
            )
        self.log.samples.append(sample)
        return Proposal(v, target_n)
