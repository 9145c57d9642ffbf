"""Fault and scenario injection: one catalogue, used in-process and by `traction inject`.

Each injection is a name, a pydantic model of its parameters (so a bad parameter is refused
with the field named) and a function that changes the board. The catalogue is the contract of
the control interface (docs/simulator.md lists it); nothing else changes a running board.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.board import Disturbance, SimBoard
from sim.loadcell import LoadCell
from sim.muscles import Muscles


class InjectionError(ValueError):
    """An unknown injection or bad parameters; the board was not changed."""


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelParams(NoParams):
    channel: Literal["A", "B"] = "A"


class DriftParams(ChannelParams):
    rate_n_per_s: float = Field(default=5.0, ge=-1000, le=1000)


class NoiseParams(ChannelParams):
    sigma_n: float = Field(default=20.0, gt=0, le=1000)


class DisagreeParams(NoParams):
    offset_n: float = Field(default=40.0, ge=-1000, le=1000)


class CountParams(NoParams):
    count: int = Field(default=1, ge=1, le=1_000_000)


class DelayParams(CountParams):
    delay_ms: float = Field(default=200.0, gt=0, le=10_000)


class DisturbanceParams(NoParams):
    force_n: float = Field(default=40.0, ge=-500, le=500)
    duration_s: float = Field(default=1.0, gt=0, le=60)


class GainParams(NoParams):
    factor: float = Field(default=0.9, ge=0.5, le=1.5)


class ReferenceParams(NoParams):
    force_n: float = Field(default=98.1, ge=0, le=1000)


class StiffnessParams(NoParams):
    factor: float = Field(default=1.5, gt=0.05, le=10)


class SideParams(NoParams):
    side: Literal["left", "right", "both"] = "left"


class ElectrodeParams(SideParams):
    how: Literal["off-flat", "off-mains", "saturated"] = "off-mains"


class SpasmParams(NoParams):
    strength: float = Field(default=1.0, gt=0, le=1.5)


class LateParams(NoParams):
    delay_ms: float = Field(default=1000.0, ge=0, le=60_000)


@dataclass(frozen=True, slots=True)
class Injection:
    name: str
    params: type[NoParams]
    apply: Callable[[SimBoard, Any], None]
    help: str


def _cell(board: SimBoard, p: ChannelParams) -> LoadCell:
    fw = board.firmware
    return fw.cell_a if p.channel == "A" else fw.cell_b


def _set_switch(attr: str, value: bool) -> Callable[[SimBoard, NoParams], None]:
    def apply(board: SimBoard, _: NoParams) -> None:
        setattr(board.firmware.switches, attr, value)

    return apply


def _stuck(b: SimBoard, p: ChannelParams) -> None:
    _cell(b, p).stick()


def _drift(b: SimBoard, p: DriftParams) -> None:
    _cell(b, p).drift(p.rate_n_per_s)


def _noisy(b: SimBoard, p: NoiseParams) -> None:
    _cell(b, p).add_noise(p.sigma_n)


def _dead(b: SimBoard, p: ChannelParams) -> None:
    _cell(b, p).kill()


def _disagree(b: SimBoard, p: DisagreeParams) -> None:
    b.firmware.cell_b.bias(p.offset_n)


def _heal_channel(b: SimBoard, p: ChannelParams) -> None:
    _cell(b, p).heal()


def _gain(b: SimBoard, p: GainParams) -> None:
    """Both channels at once: one amplifier reference or a wrong constant. The channels
    still agree, so only a calibration against reference weights can see it."""
    for cell in (b.firmware.cell_a, b.firmware.cell_b):
        cell.gain = cell.nominal_gain * p.factor


def _reference(b: SimBoard, p: ReferenceParams) -> None:
    b.firmware.physics.reference_n = p.force_n


def _stall(b: SimBoard, _: NoParams) -> None:
    b.firmware.physics.blocked = True


def _unstall(b: SimBoard, _: NoParams) -> None:
    b.firmware.physics.blocked = False


def _slip(b: SimBoard, _: NoParams) -> None:
    b.firmware.physics.detached = True


def _reattach(b: SimBoard, _: NoParams) -> None:
    b.firmware.physics.detached = False


def _link_drop(b: SimBoard, p: CountParams) -> None:
    b.link.drop = p.count


def _link_delay(b: SimBoard, p: DelayParams) -> None:
    b.link.delay_s = p.delay_ms / 1000.0
    b.link.delay_count = p.count


def _link_crc(b: SimBoard, p: CountParams) -> None:
    b.link.corrupt = p.count


def _link_heal(b: SimBoard, _: NoParams) -> None:
    b.link.clear()


def _disturb(b: SimBoard, p: DisturbanceParams) -> None:
    b.disturbances.append(Disturbance(b.elapsed_s, p.duration_s, p.force_n))


def _stiffness(b: SimBoard, p: StiffnessParams) -> None:
    phys = b.firmware.physics
    phys.set_profile(phys.profile.scaled(p.factor))


def _muscles(b: SimBoard) -> Muscles:
    if b.muscles is None:
        raise InjectionError(
            "the simulated patient has no muscles: start the simulator with EMG "
            "(`traction sim` without --no-emg, or --emg sim://)"
        )
    return b.muscles


def _sides(p: SideParams) -> tuple[str, ...]:
    return ("left", "right") if p.side == "both" else (p.side,)


def _electrode(b: SimBoard, p: ElectrodeParams) -> None:
    for side in _sides(p):
        _muscles(b).faults.contact[side] = p.how


def _electrode_on(b: SimBoard, p: SideParams) -> None:
    for side in _sides(p):
        _muscles(b).faults.contact[side] = "good"


def _spasm(b: SimBoard, p: SpasmParams) -> None:
    _muscles(b).start_spasm(p.strength)


def _emg_lost(b: SimBoard, _: NoParams) -> None:
    _muscles(b).faults.lost = True


def _emg_late(b: SimBoard, p: LateParams) -> None:
    _muscles(b).faults.late_s = p.delay_ms / 1000.0


def _emg_heal(b: SimBoard, _: NoParams) -> None:
    _muscles(b).faults.clear()


def _reboot(b: SimBoard, _: NoParams) -> None:
    b.firmware.power_on()


def _heal_all(b: SimBoard, _: NoParams) -> None:
    fw = b.firmware
    sw = fw.switches
    sw.estop_open = sw.patient_pressed = sw.drive_fault = sw.runaway = False
    sw.samples_frozen = False
    sw.patient_connected = True
    for cell in (fw.cell_a, fw.cell_b):
        cell.heal()
        cell.gain = cell.nominal_gain
    fw.physics.reference_n = 0.0
    fw.physics.blocked = False
    fw.physics.detached = False
    b.link.clear()
    b.disturbances.clear()
    if b.muscles is not None:
        b.muscles.faults.clear()


_ALL = [
    Injection(
        "patient-press",
        NoParams,
        _set_switch("patient_pressed", True),
        "patient presses the hand switch",
    ),
    Injection(
        "patient-release",
        NoParams,
        _set_switch("patient_pressed", False),
        "patient lets go of the hand switch",
    ),
    Injection(
        "patient-unplug",
        NoParams,
        _set_switch("patient_connected", False),
        "hand switch cable unplugged",
    ),
    Injection(
        "patient-plug",
        NoParams,
        _set_switch("patient_connected", True),
        "hand switch cable plugged back in",
    ),
    Injection(
        "estop-open", NoParams, _set_switch("estop_open", True), "emergency-stop circuit opened"
    ),
    Injection(
        "estop-close",
        NoParams,
        _set_switch("estop_open", False),
        "emergency-stop circuit closed again",
    ),
    Injection("channel-stuck", ChannelParams, _stuck, "load-cell channel freezes its value"),
    Injection("channel-drift", DriftParams, _drift, "load-cell channel drifts (N/s)"),
    Injection("channel-noisy", NoiseParams, _noisy, "load-cell channel gets extra noise (N)"),
    Injection("channel-dead", ChannelParams, _dead, "load-cell channel reports ADC errors"),
    Injection(
        "channel-disagree",
        DisagreeParams,
        _disagree,
        "channel B reads offset_n more than channel A",
    ),
    Injection(
        "gain-error",
        GainParams,
        _gain,
        "both load-cell channels read FACTOR times the true force (1 = right)",
    ),
    Injection(
        "reference-load",
        ReferenceParams,
        _reference,
        "a reference weight of FORCE_N hangs on the load cell (0 = taken off)",
    ),
    Injection("channel-heal", ChannelParams, _heal_channel, "clear a channel's faults"),
    Injection(
        "runaway",
        NoParams,
        _set_switch("runaway", True),
        "drive ignores VELOCITY_CMD and pulls at full speed",
    ),
    Injection("runaway-stop", NoParams, _set_switch("runaway", False), "end the runaway"),
    Injection("stall", NoParams, _stall, "carriage blocked mechanically"),
    Injection("stall-clear", NoParams, _unstall, "carriage free again"),
    Injection(
        "drive-fault",
        NoParams,
        _set_switch("drive_fault", True),
        "drive reports overcurrent/overtemperature",
    ),
    Injection("drive-heal", NoParams, _set_switch("drive_fault", False), "drive fault gone"),
    Injection(
        "samples-freeze",
        NoParams,
        _set_switch("samples_frozen", True),
        "load-cell sampling stops (SAMPLE_SEQ freezes)",
    ),
    Injection(
        "samples-resume",
        NoParams,
        _set_switch("samples_frozen", False),
        "load-cell sampling resumes",
    ),
    Injection("harness-slip", NoParams, _slip, "harness slips off: the pull collapses"),
    Injection("harness-reattach", NoParams, _reattach, "harness put back on"),
    Injection("link-drop", CountParams, _link_drop, "drop the next COUNT replies"),
    Injection("link-delay", DelayParams, _link_delay, "delay the next COUNT replies"),
    Injection("link-crc", CountParams, _link_crc, "corrupt the CRC of the next COUNT RTU replies"),
    Injection("link-heal", NoParams, _link_heal, "clear every link fault"),
    Injection(
        "disturbance", DisturbanceParams, _disturb, "patient movement: half-sine force on the body"
    ),
    Injection("stiffness", StiffnessParams, _stiffness, "multiply the patient's stiffness"),
    Injection("spasm", SpasmParams, _spasm, "a back-muscle spasm of STRENGTH (1 = full guarding)"),
    Injection(
        "electrode-off",
        ElectrodeParams,
        _electrode,
        "an EMG electrode off the skin: flat line, mains hum only, or saturated (SIDE, HOW)",
    ),
    Injection("electrode-on", SideParams, _electrode_on, "the EMG electrode back on the skin"),
    Injection("emg-lost", NoParams, _emg_lost, "the EMG stream stops"),
    Injection("emg-late", LateParams, _emg_late, "the EMG stream's samples arrive DELAY_MS late"),
    Injection("emg-heal", NoParams, _emg_heal, "the EMG stream and electrodes as they should be"),
    Injection("reboot", NoParams, _reboot, "board power cycle (tare and config lost)"),
    Injection("heal-all", NoParams, _heal_all, "clear every injected fault"),
]

CATALOGUE: dict[str, Injection] = {i.name: i for i in _ALL}


def inject(board: SimBoard, name: str, params: Mapping[str, object] | None = None) -> None:
    """Apply an injection by name; unknown names and bad parameters raise InjectionError."""
    injection = CATALOGUE.get(name)
    if injection is None:
        raise InjectionError(f"unknown injection {name!r}; known: {', '.join(sorted(CATALOGUE))}")
    try:
        parsed = injection.params.model_validate(dict(params or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}" for e in exc.errors()
        )
        raise InjectionError(f"{name}: {problems}") from exc
    injection.apply(board, parsed)
    board.firmware.refresh_enable()  # a switch or a reboot may change an enable condition
    board.firmware.version += 1


def describe() -> list[dict[str, object]]:
    return [{"name": i.name, "help": i.help, "params": list(i.params.model_fields)} for i in _ALL]
