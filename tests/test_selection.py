"""Table ticks kept by ID: read against the frame they were made on, carried to new frames, never repeated."""

from __future__ import annotations

import pytest

from ui.selection import KEEP, RowSelection


def _tick(state, key, rows):
    state[key] = {"selection": {"rows": rows, "columns": []}}


def test_an_unchanged_frame_keeps_its_key_and_its_ticks():
    state: dict = {}
    sel = RowSelection(state, "q")
    key, _ = sel.show(["A", "B"])
    _tick(state, key, [1])
    assert sel.show(["A", "B"]) == (key, [])
    assert sel.ids() == ["B"]


@pytest.mark.parametrize(
    ("before", "ticked", "after", "rows", "gone"),
    [
        (["A", "B", "C"], [1], ["B", "C"], [0], []),  # a lead above was decided elsewhere
        (["A", "B", "C"], [0, 2], ["C"], [0], ["A"]),  # a search hides a ticked lead
        (["A", "B"], [1], ["Z", "A", "B"], [2], []),  # a new lead arrived on top
        (["A", "B"], [0, 1], [], [], ["A", "B"]),  # nothing left
        (["A", "B"], [5], ["A"], [], []),  # a position the frame never had is ignored
        (["é", "日本"], [1], ["日本"], [0], []),  # unicode IDs
    ],
)
def test_ticks_follow_their_ids_into_a_new_frame(before, ticked, after, rows, gone):
    state: dict = {}
    sel = RowSelection(state, "q")
    old, _ = sel.show(before)
    _tick(state, old, ticked)
    new, left = sel.show(after)
    assert new != old and left == gone
    assert (state[new]["selection"]["rows"] if new in state else []) == rows
    assert sel.ids(new) == [after[i] for i in rows]


def test_a_late_position_is_read_against_the_frame_it_was_made_on():
    state: dict = {}
    sel = RowSelection(state, "q")
    old, _ = sel.show(["A", "B", "C"])
    new, _ = sel.show(["B", "C"])
    _tick(state, old, [1])  # the browser still showed the old frame when the user ticked
    assert sel.ids(old) == ["B"]
    assert sel.ids(new) == []


def test_a_frame_acted_on_gives_no_ids_and_its_ticks_do_not_carry_over():
    state: dict = {}
    sel = RowSelection(state, "q")
    key, _ = sel.show(["A", "B"])
    _tick(state, key, [0])
    assert sel.act(key) is True
    assert sel.act(key) is False and sel.acted(key)
    assert sel.ids(key) == []
    new, gone = sel.show(["A", "B"])  # same leads, but the table was acted on: a fresh, unticked one
    assert new != key and gone == [] and sel.ids(new) == []


def test_only_the_recent_frames_are_remembered():
    state: dict = {}
    sel = RowSelection(state, "q")
    keys = [sel.show([str(i)])[0] for i in range(KEEP + 3)]
    assert list(state["q_frames"]) == keys[-KEEP:]
    assert sel.ids(keys[0]) == []
