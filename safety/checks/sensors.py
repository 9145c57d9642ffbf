"""Can the load cells be believed: a plausible reading, a live sample, two channels that agree."""

from __future__ import annotations

import math

from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry
from safety.checks.base import Evidence, Snapshot, SnapshotCheck
from safety.faults import SafetyFault
from safety.limits import SafetyLimits


def _channels(tel: Telemetry) -> list[tuple[str, float]]:
    """The fitted channels' readings: A always, B when the board says it is fitted."""
    channels = [("A", tel.force_a_n)]
    if tel.has(Status.CHANNEL_B_FITTED):
        channels.append(("B", tel.force_b_n))
    return channels


class ImplausibleForce(SnapshotCheck):
    """A reading no load cell gives in use: not a number, far below zero, or at saturation
    (SR-049)."""

    fault = SafetyFault.IMPLAUSIBLE_FORCE
    requirement = "SR-049"

    def __init__(self, limits: SafetyLimits, hw_force_max_n: float) -> None:
        super().__init__(limits)
        self.ceiling_n = limits.plausibility.saturation_share * hw_force_max_n

    def _implausible(self, tel: Telemetry) -> Evidence | None:
        floor_n = self.limits.plausibility.min_force_n
        for name, value in _channels(tel):
            if not math.isfinite(value) or value < floor_n or value > self.ceiling_n:
                return {"channel": name, "force_n": value}
        return None

    def judge(self, now: Snapshot) -> Evidence | None:
        return self._implausible(now.tel)

    def cause(self, tel: Telemetry) -> str | None:
        return None if self._implausible(tel) is None else "implausible force reading"


class FrozenChannel(SnapshotCheck):
    """A channel that stops changing while the board samples is a latent sensor fault (IEC
    60601-1: one the host would otherwise meet only when the force moves; SR-048). Readings
    are compared between snapshots with a new sample; a lost reply or a cycle with no new
    sample (STALE_DATA's) neither counts nor breaks the run, so a trip still needs about
    channel_frozen_s / period fresh readings alike, each about 4 % likely on a healthy bridge
    (docs/safety.md)."""

    fault = SafetyFault.CHANNEL_FROZEN
    requirement = "SR-048"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.changed_at: dict[str, float] = {}  # channel -> when its reading last changed
        self.frozen: set[str] = set()  # channels found frozen and not changed since

    def judge(self, now: Snapshot) -> Evidence | None:
        tel, last, t = now.tel, now.last, now.obs.time_s
        fresh = last is not None and tel.sample_seq != last.sample_seq
        a0, b0 = (None, None) if last is None else (last.force_a_n, last.force_b_n)
        fitted = tel.has(Status.CHANNEL_B_FITTED)
        channels = (("A", tel.force_a_n, a0, True), ("B", tel.force_b_n, b0, fitted))
        found: Evidence | None = None
        for name, value, before, present in channels:
            since = self.changed_at.get(name)
            if present and since is not None and last is not None and not fresh:
                continue  # no new sample to compare
            if not present or since is None or value != before:
                self.changed_at[name] = t
                self.frozen.discard(name)
                continue
            unchanged_s = t - since
            if unchanged_s >= self.limits.plausibility.channel_frozen_s:
                self.frozen.add(name)
                found = found or {
                    "channel": name,
                    "force_n": value,
                    "unchanged_s": round(unchanged_s, 3),
                }
        return found

    def cause(self, tel: Telemetry) -> str | None:
        if not self.frozen:
            return None
        return f"load-cell channel {', '.join(sorted(self.frozen))} frozen"


class StaleData(SnapshotCheck):
    """SAMPLE_SEQ standing still: the force shown is not news (SR-009)."""

    fault = SafetyFault.STALE_DATA
    requirement = "SR-009"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.same_seq_cycles = 0  # snapshots in a row without a new sample

    def judge(self, now: Snapshot) -> Evidence | None:
        if now.last is not None and now.tel.sample_seq == now.last.sample_seq:
            self.same_seq_cycles += 1
        else:
            self.same_seq_cycles = 0
        if self.same_seq_cycles >= self.limits.liveness.stale_cycles:
            return {"sample_seq": now.tel.sample_seq, "cycles": self.same_seq_cycles}
        return None

    def cause(self, tel: Telemetry) -> str | None:
        stale = self.same_seq_cycles >= self.limits.liveness.stale_cycles
        return "telemetry stale" if stale else None


class ChannelDisagreement(SnapshotCheck):
    """Two fitted channels that differ for longer than a sample's noise (SR-010)."""

    fault = SafetyFault.CHANNEL_DISAGREEMENT
    requirement = "SR-010"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.since: float | None = None  # when the present disagreement began

    def judge(self, now: Snapshot) -> Evidence | None:
        tel, p = now.tel, self.limits.plausibility
        if not tel.has(Status.CHANNEL_B_FITTED):
            return None
        a, b = tel.force_a_n, tel.force_b_n
        allowed = max(p.channel_disagree_n, p.channel_disagree_share * max(abs(a), abs(b)))
        if abs(a - b) <= allowed:
            self.since = None
            return None
        self.since = now.obs.time_s if self.since is None else self.since
        if now.obs.time_s - self.since >= p.channel_disagree_time_s:
            return {"force_a_n": a, "force_b_n": b}
        return None

    def cause(self, tel: Telemetry) -> str | None:
        return None if self.since is None else "load-cell channels disagree"

    def clear(self) -> None:
        super().clear()
        self.since = None
