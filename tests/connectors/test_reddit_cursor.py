"""The Reddit cursor: every item of a newest-first listing is returned once, none lost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.reddit.cursor import Cursor, Edge, ListingState, Round, advance, first_mark

Item = tuple[float, str]


def read(state: ListingState, listing: list[Item], size: int, budget: int) -> list[str]:
    """Poll ``listing`` (newest first) the way the connector does, within ``budget`` pages."""
    out: list[str] = []
    for _ in range(budget):
        start = 0
        if state.round is not None:
            start = [name for _, name in listing].index(state.round.after) + 1
        page = listing[start : start + size]
        after = page[-1][1] if page and start + size < len(listing) else None
        step = advance(state, page, after)
        out += [page[i][1] for i in step.new]
        if step.done:
            break
    return out


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_every_item_once_whatever_the_budget(data: st.DataObject) -> None:
    listing: list[Item] = []
    clock, count = 1_000_000.0, 0
    stored = Cursor(lists={"l": ListingState(mark=Edge(0.0))}).encode()
    returned: list[str] = []
    size = data.draw(st.integers(1, 4), label="page size")
    positions = [Cursor.decode(stored).position()]
    for _ in range(data.draw(st.integers(1, 6), label="rounds")):
        for _ in range(data.draw(st.integers(0, 10), label="new items")):
            clock += data.draw(st.sampled_from([0.0, 0.0, 1.0, 7.0]))  # same-second bursts
            count += 1
            listing.insert(0, (clock, f"t3_{count}"))
        for _ in range(data.draw(st.integers(1, 3), label="polls")):
            cursor = Cursor.decode(stored)  # through the string, as the store keeps it
            state = cursor.state("l")
            returned += read(state, listing, size, data.draw(st.integers(1, 3), label="budget"))
            stored = cursor.encode()
            positions.append(Cursor.decode(stored).position())
    for _ in range(2 * len(listing) + 2):  # drain: poll until a poll from the top is idle
        cursor = Cursor.decode(stored)
        from_top = cursor.state("l").round is None
        got = read(cursor.state("l"), listing, size, 1)
        returned += got
        stored = cursor.encode()
        if from_top and not got and cursor.state("l").round is None:
            break
    assert len(returned) == len(set(returned)), "an item came back twice"
    assert set(returned) == {name for _, name in listing}, "an item was lost"
    assert positions == sorted(positions), "the cursor moved back"
    assert read(Cursor.decode(stored).state("l"), listing, size, 3) == []


def test_advance_stops_at_the_mark_and_keeps_same_second_ids() -> None:
    state = ListingState(mark=Edge(100.0, frozenset({"t1_a"})))
    page = [(102.0, "t1_d"), (100.0, "t1_c"), (100.0, "t1_a"), (99.0, "t1_z")]
    step = advance(state, page, after="t1_z")
    assert step.done and step.new == [0, 1]
    assert state.mark == Edge(102.0, frozenset({"t1_d"})) and state.round is None


def test_short_budget_keeps_a_round_and_position_uses_its_top() -> None:
    state = ListingState(mark=Edge(10.0))
    step = advance(state, [(30.0, "t3_c"), (20.0, "t3_b")], after="t3_b")
    assert not step.done and state.round == Round(
        after="t3_b", top=Edge(30.0, frozenset({"t3_c"})), floor=Edge(20.0, frozenset({"t3_b"}))
    )
    assert state.position() == 30.0 and state.mark == Edge(10.0)
    # the same page served again for the continuation yields nothing already returned
    again = advance(state, [(30.0, "t3_c"), (20.0, "t3_b")], after=None)
    assert again.new == [] and again.done and state.mark == Edge(30.0, frozenset({"t3_c"}))


def test_first_mark() -> None:
    assert first_mark([]) == Edge(0.0)
    assert first_mark([(5.0, "t1_b"), (5.0, "t1_a"), (4.0, "t1_z")]) == Edge(
        5.0, frozenset({"t1_a", "t1_b"})
    )


@pytest.mark.parametrize(
    "text",
    [
        "t3_abc",
        "{}",
        '{"v": 2, "lists": {}}',
        '{"v": 1, "lists": []}',
        '{"v": 1, "lists": {"inbox": {"round": {}}}}',
        '{"v": 1, "lists": {"inbox": {"mark": {"t": "soon"}}}}',
    ],
)
def test_unreadable_cursors_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Cursor.decode(text)


def test_round_trip_and_empty_position() -> None:
    assert Cursor.decode(None).position() == float("-inf")
    cursor = Cursor(
        lists={
            "comments": ListingState(mark=Edge(5.0, frozenset({"t1_x"}))),
            "submissions": ListingState(
                mark=Edge(3.0), round=Round("t3_q", Edge(9.0, frozenset({"t3_r"})), Edge(4.0))
            ),
        },
        turn=1,
    )
    text = cursor.encode()
    assert Cursor.decode(text) == cursor and Cursor.decode(text).position() == 9.0
