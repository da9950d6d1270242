"""The outputs a user picked for freezing, shared by the tree's check boxes, the Outputs page
and the Save As dialog (one object per document view, so a pick made anywhere shows
everywhere)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal

from ...graph.outputs import node_name


class Picks(QObject):
    """Ordered node (or Keras layer) names, without `:0`; `changed` after every edit."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and node_name(name) in self._names

    def __len__(self) -> int:
        return len(self._names)

    def set_picked(self, name: str, on: bool) -> None:
        base = node_name(name)
        if on and base not in self._names:
            self._names.append(base)
        elif not on and base in self._names:
            self._names.remove(base)
        else:
            return
        self.changed.emit()

    def set_all(self, names: Iterable[str]) -> None:
        wanted: list[str] = []
        for name in names:
            if node_name(name) not in wanted:
                wanted.append(node_name(name))
        if wanted != self._names:
            self._names = wanted
            self.changed.emit()

