"""``server._streams.diff``: the edit lists of ``process_generating`` messages must turn the
client's last value into the new one when the official client applies them
(``gradio_client.utils.apply_diff``). Compared as JSON, so that ``1`` vs ``1.0`` or ``True``
vs ``1`` (equal in Python, not on the wire) count as differences."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from gradio_client.utils import apply_diff

from server._streams import diff


def round_trip(old: Any, new: Any) -> list[list[Any]]:
    edits = diff(old, new)
    kept = copy.deepcopy(old)
    result = apply_diff(old, edits)
    assert json.dumps(result) == json.dumps(new), edits
    assert old == kept  # neither diff nor apply_diff changed the old value
    json.dumps(edits)  # the edits travel as JSON
    return edits


CASES: dict[str, tuple[Any, Any]] = {
    "same": ("abc", "abc"),
    "string-grows": ("Hel", "Hello"),
    "string-from-empty": ("", "Hello"),
    "string-changes": ("Hello", "Help"),
    "string-shrinks": ("Hello", "He"),
    "list-grows": ([1, 2], [1, 2, 3, 4]),
    "list-shrinks": ([1, 2, 3, 4], [1]),
    "list-empties": ([1, 2], []),
    "list-item-changes": (["a", "b", "c"], ["a", "X", "c"]),
    "list-shrinks-and-changes": (["a", "b", "c"], ["z"]),
    "dict-adds-key": ({"a": 1}, {"a": 1, "b": 2}),
    "dict-removes-key": ({"a": 1, "b": 2}, {"b": 2}),
    "dict-changes-value": ({"a": 1, "b": "x"}, {"a": 2, "b": "xy"}),
    "dict-swaps-keys": ({"a": 1}, {"b": 1}),
    "type-change-str-to-list": ("abc", ["abc"]),
    "type-change-to-none": ([1], None),
    "type-change-from-none": (None, {"a": 1}),
    "type-change-int-to-float": (1, 1.5),
    "type-change-in-list": (["1", 2], [1, "2"]),
    "number-changes": (1.5, 2.5),
    "bool-flips": (True, False),
    "nested-chat-grows": (
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hel"}],
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "More"},
        ],
    ),
    "nested-deep": (
        {"a": [{"b": ["x"]}, 1], "c": {"d": "e"}},
        {"a": [{"b": ["xy", "z"]}], "c": {"d": "e", "f": [None]}},
    ),
    "outputs-list": (["Hel", 1.0, None], ["Hello", 2.0, {"path": "/tmp/x"}]),
}


@pytest.mark.parametrize(("old", "new"), list(CASES.values()), ids=list(CASES))
def test_diff_round_trips_through_apply_diff(old: Any, new: Any) -> None:
    round_trip(old, new)


def test_no_change_is_no_edit() -> None:
    assert diff(["a", {"b": [1]}], ["a", {"b": [1]}]) == []


def test_a_grown_string_is_an_append_of_the_new_characters() -> None:
    assert round_trip("Hel", "Hello") == [["append", [], "lo"]]
    assert round_trip(["Hel"], ["Hello"]) == [["append", [0], "lo"]]


def test_stream_of_prefixes_as_the_client_sees_it() -> None:
    """Each value of a generator, rebuilt by applying each edit list to the last value."""
    values = [["H"], ["He"], ["Hel"], ["Hell"], ["Hello"], ["Hello!"]]
    shown = values[0]
    for new in values[1:]:
        edits = diff(shown, new)
        assert edits == [["append", [0], new[0][-1]]]
        shown = apply_diff(shown, edits)
    assert shown == ["Hello!"]


@pytest.mark.parametrize(
    ("old", "new"),
    [([1], [1.0]), ([True], [1]), ({"a": [0]}, {"a": [False]}), ([1.0, "x"], [1, "x"])],
    ids=["int-to-float", "bool-to-int", "int-to-bool-nested", "float-to-int"],
)
def test_values_equal_in_python_but_not_in_json_are_sent(old: Any, new: Any) -> None:
    round_trip(old, new)
