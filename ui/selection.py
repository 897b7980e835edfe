"""Table rows ticked by ID: ``st.dataframe`` positions read against the exact frame the user saw."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

KEEP = 4  # frames remembered, so a click that raced a rerun is still read against the frame it was made on


class RowSelection:
    """The rows ticked in one ``st.dataframe(on_select=...)``, kept as IDs across reruns.

    ``st.dataframe`` reports a tick as a row position in the frame the browser shows. Each distinct frame is
    drawn under its own widget key, so a position is always read against the frame it was ticked in; when the
    frame changes (someone else decided a lead, a search narrowed the table) the ticked IDs are carried to
    their new positions, and the ones the new frame no longer holds are reported. A frame that was acted on
    gives no IDs any more: a second click on it is a repeat, never an action on whatever now sits in those rows.

    ``state`` is ``st.session_state`` in the app (any mutable mapping in tests).

    Examples:
        >>> state = {}
        >>> sel = RowSelection(state, "queue")
        >>> key, gone = sel.show(["A", "B", "C"])
        >>> state[key] = {"selection": {"rows": [1]}}  # the user ticks the row showing B
        >>> sel.ids(key)
        ['B']
        >>> key2, gone = sel.show(["B", "C"])  # A was decided elsewhere: B moved up, and stays ticked
        >>> state[key2]["selection"]["rows"], sel.ids(key2), sel.ids(key)
        ([0], ['B'], ['B'])
        >>> sel.act(key2), sel.act(key2), sel.ids(key2)
        (True, False, [])
    """

    def __init__(self, state: MutableMapping[str, Any], name: str) -> None:
        self._state = state
        self._name = name

    @property
    def _frames(self) -> dict[str, list[str]]:
        return self._state.setdefault(f"{self._name}_frames", {})

    @property
    def _acted(self) -> list[str]:
        return self._state.setdefault(f"{self._name}_acted", [])

    @property
    def key(self) -> str | None:
        """The widget key of the frame drawn last (``None`` before the first)."""
        return self._state.get(f"{self._name}_key")

    def ids(self, key: str | None = None) -> list[str]:
        """The IDs ticked in the frame drawn under ``key`` (default: the last one), in the order ticked."""
        key = key or self.key
        frame = self._frames.get(key) if key else None
        if frame is None or key in self._acted:
            return []
        event = self._state[key] if key in self._state else None
        rows = event["selection"]["rows"] if event else []
        return list(dict.fromkeys(frame[i] for i in rows if 0 <= i < len(frame)))

    def show(self, ids: Sequence[str]) -> tuple[str, list[str]]:
        """The key to draw a frame of ``ids`` under, and the ticked IDs it no longer holds.

        Call it right before drawing the table: a new frame gets a new key, pre-ticked at the new positions
        of the IDs ticked before.
        """
        ids = [str(i) for i in ids]
        last = self.key
        if last is not None and last not in self._acted and self._frames.get(last) == ids:
            return last, []
        ticked = self.ids(last)
        n = int(self._state.get(f"{self._name}_n", 0)) + 1
        key = f"{self._name}_{n}"
        frames = self._frames
        frames[key] = ids
        for old in list(frames)[:-KEEP]:
            del frames[old]
        self._state[f"{self._name}_acted"] = [k for k in self._acted if k in frames]
        self._state[f"{self._name}_n"] = n
        self._state[f"{self._name}_key"] = key
        position = {lead: i for i, lead in enumerate(ids)}
        rows = [position[i] for i in ticked if i in position]
        if rows:
            self._state[key] = {"selection": {"rows": rows, "columns": []}}
        return key, [i for i in ticked if i not in position]

    def act(self, key: str) -> bool:
        """Mark the frame under ``key`` acted on; ``False`` when it already was (the click is a repeat)."""
        if key in self._acted:
            return False
        self._acted.append(key)
        return True

    def acted(self, key: str) -> bool:
        """Whether the frame under ``key`` was acted on already."""
        return key in self._acted
