"""Protocol models: static, intermittent, progressive, regressive, cyclic, and programs.

Ranges follow commercial tables (hold and rest 1-99 s, sessions up to 99 min). `total_s` of a
repeated protocol counts the time at a set force (holds and rests, or whole cycles); ramps
between them add to the session. Every model refuses unknown fields; a protocol is further
checked against the safety limits for the patient (`controller.protocols.checks`) before
anything can start. Forces in N, times in s.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_SESSION_S = 99 * 60.0
PHASE_S = Field(ge=1.0, le=99.0)
FORCE_N = Field(ge=0.0, le=1000.0)
Region = Literal["lumbar", "cervical"]


class _Protocol(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    region: Region = "lumbar"
    slack_take_up_n: float = Field(default=20.0, gt=0.0, le=100.0)
    ramp_up_n_s: float = Field(default=20.0, gt=0.0, le=500.0)
    ramp_down_n_s: float = Field(default=30.0, gt=0.0, le=500.0)


class Static(_Protocol):
    kind: Literal["static"] = "static"
    force_n: float = FORCE_N
    duration_s: float = Field(ge=1.0, le=MAX_SESSION_S)


class _Repeated(_Protocol):
    cycles: int | None = Field(default=None, ge=1, le=1000)
    total_s: float | None = Field(default=None, ge=1.0, le=MAX_SESSION_S)

    @model_validator(mode="after")
    def _one_length(self) -> Self:
        if (self.cycles is None) == (self.total_s is None):
            raise ValueError("give exactly one of cycles or total_s")
        return self


class Intermittent(_Repeated):
    kind: Literal["intermittent"] = "intermittent"
    hold_force_n: float = FORCE_N
    hold_s: float = PHASE_S
    rest_force_n: float = FORCE_N
    rest_s: float = PHASE_S

    @model_validator(mode="after")
    def _rest_below_hold(self) -> Self:
        if self.rest_force_n >= self.hold_force_n:
            raise ValueError("rest_force_n must be below hold_force_n")
        return self


class _Stepped(_Protocol):
    start_force_n: float = FORCE_N
    end_force_n: float = FORCE_N
    steps: int = Field(ge=2, le=20)
    step_s: float = PHASE_S


class Progressive(_Stepped):
    kind: Literal["progressive"] = "progressive"

    @model_validator(mode="after")
    def _rising(self) -> Self:
        if self.end_force_n <= self.start_force_n:
            raise ValueError("a progressive protocol rises: end_force_n above start_force_n")
        return self


class Regressive(_Stepped):
    kind: Literal["regressive"] = "regressive"

    @model_validator(mode="after")
    def _falling(self) -> Self:
        if self.end_force_n >= self.start_force_n:
            raise ValueError("a regressive protocol falls: end_force_n below start_force_n")
        return self


class Cyclic(_Repeated):
    kind: Literal["cyclic"] = "cyclic"
    peak_force_n: float = FORCE_N
    base_force_n: float = FORCE_N
    rise_s: float = PHASE_S
    peak_s: float = Field(default=1.0, ge=0.0, le=99.0)
    fall_s: float = PHASE_S
    base_s: float = Field(default=1.0, ge=0.0, le=99.0)

    @model_validator(mode="after")
    def _base_below_peak(self) -> Self:
        if self.base_force_n >= self.peak_force_n:
            raise ValueError("base_force_n must be below peak_force_n")
        return self


Step = Annotated[
    Static | Intermittent | Progressive | Regressive | Cyclic, Field(discriminator="kind")
]


class Program(BaseModel):
    """Protocols run one after another (e.g. a progressive warm-up, then intermittent)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["program"] = "program"
    steps: list[Step] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_region(self) -> Self:
        if len({s.region for s in self.steps}) > 1:
            raise ValueError("every step of a program treats the same region")
        return self

    @property
    def region(self) -> Region:
        return self.steps[0].region


Protocol = Annotated[
    Static | Intermittent | Progressive | Regressive | Cyclic | Program,
    Field(discriminator="kind"),
]


class ProtocolFile(BaseModel):
    """A protocol as stored: a name, a description, and the protocol itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    protocol: Protocol
    # EMG-gated traction: the pull rises only while the muscles let it (controller/muscles/
    # gate.py); such a protocol needs a muscle signal connected and is refused without one
    emg_gate: bool = False
