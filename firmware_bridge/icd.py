"""The board's Modbus interface (ICD v1.0) as data.

Every register number, word layout, unit and scale factor of the board lives here and
nowhere else: the codec, the link and the simulator all derive their behaviour from these
declarations, so a change to the ICD is a change to this one file. The simulator may import
this module (it plays the board); it imports nothing else from the bridge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ICD_VERSION = 0x0100
PRODUCT_CODE = "TT-1"
REVISION = "1.0"

DEFAULT_UNIT_ID = 1
UNIT_ID_MIN = 1
UNIT_ID_MAX = 247
DEFAULT_TCP_PORT = 5020
BOARD_TCP_PORT = 502
DEFAULT_BAUD = 115200
SUPPORTED_BAUDS = (19200, 57600, 115200)
DEFAULT_PARITY = "E"

# Modbus quantity limits (Modbus application protocol v1.1b3, ICD 3.1).
MAX_READ_COUNT = 125
MAX_WRITE_COUNT = 123
MAX_FC23_WRITE_COUNT = 121

# Holding registers 100+addr mirror the input registers (read-only).
MIRROR_OFFSET = 100


class FunctionCode(enum.IntEnum):
    READ_HOLDING = 0x03
    READ_INPUT = 0x04
    WRITE_SINGLE = 0x06
    WRITE_MULTIPLE = 0x10
    READ_WRITE_MULTIPLE = 0x17
    ENCAPSULATED = 0x2B


MEI_READ_DEVICE_ID = 0x0E


class ExceptionCode(enum.IntEnum):
    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03


class DeviceIdObject(enum.IntEnum):
    VENDOR_NAME = 0x00
    PRODUCT_CODE = 0x01
    MAJOR_MINOR_REVISION = 0x02


class Table(enum.Enum):
    INPUT = "input"
    HOLDING = "holding"


@dataclass(frozen=True, slots=True)
class Kind:
    """Word layout of a value: struct code, 16-bit registers taken, raw range."""

    name: str
    struct_code: str
    words: int
    min: int
    max: int


U16 = Kind("U16", "H", 1, 0, 0xFFFF)
I16 = Kind("I16", "h", 1, -0x8000, 0x7FFF)
U32 = Kind("U32", "I", 2, 0, 0xFFFF_FFFF)
I32 = Kind("I32", "i", 2, -0x8000_0000, 0x7FFF_FFFF)


@dataclass(frozen=True, slots=True, eq=False)
class Register:
    """One value of the ICD. `scale` converts a raw count to SI (raw * scale = SI).

    Compared and hashed by identity: each register is declared once, below.
    """

    name: str
    table: Table
    address: int
    kind: Kind
    unit: str
    scale: float
    writable: bool = False

    @property
    def words(self) -> int:
        return self.kind.words

    @property
    def end(self) -> int:
        """One past the last register address this value occupies."""
        return self.address + self.kind.words


def _in(name: str, address: int, kind: Kind, unit: str = "", scale: float = 1.0) -> Register:
    return Register(name, Table.INPUT, address, kind, unit, scale)


def _hold(name: str, address: int, kind: Kind, unit: str = "", scale: float = 1.0) -> Register:
    return Register(name, Table.HOLDING, address, kind, unit, scale, writable=True)


CN = 0.01  # centinewton -> N
UM = 1e-6  # micrometre -> m
MS = 1e-3  # millisecond -> s
MA = 1e-3  # milliampere -> A
DECI = 0.1  # 0.1 degC -> degC

# --- Input registers (FC04) ---------------------------------------------------------------
ICD_VERSION_REG = _in("ICD_VERSION", 0, U16)
STATUS = _in("STATUS", 1, U16, "bits")
FAULT_CODE = _in("FAULT_CODE", 2, U16)
SAMPLE_SEQ = _in("SAMPLE_SEQ", 3, U16)
FORCE_A = _in("FORCE_A", 4, I32, "cN", CN)
FORCE_B = _in("FORCE_B", 6, I32, "cN", CN)
POSITION = _in("POSITION", 8, I32, "um", UM)
VELOCITY = _in("VELOCITY", 10, I32, "um/s", UM)
MOTOR_CURRENT = _in("MOTOR_CURRENT", 12, I16, "mA", MA)
DRIVE_TEMP = _in("DRIVE_TEMP", 13, I16, "0.1C", DECI)
CMD_SEQ_ECHO = _in("CMD_SEQ_ECHO", 14, U16)
RESERVED_15 = _in("RESERVED_15", 15, U16)
UPTIME_MS = _in("UPTIME_MS", 16, U32, "ms", MS)

HW_FORCE_MAX = _in("HW_FORCE_MAX", 32, I32, "cN", CN)
HW_VELOCITY_MAX = _in("HW_VELOCITY_MAX", 34, I32, "um/s", UM)
HW_TRAVEL_MAX = _in("HW_TRAVEL_MAX", 36, I32, "um", UM)
SAMPLE_RATE_HZ = _in("SAMPLE_RATE_HZ", 38, U16, "Hz")

# --- Holding registers -------------------------------------------------------------------
CONTROL = _hold("CONTROL", 0, U16, "bits")
CMD_SEQ = _hold("CMD_SEQ", 1, U16)
VELOCITY_CMD = _hold("VELOCITY_CMD", 2, I32, "um/s", UM)

WATCHDOG_MS = _hold("WATCHDOG_MS", 8, U16, "ms", MS)
RESERVED_9 = _hold("RESERVED_9", 9, U16)
FORCE_TRIP = _hold("FORCE_TRIP", 10, I32, "cN", CN)
VELOCITY_LIMIT = _hold("VELOCITY_LIMIT", 12, I32, "um/s", UM)
RELEASE_SPEED = _hold("RELEASE_SPEED", 14, I32, "um/s", UM)
RELEASE_FORCE = _hold("RELEASE_FORCE", 16, I32, "cN", CN)


@dataclass(frozen=True, slots=True)
class Block:
    """A contiguous run of registers that is read or written in one transaction."""

    name: str
    registers: tuple[Register, ...]

    @property
    def start(self) -> int:
        return self.registers[0].address

    @property
    def count(self) -> int:
        return self.registers[-1].end - self.start

    @property
    def struct_format(self) -> str:
        return ">" + "".join(r.kind.struct_code for r in self.registers)

    def __post_init__(self) -> None:
        expected = self.registers[0].address
        for reg in self.registers:
            if reg.address != expected:
                raise ValueError(f"block {self.name}: gap or overlap at {reg.name}")
            expected = reg.end


TELEMETRY = Block(
    "telemetry",
    (
        ICD_VERSION_REG,
        STATUS,
        FAULT_CODE,
        SAMPLE_SEQ,
        FORCE_A,
        FORCE_B,
        POSITION,
        VELOCITY,
        MOTOR_CURRENT,
        DRIVE_TEMP,
        CMD_SEQ_ECHO,
        RESERVED_15,
        UPTIME_MS,
    ),
)
IDENTITY = Block("identity", (HW_FORCE_MAX, HW_VELOCITY_MAX, HW_TRAVEL_MAX, SAMPLE_RATE_HZ))
COMMAND = Block("command", (CONTROL, CMD_SEQ, VELOCITY_CMD))
CONFIG = Block(
    "config",
    (WATCHDOG_MS, RESERVED_9, FORCE_TRIP, VELOCITY_LIMIT, RELEASE_SPEED, RELEASE_FORCE),
)

INPUT_BLOCKS = (TELEMETRY, IDENTITY)
HOLDING_BLOCKS = (COMMAND, CONFIG)


class Status(enum.IntFlag):
    """STATUS register bits (ICD 2.1)."""

    NONE = 0
    DRIVE_READY = 1 << 0
    DRIVE_ENABLED = 1 << 1
    MOVING = 1 << 2
    FAULT = 1 << 3
    ESTOP = 1 << 4
    PATIENT_STOP = 1 << 5
    BRAKE_ENGAGED = 1 << 6
    AT_HOME = 1 << 7
    END_OF_TRAVEL = 1 << 8
    RELEASING = 1 << 9
    TARED = 1 << 10
    CHANNEL_B_FITTED = 1 << 11
    PATIENT_SWITCH_CONNECTED = 1 << 12


STATUS_DEFINED_MASK = (1 << 13) - 1


class Control(enum.IntFlag):
    """CONTROL register bits (ICD 3)."""

    NONE = 0
    ENABLE = 1 << 0
    FAULT_RESET = 1 << 1
    TARE = 1 << 2
    RELEASE = 1 << 3


CONTROL_DEFINED_MASK = 0x000F


class FaultCode(enum.IntEnum):
    """FAULT_CODE values (ICD 4)."""

    NONE = 0
    WATCHDOG = 1
    OVERFORCE = 2
    ESTOP = 3
    PATIENT_STOP = 4
    SENSOR = 5
    OVERTRAVEL = 6
    DRIVE = 7
    OVERSPEED = 8


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive raw range of a configuration value; a bound may name another register."""

    low: int | Register
    high: int | Register


# Configuration ranges (ICD 3). A Register bound means "the value of that register":
# HW_* from the identity block, FORCE_TRIP from the configuration being written.
CONFIG_RANGES: dict[Register, Range] = {
    WATCHDOG_MS: Range(20, 1000),
    RESERVED_9: Range(0, 0),
    FORCE_TRIP: Range(1000, HW_FORCE_MAX),
    VELOCITY_LIMIT: Range(100, HW_VELOCITY_MAX),
    RELEASE_SPEED: Range(1000, HW_VELOCITY_MAX),
    RELEASE_FORCE: Range(0, FORCE_TRIP),
}

# Power-on configuration (ICD 3), raw register values.
CONFIG_POWER_ON: dict[Register, int] = {
    WATCHDOG_MS: 200,
    RESERVED_9: 0,
    FORCE_TRIP: 90000,
    VELOCITY_LIMIT: 20000,
    RELEASE_SPEED: 10000,
    RELEASE_FORCE: 1000,
}

# Identity values of the TT-1 board (ICD 2), raw register values.
BOARD_IDENTITY_RAW: dict[Register, int] = {
    HW_FORCE_MAX: 100000,
    HW_VELOCITY_MAX: 50000,
    HW_TRAVEL_MAX: 300000,
    SAMPLE_RATE_HZ: 500,
}

# Firmware thresholds the ICD states in prose (ICD 2.1 and 4).
MOVING_THRESHOLD_UM_S = 500
OVERSPEED_FACTOR = 1.2
OVERSPEED_TIME_MS = 20
SENSOR_DISAGREE_MIN_CN = 2000
SENSOR_DISAGREE_SHARE = 0.05
SENSOR_DISAGREE_TIME_MS = 20
U16_WRAP = 1 << 16


def all_registers() -> tuple[Register, ...]:
    return tuple(r for b in (*INPUT_BLOCKS, *HOLDING_BLOCKS) for r in b.registers)
