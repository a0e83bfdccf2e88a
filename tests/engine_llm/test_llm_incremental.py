"""The partial-JSON item extractor: only closed items, string-aware, chunking-independent."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coach.engines.llm.incremental import IncompleteAnswer, ItemStream

ITEMS = [
    {"d": 1, "t": "easy-run", "min": 120, "note": "easy {run} :}"},
    {"d": 3, "t": "intervals", "min": 50, "note": '},{"d": 9} [not an item]'},
    {"d": 6, "t": "long-run", "min": 95.5, "note": "ünïcødé ✓"},
]
DOC = json.dumps({"week": 2, "workouts": ITEMS}, ensure_ascii=False)


def test_every_prefix_emits_only_closed_items() -> None:
    for end in range(len(DOC)):
        stream = ItemStream()
        out = stream.feed(DOC[:end])
        assert out == ITEMS[: len(out)], DOC[:end]
        # An item comes out only once the next one has begun.
        for index in range(len(out)):
            assert DOC.index(json.dumps(ITEMS[index + 1], ensure_ascii=False)[:6]) < end


def test_character_by_character_then_finish() -> None:
    stream = ItemStream()
    out = [item for char in DOC for item in stream.feed(char)]
    assert out == ITEMS[:2]
    assert stream.finish() == ITEMS[2:]
    assert stream.document == {"week": 2, "workouts": ITEMS}
    assert stream.partial["week"] == 2


def test_partial_number_is_not_taken_for_complete() -> None:
    stream = ItemStream()
    assert stream.feed('{"week": 1, "workouts": [{"d": 1, "min": 12') == []
    assert stream.feed('0}, {"d": 2') == [{"d": 1, "min": 120}]


def test_truncated_answer_raises_on_finish_after_closed_items() -> None:
    stream = ItemStream()
    assert stream.feed(DOC[: DOC.index('{"d": 6') + 10]) == ITEMS[:2]
    with pytest.raises(IncompleteAnswer, match="not complete JSON"):
        stream.finish()


@pytest.mark.parametrize("text", ["", "no json here", "[1, 2]", '{"weeks": []}'])
def test_not_an_answer(text: str) -> None:
    stream = ItemStream()
    assert stream.feed(text) == []
    with pytest.raises(IncompleteAnswer):
        stream.finish()


def test_code_fence_and_preamble_are_tolerated() -> None:
    stream = ItemStream()
    assert stream.feed("Here you go:\n```json\n" + DOC + "\n```") == ITEMS[:2]
    assert stream.finish() == ITEMS[2:]


def test_non_object_items_are_passed_on_for_validation() -> None:
    stream = ItemStream()
    assert stream.feed('{"workouts": [1, "two", {') == [{"_value": 1}, {"_value": "two"}]


@given(st.lists(st.integers(min_value=1, max_value=len(DOC)), max_size=40))
def test_any_chunking_gives_the_same_items(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [DOC[a:b] for a, b in zip([0, *points], [*points, len(DOC)], strict=True)]
    stream = ItemStream()
    out = []
    for chunk in chunks:
        fresh = stream.feed(chunk)
        assert fresh == ITEMS[len(out) : len(out) + len(fresh)]
        out.extend(fresh)
    out.extend(stream.finish())
    assert out == ITEMS
