"""The find bar of a document view (Ctrl+F): matches names, ops and class names, next/previous.

Matching runs in `kinspect.search` (Qt-free); this widget only keeps the cursor and tells the
view which node to select. The index is built on the first search, not when a document opens,
so opening a 200,000-node graph does not pay for a search nobody asked for.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from ..model import Document
from ..search import Cursor, SearchIndex


class MatchListModel(QAbstractListModel):
    """The matches as a flat list ("Filter"): rows are labelled on demand, so listing 100,000
    matches costs nothing until they are drawn."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.index_: SearchIndex | None = None
        self.positions: list[int] = []

    def set_matches(self, index: SearchIndex | None, positions: list[int]) -> None:
        self.beginResetModel()
        self.index_ = index
        self.positions = positions
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.positions)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.index_ is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            name, kind = self.index_.label(self.positions[index.row()])
            return f"{name}    {kind}" if role == Qt.ItemDataRole.DisplayRole else name
        return None


class SearchBar(QWidget):
    found = Signal(object)  # the Node to select
    filter_toggled = Signal(bool)  # show the matches as a list instead of the tree

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.index: SearchIndex | None = None
        self.matches: list[int] = []  # positions in the index, resolved to rows when shown
        self.cursor = Cursor(0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Find name, op or class (Enter: next, Shift+Enter: previous)")
        self.edit.setClearButtonEnabled(True)
        self.previous_button = QToolButton(text="▲", toolTip="Previous match (Shift+F3)")
        self.next_button = QToolButton(text="▼", toolTip="Next match (F3)")
        self.close_button = QToolButton(text="✕", toolTip="Close (Esc)")
        self.filter_button = QToolButton(text="Filter", checkable=True,
                                         toolTip="List only the matches")
        self.filter_button.toggled.connect(self.filter_toggled)
        self.list_model = MatchListModel(self)
        self.count_label = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Find:"))
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.filter_button)
        layout.addWidget(self.close_button)
        # Re-match shortly after typing stops instead of on every keystroke.
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.run_query)
        self.edit.textChanged.connect(lambda _t: self._debounce.start())
        self.edit.returnPressed.connect(self._enter)
        self.next_button.clicked.connect(self.next)
        self.previous_button.clicked.connect(self.previous)
        self.close_button.clicked.connect(self.close_bar)
        # F3 / Shift+F3 are the window's Edit > Find Next / Previous (they work with the bar
        # closed too); a second F3 shortcut here would make both ambiguous.
        QShortcut(QKeySequence("Shift+Return"), self.edit, activated=self.previous)
        QShortcut(QKeySequence("Escape"), self, activated=self.close_bar)
        self._query = ""

    def open(self) -> None:
        """Show the bar and focus the field (Ctrl+F)."""
        self.show()
        self.edit.setFocus()
        self.edit.selectAll()

    def close_bar(self) -> None:
        """Esc: back to the whole tree."""
        self.filter_button.setChecked(False)
        self.hide()

    def search(self, text: str) -> int:
        """Set the query, run it now and select the first match; returns the match count."""
        self.edit.setText(text)
        self._debounce.stop()
        self.run_query()
        return len(self.matches)

    def find_op(self, op: str) -> int:
        """List the graph nodes whose op is OP (the Summary page's op rows); the field shows
        the op, editing it searches names again. Returns the match count."""
        if self.index is None:
            self.index = SearchIndex(self.document)
        self._query = op  # so the field's change below does not rerun a substring search
        self.edit.setText(op)
        self._debounce.stop()
        self._set_matches(self.index.by_op(op))
        return len(self.matches)

    def run_query(self) -> None:
        text = self.edit.text()
        if text == self._query and self.index is not None:
            return
        if self.index is None:
            self.index = SearchIndex(self.document)
        self._query = text
        self._set_matches(self.index.find(text))

    def _set_matches(self, matches: list[int]) -> None:
        self.matches = matches
        self.list_model.set_matches(self.index, self.matches)
        self.cursor = Cursor(len(self.matches))
        if self.matches:
            self.next()
        else:
            self._show_count()

    def _enter(self) -> None:
        if self.edit.text() != self._query:
            self._debounce.stop()
            self.run_query()
        else:
            self.next()

    def show_match(self, row: int) -> None:
        """Select the match at `row` of the list (a click in Filter mode)."""
        if 0 <= row < len(self.matches):
            self.cursor.position = row
            self._go(row)

    def next(self) -> None:
        self._go(self.cursor.next())

    def previous(self) -> None:
        self._go(self.cursor.previous())

    def _go(self, position: int) -> None:
        self._show_count()
        if position >= 0 and self.index is not None:
            node = self.index.node(self.matches[position])
            if node is not None:
                self.found.emit(node)

    def _show_count(self) -> None:
        if not self.edit.text().strip():
            self.count_label.setText("")
        elif not self.matches:
            self.count_label.setText("no match")
        else:
            self.count_label.setText(f"{self.cursor.position + 1} of {len(self.matches):,}")
