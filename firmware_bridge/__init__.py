"""The table's controller board over Modbus: ICD as code, typed values, TableLink."""

from firmware_bridge.errors import LinkError
from firmware_bridge.link import RetryPolicy, TableLink, WallClock
from firmware_bridge.values import BoardIdentity, Command, InterlockConfig, Telemetry

__all__ = [
    "BoardIdentity",
    "Command",
    "InterlockConfig",
    "LinkError",
    "RetryPolicy",
    "TableLink",
    "Telemetry",
    "WallClock",
]
