"""Targets: what the suite runs against, described in a small TOML file chosen at run time.

A target says where the table is (a device URL, or the built-in simulator that the suite
starts and stops itself), what it can do (capabilities: fault injection, automated switches,
channel B, ...) and which steps need a person (operator steps, each prompted with a timeout).
Tests that need a capability the target lacks are skipped with the reason.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.variants import DEFAULT_VARIANT, VARIANTS


class Capability(StrEnum):
    FAULT_INJECTION = "fault_injection"  # load-cell, drive, link faults on demand
    AUTOMATED_SWITCHES = "automated_switches"  # patient switch and e-stop without a person
    CHANNEL_B = "channel_b"  # a second load cell is fitted
    TEST_LOAD = "test_load"  # something to pull against is attached without asking
    EMG = "emg"  # a muscle signal on Lab Streaming Layer (the simulator's amplifier, or `emg`)


class OperatorStep(StrEnum):
    ATTACH_TEST_LOAD = "attach-test-load"
    PRESS_PATIENT_SWITCH = "press-patient-switch"
    UNPLUG_PATIENT_SWITCH = "unplug-patient-switch"
    PRESS_ESTOP = "press-estop"
    RESTORE_SWITCHES = "restore-switches"


class OperatorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    steps: list[OperatorStep] = Field(default_factory=list)


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    kind: Literal["builtin-sim", "table"]
    device: str | None = None  # a table's URL; the built-in simulator's comes from the server
    emg: str | None = None  # a table's EMG stream (lsl://?type=EMG&name=...); the simulator's
    # comes from its announcement
    wire: Literal["tcp", "rtu"] = "tcp"  # the built-in simulator: which of its wires to use
    patient: str = "test-spring"  # the built-in simulator: what it pulls against
    seed: int = 0
    variant: str = DEFAULT_VARIANT  # the built-in simulator: its reading of the ICD (sim/variants)
    weight_kg: float = Field(default=75.0, gt=20, le=250)
    capabilities: set[Capability] = Field(default_factory=set)
    enforce_timing: bool = True  # false: timing recorded but not enforced (shared machines)
    operator: OperatorSettings = Field(default_factory=OperatorSettings)

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.kind == "table" and not self.device:
            raise ValueError("kind = 'table' needs device (its URL, e.g. rtu:///dev/ttyUSB0)")
        if self.kind == "table" and self.device and self.device.startswith("sim:"):
            raise ValueError("a table target cannot be sim://; use kind = 'builtin-sim'")
        if self.kind == "builtin-sim" and self.device:
            raise ValueError("kind = 'builtin-sim' starts its own simulator: drop device")
        if self.emg is not None and not self.emg.startswith("lsl://"):
            raise ValueError("emg is a Lab Streaming Layer URL: lsl://?type=EMG&name=NAME")
        if Capability.EMG in self.capabilities and self.kind == "table" and not self.emg:
            raise ValueError("capability emg on a table needs emg (its stream's lsl:// URL)")
        if self.variant not in VARIANTS:
            raise ValueError(f"variant {self.variant!r}: one of {', '.join(VARIANTS)}")
        if self.kind == "table" and self.variant != DEFAULT_VARIANT:
            raise ValueError("variant is a built-in simulator's; a table is what it is")
        if Capability.FAULT_INJECTION in self.capabilities and self.kind == "table":
            raise ValueError("fault_injection needs the simulator's control interface")
        return self

    def with_variant(self, variant: str) -> Target:
        """The same target with its simulated board taking another reading of the ICD."""
        if self.kind != "builtin-sim":
            raise TargetError("--board-variant is for the built-in simulator only")
        return Target.model_validate({**self.model_dump(), "variant": variant})

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def needs_operator(self, step: OperatorStep) -> bool:
        return step in self.operator.steps


class TargetError(ValueError):
    """An unreadable or invalid target file; the message names the file and the field."""


def builtin_target(name: str) -> Path:
    return Path(str(resources.files("hil") / "targets" / f"{name}.toml"))


def load_target(path: Path) -> Target:
    if not path.exists() and (candidate := builtin_target(str(path))).exists():
        path = candidate  # `--target sim-tcp` names a built-in target
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Target.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetError(f"{path}: cannot read the target file: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'target'}: {e['msg']}" for e in exc.errors()
        )
        raise TargetError(f"{path}: {problems}") from exc
