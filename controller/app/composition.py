"""The composition root: the one place that knows `sim://` means the in-process simulator.

Everything above asks for a link by URL and gets a TableLink; whether a real board or the
simulated one is behind it is decided here and nowhere else.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from controller.maintenance.simulated_technician import SimulatedTechnician
from controller.muscles.source import (
    LslTarget,
    MuscleSource,
    MuscleSourceError,
    Pulled,
    SimMusclesTarget,
    parse_muscle_url,
)
from firmware_bridge.errors import LinkTimeout, ModbusExceptionReply, TargetError
from firmware_bridge.link import RetryPolicy, TableLink
from firmware_bridge.modbus_transport import ModbusTransport
from firmware_bridge.target import DEFAULT_TIMEOUT_S, SimTarget, parse_target
from sim.board import SimBoard
from sim.emg_signal import EmgStream
from sim.injection import InjectionError, inject
from sim.muscles import DEFAULT_MUSCLES
from sim.profiles import DEFAULT_PROFILE
from sim.server import BOARD_PRIORITY, LOOPBACK, Endpoints, ServeOptions, SimServer
from sim.variants import DEFAULT_VARIANT, variant
from sim.virtual import BoardRefused, InProcessPort, VirtualClock

T = TypeVar("T")
_SIM_OPTIONS = ("patient", "seed", "channel_b", "variant", "gain")


@dataclass(frozen=True, slots=True)
class Opened:
    link: TableLink
    board: SimBoard | None  # the simulated board, when the target is sim://


class SimTransport:
    """The bridge's transport over the in-process board, with its link faults honoured.

    A dropped or too-late reply costs the caller the transaction timeout in virtual time and
    raises LinkTimeout, as it would on a wire; the request itself still reached the board.
    """

    def __init__(self, board: SimBoard, clock: VirtualClock, timeout_s: float) -> None:
        self._port = InProcessPort(board)
        self._board = board
        self._clock = clock
        self.timeout_s = timeout_s

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def read_input(self, address: int, count: int) -> list[int]:
        return self._call(lambda: self._port.read_input(address, count))

    def read_holding(self, address: int, count: int) -> list[int]:
        return self._call(lambda: self._port.read_holding(address, count))

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        self._call(lambda: self._port.write_registers(address, values))

    def write_register(self, address: int, value: int) -> None:
        self._call(lambda: self._port.write_register(address, value))

    def read_write(
        self, read_address: int, read_count: int, write_address: int, values: Sequence[int]
    ) -> list[int]:
        return self._call(
            lambda: self._port.read_write(read_address, read_count, write_address, values)
        )

    def read_device_id(self) -> dict[int, bytes]:
        return self._call(self._port.read_device_id)

    def _call(self, op: Callable[[], T]) -> T:
        try:
            result = op()
        except BoardRefused as exc:
            raise ModbusExceptionReply(int(exc.function_code), int(exc.code)) from exc
        fate = self._board.reply_fate()
        if fate.drop or fate.delay_s >= self.timeout_s:
            self._clock.sleep(self.timeout_s)
            raise LinkTimeout("sim://: no valid reply within the timeout (injected link fault)")
        if fate.delay_s:
            self._clock.sleep(fate.delay_s)
        return result


def open_link(url: str, *, policy: RetryPolicy | None = None) -> Opened:
    """A TableLink for a target URL (not yet connected)."""
    target = parse_target(url)
    if isinstance(target, SimTarget):
        board = _sim_board(target)
        clock = VirtualClock(board)
        transport = SimTransport(board, clock, DEFAULT_TIMEOUT_S)
        return Opened(TableLink(transport, url=target.url, clock=clock, policy=policy), board)
    return Opened(TableLink(ModbusTransport(target), url=target.url, policy=policy), None)


def simulated_technician(opened: Opened) -> SimulatedTechnician | None:
    """On `sim://`, a technician who does each procedure step on the simulated table."""
    board = opened.board
    if board is None:
        return None
    return SimulatedTechnician(lambda name, params: inject(board, name, params))


@dataclass(frozen=True, slots=True)
class Served:
    """A link to a table on the wall clock; for `sim://`, the simulator serving it."""

    link: TableLink
    sim: Endpoints | None  # the simulator's TCP and control endpoints (`traction inject`)
    muscles: str | None = None  # the muscle signal's URL to open per treatment (None: none)


@contextlib.contextmanager
def open_realtime_link(url: str, *, muscles: str | None = None) -> Iterator[Served]:
    """A link that runs on the wall clock whatever the URL: a person is watching.

    `sim://` (with its options) starts the simulated table in this process, in real time,
    serving Modbus TCP and its control interface on free loopback ports, and links to it
    over the socket -- the same bridge as for a real board. Its thread runs at the board's
    real-time priority where allowed: a browser or a test run beside it must not make a
    board late that, in hardware, never would be. Other URLs open as `open_link`.

    `muscles`: the muscle signal's URL. `sim://?muscles=...` gives the simulated table's
    patient muscles, streamed on Lab Streaming Layer as an amplifier would stream them, and
    the served URL is that stream's (so the wall clock reads EMG as it would from hardware).
    """
    target = parse_target(url)
    want_sim_muscles = muscles is not None and muscles.startswith("sim:")
    if not isinstance(target, SimTarget):
        if want_sim_muscles:
            raise TargetError(
                f"muscle signal {muscles}: the simulated muscles belong to the simulated table "
                "(--device sim://); for a table on a wire, name its EMG stream (lsl://?type=EMG)"
            )
        yield Served(open_link(url).link, None, muscles)
        return
    board = _sim_board(target)
    stream = None
    if muscles is not None and want_sim_muscles:
        wanted = parse_muscle_url(muscles)
        options = wanted.options if isinstance(wanted, SimMusclesTarget) else {}
        from controller.muscles.lsl_source import configure_lsl  # liblsl only when used

        configure_lsl()  # discovery on this machine only, before the outlet exists
        try:
            board.attach_muscles(options.get("muscles", DEFAULT_MUSCLES), seed=board.seed)
        except KeyError as exc:
            raise TargetError(f"muscle signal {muscles}: {exc.args[0]}") from exc
        stream = f"{EMG_STREAM_PREFIX}-{os.getpid()}-{next(_streams)}"
    options_ = ServeOptions(
        tcp=(LOOPBACK, 0),
        control=(LOOPBACK, 0),
        priority=BOARD_PRIORITY,
        emg_stream=stream,
    )
    server = SimServer(board, options_)
    with server.running() as endpoints:
        served_muscles = endpoints.emg_url if stream is not None else muscles
        yield Served(open_link(endpoints.tcp_url).link, endpoints, served_muscles)


def _sim_board(target: SimTarget) -> SimBoard:
    opts = dict(target.options)
    unknown = sorted(set(opts) - set(_SIM_OPTIONS))
    if unknown:
        raise TargetError(
            f"{target.url}: unknown option(s) {', '.join(unknown)}; "
            f"sim:// takes {', '.join(_SIM_OPTIONS)}"
        )
    try:
        seed = int(opts.get("seed", "0"))
    except ValueError as exc:
        raise TargetError(f"{target.url}: seed must be an integer") from exc
    channel_b = opts.get("channel_b", "1")
    if channel_b not in ("0", "1"):
        raise TargetError(f"{target.url}: channel_b must be 0 or 1")
    try:
        board = SimBoard(
            opts.get("patient", DEFAULT_PROFILE),
            seed=seed,
            unit=target.unit,
            channel_b_fitted=channel_b == "1",
            variant=variant(opts.get("variant", DEFAULT_VARIANT)),
        )
    except KeyError as exc:
        raise TargetError(f"{target.url}: {exc.args[0]}") from exc
    if "gain" in opts:  # a common gain error of both channels, for the calibration to catch
        try:
            inject(board, "gain-error", {"factor": opts["gain"]})
        except InjectionError as exc:
            raise TargetError(f"{target.url}: {exc}") from exc
    return board


_MUSCLE_OPTIONS = ("muscles", "seed")
EMG_STREAM_PREFIX = "traction-sim-emg"
_streams = itertools.count(1)


class SimMuscleSource:
    """The simulated patient's muscles as a muscle-signal source, in the board's time: what
    the simulated amplifier has streamed by `now` (a late stream's chunks later)."""

    def __init__(self, stream: EmgStream) -> None:
        self.url = "sim://"
        self.rate_hz = stream.rate_hz
        self._stream = stream

    def open(self) -> None:
        return None

    def pull(self, now: float) -> Pulled:
        chunks = self._stream.take(now)
        if not chunks:
            return Pulled(np.zeros((0, 2)), None)
        last = chunks[-1]
        newest_s = last.first_s + (last.samples.shape[0] - 1) / self.rate_hz
        return Pulled(np.concatenate([c.samples for c in chunks]), now - newest_s)

    def close(self) -> None:
        return None


def open_muscles(url: str, opened: Opened, *, mains_hz: float = 50.0) -> MuscleSource:
    """A muscle-signal source for a URL (not yet opened). `sim://` gives the simulated
    patient muscles (`?muscles=relaxed|guarding|spasm-prone&seed=N`) and needs the in-process
    simulated table; `lsl://` looks for a Lab Streaming Layer stream when opened."""
    target = parse_muscle_url(url)
    if isinstance(target, LslTarget):
        from controller.muscles.lsl_source import LslSource  # liblsl loads only when used

        return LslSource(target)
    board = opened.board
    if board is None:
        raise MuscleSourceError(
            f"muscle signal {url}: the simulated muscles belong to the simulated table "
            "(--device sim://); for a table on a wire, name its EMG stream (lsl://?type=EMG)"
        )
    opts = target.options
    unknown = sorted(set(opts) - set(_MUSCLE_OPTIONS))
    if unknown:
        raise MuscleSourceError(
            f"muscle signal {url}: unknown option(s) {', '.join(unknown)}; "
            f"sim:// takes {', '.join(_MUSCLE_OPTIONS)}"
        )
    try:
        seed = int(opts.get("seed", str(board.seed)))
        board.attach_muscles(opts.get("muscles", DEFAULT_MUSCLES), seed=seed, mains_hz=mains_hz)
    except (KeyError, ValueError) as exc:
        raise MuscleSourceError(f"muscle signal {url}: {exc}") from exc
    assert board.emg is not None
    return SimMuscleSource(board.emg)
