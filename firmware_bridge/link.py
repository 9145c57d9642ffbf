"""TableLink: the board's operations, one transaction in flight at a time.

Why a class above the transport: the rules that keep the patient safe at this layer hold for
every transport alike -- the heartbeat (CMD_SEQ) is stamped here so no caller can forget it,
each reply to a cycle must be fresh on what the ICD guarantees (a stale reply is refused, not
used; `reply_is_fresh`), the interlocks are read back after writing, and the retry policy is
explicit per kind of operation: a control cycle is never retried (a late command is worse
than a missed one and the safety layer counts the miss), setup operations are. The
out-of-cycle release write is tried once: every control-cycle command after it holds RELEASE
until the release is seen finished (safety/release.py), so a retry loop here would only stall
the loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from firmware_bridge import icd
from firmware_bridge.approval import ApprovedCommand
from firmware_bridge.errors import (
    BoardMismatch,
    InterlockMismatch,
    LinkTimeout,
    PreconditionError,
    StaleReply,
)
from firmware_bridge.icd import Control, DeviceIdObject, Status
from firmware_bridge.transport import Clock, Transport
from firmware_bridge.values import (
    BoardIdentity,
    HardwareLimits,
    InterlockConfig,
    Telemetry,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

_TELEMETRY_MIRROR = icd.MIRROR_OFFSET + icd.TELEMETRY.start
_TELEMETRY_COUNT = icd.TELEMETRY.count
_COMMAND_START = icd.COMMAND.start
_HEARTBEAT_MODULO = icd.U16_WRAP
_ENABLE = int(Control.ENABLE)
PULSE_TICKS = 3  # an edge bit is held this many board sample periods


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times each kind of operation is attempted (pymodbus's own retries are off)."""

    cycle_attempts: int = 1
    setup_attempts: int = 3

    def __post_init__(self) -> None:
        for name in ("cycle_attempts", "setup_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


class WallClock:
    """Real time for hardware and `traction sim`: monotonic, sleep to absolute deadlines.

    (Spinning the last 2 ms before each deadline was measured: p99 period error fell from
    0.36 ms to 0.03 ms at a fifth of a core, but the rare late cycles -- the machine, not the
    wake-up -- stayed. Not worth the CPU; see docs/benchmarks.md.)
    """

    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class TableLink:
    def __init__(
        self,
        transport: Transport,
        *,
        url: str = "",
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.transport = transport
        self.url = url
        self.clock: Clock = clock or WallClock()
        self.policy = policy or RetryPolicy()
        self.identity: BoardIdentity | None = None
        self._lock = threading.Lock()
        self._seq = 0
        self._mark: tuple[float, int] | None = None  # (UPTIME, SAMPLE_SEQ) of the last reply
        self._log = log.bind(url=url)

    # --- lifecycle --------------------------------------------------------------------
    def connect(self) -> BoardIdentity:
        """Open, then prove this is a TT-1 board speaking ICD v1.0 with sane hardware limits."""
        self.transport.open()
        objects = self._setup(self.transport.read_device_id)
        version_words = self._setup(
            lambda: self.transport.read_input(icd.ICD_VERSION_REG.address, 1)
        )
        limits = HardwareLimits.from_words(
            self._setup(lambda: self.transport.read_input(icd.IDENTITY.start, icd.IDENTITY.count))
        )
        product = _text(objects, DeviceIdObject.PRODUCT_CODE)
        revision = _text(objects, DeviceIdObject.MAJOR_MINOR_REVISION)
        if product != icd.PRODUCT_CODE:
            raise BoardMismatch(f"product code {product!r}, expected {icd.PRODUCT_CODE!r}")
        if version_words[0] != icd.ICD_VERSION:
            raise BoardMismatch(
                f"ICD version 0x{version_words[0]:04X}, "
                f"this software speaks 0x{icd.ICD_VERSION:04X}"
            )
        self.identity = BoardIdentity(
            vendor=_text(objects, DeviceIdObject.VENDOR_NAME),
            product_code=product,
            revision=revision,
            icd_version=version_words[0],
            limits=limits,
        )
        self._log.info(
            "board connected", product=product, revision=revision, force_max_n=limits.force_max_n
        )
        return self.identity

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    def __enter__(self) -> TableLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def limits(self) -> HardwareLimits:
        if self.identity is None:
            raise PreconditionError("not connected: call connect() first")
        return self.identity.limits

    # --- configuration ----------------------------------------------------------------
    def configure_interlocks(self, config: InterlockConfig) -> InterlockConfig:
        """Write the configuration block, read it back; any difference refuses the session."""
        words = config.to_words(self.limits)
        self._setup(lambda: self.transport.write_registers(icd.CONFIG.start, words))
        back = self._setup(lambda: self.transport.read_holding(icd.CONFIG.start, icd.CONFIG.count))
        if back != words:
            raise InterlockMismatch(_diff(words, back))
        self._log.info("interlocks configured", **_fields(config))
        return InterlockConfig.from_words(back)

    def read_interlocks(self) -> InterlockConfig:
        return InterlockConfig.from_words(
            self._setup(lambda: self.transport.read_holding(icd.CONFIG.start, icd.CONFIG.count))
        )

    # --- the control cycle ------------------------------------------------------------
    def cycle(self, approved: ApprovedCommand) -> Telemetry:
        """One FC23: write the gate-approved command (with a fresh heartbeat), read telemetry."""
        if not isinstance(approved, ApprovedCommand):
            raise TypeError("TableLink.cycle writes only commands approved by the safety gate")
        seq = self._seq = (self._seq + 1) % _HEARTBEAT_MODULO
        words = approved.command.to_words(seq)
        enabling = bool(words[0] & _ENABLE)

        def transact() -> Telemetry:
            telemetry = Telemetry.from_words(
                self.transport.read_write(
                    _TELEMETRY_MIRROR, _TELEMETRY_COUNT, _COMMAND_START, words
                )
            )
            why = reply_is_fresh(telemetry, seq, enabling, self._mark)
            if why:
                raise StaleReply(why)
            self._mark = (telemetry.uptime_s, telemetry.sample_seq)
            return telemetry

        return self._attempt(transact, self.policy.cycle_attempts)

    def read_telemetry(self) -> Telemetry:
        return Telemetry.from_words(
            self._setup(lambda: self.transport.read_input(icd.TELEMETRY.start, icd.TELEMETRY.count))
        )

    # --- out-of-cycle operations ------------------------------------------------------
    def release_now(self) -> None:
        """Ask the board for a safe release at once (CONTROL = RELEASE, ENABLE dropped).

        ENABLE is dropped with it so that the board keeps releasing even if the host then
        falls silent: the watchdog only guards an enabled drive. One attempt: the safety
        supervisor holds RELEASE in every later command until the release is confirmed.
        """
        self._attempt(
            lambda: self.transport.write_register(icd.CONTROL.address, int(Control.RELEASE)),
            self.policy.cycle_attempts,
        )
        self._log.info("release requested")

    def tare(self) -> Telemetry:
        """Zero both load-cell channels; the board accepts it only with the drive disabled."""
        before = self.read_telemetry()
        if before.status & (Status.DRIVE_ENABLED | Status.FAULT):
            raise PreconditionError(
                f"tare needs the drive disabled and no fault latched (status {before.status!r})"
            )
        self._pulse(Control.TARE)
        after = self.read_telemetry()
        if not after.has(Status.TARED):
            raise PreconditionError("the board did not accept the tare")
        self._log.info("tared", force_a_n=after.force_a_n, force_b_n=after.force_b_n)
        return after

    def fault_reset(self) -> Telemetry:
        """Send a FAULT_RESET edge with ENABLE low, so that a reset can never start motion."""
        self._pulse(Control.FAULT_RESET)
        after = self.read_telemetry()
        self._log.info("fault reset sent", fault=after.fault.name)
        return after

    def _pulse(self, bit: Control) -> None:
        """A rising edge the board cannot miss: the bit is held for PULSE_TICKS of the board's
        sample period before it falls (a board that applies queued writes once per tick would
        never see a set-and-clear that lands between two ticks)."""
        self._setup(lambda: self.transport.write_register(icd.CONTROL.address, int(bit)))
        self.clock.sleep_until(self.clock.now() + PULSE_TICKS / self.limits.sample_rate_hz)
        self._setup(lambda: self.transport.write_register(icd.CONTROL.address, int(Control.NONE)))

    # --- plumbing -----------------------------------------------------------------------
    def _setup(self, op: Callable[[], T]) -> T:
        return self._attempt(op, self.policy.setup_attempts)

    def _attempt(self, op: Callable[[], T], attempts: int) -> T:
        with self._lock:
            for attempt in range(1, attempts + 1):
                try:
                    return op()
                except (LinkTimeout, StaleReply) as exc:
                    if attempt == attempts:
                        raise
                    self._log.warning("retrying", attempt=attempt, error=str(exc))
        raise AssertionError("unreachable")  # pragma: no cover


def reply_is_fresh(
    telemetry: Telemetry, seq: int, enabling: bool, last: tuple[float, int] | None
) -> str:
    """Why a control cycle's reply is stale ("": it is fresh), on what the ICD guarantees.

    CMD_SEQ_ECHO is "the last CMD_SEQ the board accepted" (ICD 2) and the board need accept
    a new one only while ENABLE is set (ICD 3), so the echo proves freshness when the write
    set ENABLE. With ENABLE low a board may keep an old echo; then the reply is fresh if the
    board's clock or its sampling moved since the last reply (UPTIME_MS, SAMPLE_SEQ), and
    a reply with neither moved -- a copy of the last one -- is refused. A board whose
    sampling alone stops is the monitor's STALE_DATA, not a lost reply.
    """
    echo = telemetry.cmd_seq_echo
    if echo == seq:
        return ""
    if enabling:
        return f"CMD_SEQ_ECHO {echo}, wrote {seq} with ENABLE set"
    if last is not None and (telemetry.uptime_s, telemetry.sample_seq) == last:
        return (
            f"CMD_SEQ_ECHO {echo}, wrote {seq} with ENABLE low, and UPTIME_MS and "
            "SAMPLE_SEQ unchanged since the last reply"
        )
    return ""


def _text(objects: dict[int, bytes], obj: DeviceIdObject) -> str:
    raw = objects.get(int(obj))
    if raw is None:
        raise BoardMismatch(f"device identification lacks object {obj.name}")
    return raw.decode("ascii", errors="replace")


def _diff(wrote: list[int], read: list[int]) -> str:
    diffs = [
        f"register {icd.CONFIG.start + i}: wrote {w}, read back {r}"
        for i, (w, r) in enumerate(zip(wrote, read, strict=False))
        if w != r
    ]
    if len(wrote) != len(read):
        diffs.append(f"read back {len(read)} registers, wrote {len(wrote)}")
    return "interlock read-back mismatch: " + "; ".join(diffs)


def _fields(config: InterlockConfig) -> dict[str, float]:
    return {
        "watchdog_s": config.watchdog_s,
        "force_trip_n": config.force_trip_n,
        "velocity_limit_m_s": config.velocity_limit_m_s,
        "release_speed_m_s": config.release_speed_m_s,
        "release_force_n": config.release_force_n,
    }
