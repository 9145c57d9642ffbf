"""The link refuses a board that is not what it claims, or that does not keep its interlocks.

These boards are the simulator with one answer falsified in its transport: a board whose
firmware misbehaves in exactly that way cannot be bought, so it is built here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from controller.app.composition import SimTransport, open_link
from firmware_bridge import TableLink
from firmware_bridge.errors import BoardMismatch, EncodeError, InterlockMismatch, LinkTimeout
from firmware_bridge.icd import DeviceIdObject
from firmware_bridge.link import RetryPolicy
from firmware_bridge.values import InterlockConfig
from safety import gate
from tests.helpers import TEST_INTERLOCKS


class FalsifyingTransport:
    """The simulator's transport with one kind of answer falsified."""

    def __init__(
        self,
        inner: SimTransport,
        *,
        config_word: tuple[int, int] | None = None,
        version: int | None = None,
        product: bytes | None = None,
    ) -> None:
        self.inner = inner
        self.timeout_s = inner.timeout_s
        self.config_word = config_word
        self.version = version
        self.product = product

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def read_holding(self, address: int, count: int) -> list[int]:
        words = self.inner.read_holding(address, count)
        if self.config_word is not None and address == 8:
            index, value = self.config_word
            words[index] = value
        return words

    def read_input(self, address: int, count: int) -> list[int]:
        words = self.inner.read_input(address, count)
        if self.version is not None and address == 0:
            words[0] = self.version
        return words

    def read_device_id(self) -> dict[int, bytes]:
        objects = self.inner.read_device_id()
        if self.product is not None:
            objects[int(DeviceIdObject.PRODUCT_CODE)] = self.product
        return objects

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        self.inner.write_registers(address, values)

    def write_register(self, address: int, value: int) -> None:
        self.inner.write_register(address, value)

    def read_write(
        self, read_address: int, read_count: int, write_address: int, values: Sequence[int]
    ) -> list[int]:
        return self.inner.read_write(read_address, read_count, write_address, values)


def falsified(
    *,
    config_word: tuple[int, int] | None = None,
    version: int | None = None,
    product: bytes | None = None,
) -> TableLink:
    link = open_link("sim://").link
    assert isinstance(link.transport, SimTransport)
    transport = FalsifyingTransport(
        link.transport, config_word=config_word, version=version, product=product
    )
    return TableLink(transport, clock=link.clock)


def test_wrong_icd_version_is_refused() -> None:
    with pytest.raises(BoardMismatch, match="ICD version 0x0200"):
        falsified(version=0x0200).connect()


def test_wrong_product_is_refused() -> None:
    with pytest.raises(BoardMismatch, match="TT-2"):
        falsified(product=b"TT-2").connect()


@pytest.mark.requirement("SR-024")
def test_interlock_read_back_mismatch_refuses_the_session() -> None:
    link = falsified(config_word=(3, 0xFFFF))  # low word of FORCE_TRIP reads back wrong
    link.connect()
    with pytest.raises(InterlockMismatch, match="register 11"):
        link.configure_interlocks(TEST_INTERLOCKS)


def test_interlocks_the_board_would_refuse_are_refused_before_sending() -> None:
    link = open_link("sim://").link
    link.connect()
    with pytest.raises(EncodeError, match="FORCE_TRIP"):
        link.configure_interlocks(InterlockConfig(0.1, 1500.0, 0.02, 0.01, 10.0))


def test_cycle_is_tried_once_setup_is_retried() -> None:
    opened = open_link("sim://")
    assert opened.board is not None
    link = TableLink(
        opened.link.transport,
        clock=opened.link.clock,
        policy=RetryPolicy(cycle_attempts=1, setup_attempts=3),
    )
    link.connect()
    opened.board.link.drop = 2
    assert link.read_interlocks() is not None  # third attempt gets through
    opened.board.link.drop = 1
    with pytest.raises(LinkTimeout):
        link.cycle(gate.IDLE)
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(cycle_attempts=0)
