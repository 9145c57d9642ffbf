"""The audit chain, pure: intact chains verify; any one edit, deletion or reordering is found."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.records.chain import (
    GENESIS,
    ChainedEvent,
    Head,
    canonical,
    event_hash,
    verify_chain,
)

texts = st.text(min_size=0, max_size=12)
raw_events = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.none() | st.floats(0, 1e4, allow_nan=False),
        st.sampled_from(["state", "operator", "fault", "alarm", "info"]),
        texts,
        st.dictionaries(texts, st.integers() | texts, max_size=3),
    ),
    min_size=1,
    max_size=12,
)


def build(raw: list[tuple[int, float | None, str, str, dict[str, object]]]) -> list[ChainedEvent]:
    out, prev = [], GENESIS
    for seq, (sid, t, kind, msg, data) in enumerate(raw, start=1):
        body = (seq, sid, f"2026-01-01T00:00:{seq:02d}", t, kind, "none", msg, canonical(data))
        digest = event_hash(prev, body)
        out.append(ChainedEvent(*body, prev_hash=prev, hash=digest))
        prev = digest
    return out


def head(events: list[ChainedEvent]) -> Head:
    return Head(len(events), events[-1].hash if events else None)


@pytest.mark.requirement("SR-018")
@given(raw_events)
def test_an_intact_chain_verifies(raw: list) -> None:  # type: ignore[type-arg]
    events = build(raw)
    assert verify_chain(events, head(events)) == []


@pytest.mark.requirement("SR-018")
@given(raw_events, st.data())
def test_an_edited_event_is_found(raw: list, data: st.DataObject) -> None:  # type: ignore[type-arg]
    events = build(raw)
    i = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from(["message", "kind", "priority", "data", "at", "t_s"]))
    old = getattr(events[i], field)
    replacement: Any = (old or 0.0) + 1.0 if field == "t_s" else old + "x"
    events[i] = dataclasses.replace(events[i], **{field: replacement})
    problems = verify_chain(events, head(build(raw)))
    assert any(f"seq {i + 1}" in p and "edited" in p for p in problems), problems


@pytest.mark.requirement("SR-018")
@given(raw_events, st.data())
def test_a_deleted_event_is_found(raw: list, data: st.DataObject) -> None:  # type: ignore[type-arg]
    events = build(raw)
    original_head = head(events)
    del events[data.draw(st.integers(0, len(events) - 1))]
    assert verify_chain(events, original_head) != []


@pytest.mark.requirement("SR-018")
@given(raw_events.filter(lambda r: len(r) >= 2), st.data())
def test_reordered_events_are_found(raw: list, data: st.DataObject) -> None:  # type: ignore[type-arg]
    events = build(raw)
    i = data.draw(st.integers(0, len(events) - 2))
    events[i], events[i + 1] = events[i + 1], events[i]
    assert verify_chain(events, head(build(raw))) != []


@pytest.mark.requirement("SR-018")
@given(raw_events.filter(lambda r: len(r) >= 2), st.data())
def test_renumbering_after_a_deletion_is_still_found(
    raw: list,  # type: ignore[type-arg]
    data: st.DataObject,
) -> None:
    """Deleting a row and renumbering the rest to close the gap breaks the hash links."""
    events = build(raw)
    i = data.draw(st.integers(0, len(events) - 2))
    kept = events[:i] + [dataclasses.replace(e, seq=e.seq - 1) for e in events[i + 1 :]]
    assert verify_chain(kept, Head(len(kept), kept[-1].hash)) != []
