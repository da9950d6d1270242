"""The Outputs page: pick the nodes (or Keras layers) to freeze, see what a freeze keeps.

Suggestions come from kinspect.graph.outputs.candidates; picks are shared with the tree's check
boxes (output_picks.Picks) and go straight into File > Save As (frozen graph), so nobody
retypes a name or has to know whether `:0` belongs.

Both are slow on big graphs (about a second each at 200k nodes), so they run on workers: the
suggestions once, the count of what a freeze keeps after each change of the picks (a count
that finishes for picks since changed is dropped and made again for the current ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...convert.sources import GRAPH_SOURCES
from ...graph import focus as graph_focus
from ...graph.outputs import OutputCandidate, backward_closure, candidates, tensor_name
from ...model import Document
from ..clipboard import copy_button
from ..workers import Task, start
from .output_picks import Picks

if TYPE_CHECKING:
    from ..document_view import DocumentView

FREEZE_TARGET = "tf-graphdef"
FINDING = "Finding outputs…"
SHAPE_LOOKUP_NODES = 20_000  # graphs up to this size show a pick's shape (a tree walk)


def kept_count(doc: Document, names: list[str]) -> tuple[int, int]:
    """(kept, total): graph nodes (or Keras layers) a freeze to NAMES keeps, from the graph
    index the Graph page shares (built once per document)."""
    inputs = graph_focus.index_for(doc).inputs
    total = len(doc.nodes) if doc.nodes else len(doc.layers)
    return len(backward_closure(names, inputs.__getitem__, inputs)), total



class OutputsPage(QWidget):
    def __init__(self, view: DocumentView) -> None:
        super().__init__()
        self.view = view
        self.document = view.document
        self.is_keras = not self.document.nodes and bool(self.document.layers)
        self.picks = Picks(self)
        view.picks = self.picks  # type: ignore[attr-defined] - shared with Save As
        view.model.picks = self.picks
        self.picks.changed.connect(self.refresh)
        self.follow_graph = False  # after Show in Graph, the drawing follows the picks
        self.candidates: list[OutputCandidate] = []  # filled by a worker (FINDING till then)
        self.finding = True
        self.find_error = ""
        self.kept_counts: tuple[int, int] | None = None  # for the current picks, when counted
        self._counting = False

        what = "layers" if self.is_keras else "graph nodes"
        intro = QLabel(f"Pick the {what} to freeze: tick them here or in the Tree. "
                       "The picks go to File > Save As > Frozen TensorFlow graph.")
        intro.setWordWrap(True)
        self.suggested = QTableWidget(0, 3)
        self.suggested.setHorizontalHeaderLabels(["Pick", "Suggested output", "Why"])
        self.suggested.verticalHeader().hide()
        self.suggested.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.suggested.itemChanged.connect(self._suggestion_ticked)
        self.table = QTableWidget(0, 5)
        self.table.setColumnCount(6)
        self.table.setHorizontalHeaderLabels(["Node name (freeze)", "", "Tensor name (run)",
                                              "", "", "Shape"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for table in (self.suggested, self.table):
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            # as tall as their rows (a long list scrolls), not a screenful of empty grid
            table.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
            table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.suggested.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.freeze_button = QPushButton("Freeze with these outputs…")
        self.freeze_button.clicked.connect(self.freeze)
        self.graph_button = QPushButton("Show in Graph")
        self.graph_button.setToolTip("Draw the picked outputs and everything they depend on")
        # clicked(bool) would pass checked=False as `switch`: a real click stayed on this page
        self.graph_button.clicked.connect(lambda: self.show_in_graph())
        self.clear_button = QPushButton("Clear picks")
        self.clear_button.clicked.connect(lambda: self.picks.set_all([]))
        buttons = QHBoxLayout()
        buttons.addWidget(self.freeze_button)
        buttons.addWidget(self.graph_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("<b>Suggestions</b>"))
        layout.addWidget(self.suggested)
        layout.addWidget(QLabel("<b>Picked outputs</b>"))
        layout.addWidget(self.table)
        layout.addWidget(self.preview)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self._fill_suggestions()
        self.refresh()
        doc = self.document
        task = Task(lambda _progress: candidates(doc), doc.path)
        task.signals.finished.connect(self._found)  # bound methods: dropped with the page
        task.signals.failed.connect(self._find_failed)
        start(task, name="kinspect-outputs")

    # -- suggestions
    def _found(self, found: list[OutputCandidate]) -> None:
        names = {c.node for c in found}
        picked_in_tree = [c for c in self.candidates if c.node not in names]
        self.finding = False
        self.candidates = found + picked_in_tree
        self._fill_suggestions()
        self.refresh()

    def _find_failed(self, message: str, _details: str) -> None:
        self.finding = False
        self.find_error = f"No suggestions: {message}"
        self._fill_suggestions()

    def _fill_suggestions(self) -> None:
        note = FINDING if self.finding else self.find_error  # a last row, after the picks
        self.suggested.blockSignals(True)
        self.suggested.setRowCount(len(self.candidates) + bool(note))
        if note:
            self.suggested.setItem(len(self.candidates), 0, QTableWidgetItem(""))
            self.suggested.setItem(len(self.candidates), 1, QTableWidgetItem(note))
        for row, cand in enumerate(self.candidates):
            tick = QTableWidgetItem()
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            tick.setCheckState(Qt.CheckState.Unchecked)
            self.suggested.setItem(row, 0, tick)
            self.suggested.setItem(row, 1, QTableWidgetItem(cand.node))
            self.suggested.setItem(row, 2, QTableWidgetItem(cand.reason))
        self.suggested.blockSignals(False)

    def _suggestion_ticked(self, item: QTableWidgetItem) -> None:
        if item.column() == 0 and item.row() < len(self.candidates):
            self.picks.set_picked(self.candidates[item.row()].node,
                                  item.checkState() == Qt.CheckState.Checked)

    def pick_suggestion(self, row: int, on: bool = True) -> None:
        """Tick suggestion `row` (what a click on its check box does)."""
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        self.suggested.item(row, 0).setCheckState(state)

    # -- picks
    def tensor_for(self, name: str) -> str:
        """The tensor name a pick runs as: `node:0` for a graph node, and for a Keras layer
        the name its frozen output gets (convert/output_names.py: `predictions:0`)."""
        return tensor_name(name)

    def shape_for(self, name: str) -> str:
        """The pick's output shape as the tree shows it ('' when not known before running)."""
        if self.is_keras:
            layer = next((la for la in self.document.all_layers() if la.name == name), None)
            return (layer.shape_text or "") if layer is not None else ""
        if len(self.document.nodes) > SHAPE_LOOKUP_NODES:
            return ""  # finding the row walks the tree: 3.6 s for 200,000 nodes, per pick
        row = self.document.root.find(name)
        return (row.shape or "") if row is not None else ""

    def rows(self) -> list[tuple[str, str]]:
        return [(self.table.item(r, 0).text(), self.table.item(r, 2).text())
                for r in range(self.table.rowCount())]

    def refresh(self) -> None:
        names = self.picks.names
        suggested = {c.node for c in self.candidates}
        added = [n for n in names if n not in suggested]
        if added:  # rows checked in the Tree join the suggestions (and stay there)
            self.candidates += [OutputCandidate(n, self.tensor_for(n), "picked in the Tree")
                                for n in added]
            self._fill_suggestions()
        self.table.setRowCount(len(names))
        for row, name in enumerate(names):
            tensor = self.tensor_for(name)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setCellWidget(row, 1, copy_button(name, "Copy the node name"))
            self.table.setItem(row, 2, QTableWidgetItem(tensor))
            self.table.setCellWidget(row, 3, copy_button(tensor, "Copy the tensor name"))
            remove = QPushButton("Remove")
            remove.clicked.connect(lambda _=False, n=name: self.picks.set_picked(n, False))
            self.table.setCellWidget(row, 4, remove)
            self.table.setItem(row, 5, QTableWidgetItem(self.shape_for(name)))
        self.suggested.blockSignals(True)
        for row, cand in enumerate(self.candidates):
            on = cand.node in self.picks
            self.suggested.item(row, 0).setCheckState(
                Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.suggested.blockSignals(False)
        self._count()
        self.preview.setText(self.preview_text())
        self.freeze_button.setEnabled(bool(names))
        self.graph_button.setEnabled(bool(names))
        if self.follow_graph and names:
            self.show_in_graph(switch=False)
        self.view.tree.viewport().update()  # the tree's check boxes follow

    def kept(self) -> tuple[int, int] | None:
        """(kept, total) for the current picks once counted; None while counting."""
        return self.kept_counts

    def _count(self) -> None:
        """Count what a freeze keeps on a worker; one count at a time, the latest picks win."""
        self.kept_counts = None
        if self._counting or not len(self.picks):
            return
        self._counting = True
        doc, names = self.document, self.picks.names
        task = Task(lambda _progress: (names, kept_count(doc, names)), doc.path)
        task.signals.finished.connect(self._counted)
        task.signals.failed.connect(self._count_failed)
        start(task, name="kinspect-kept")

    def _counted(self, result: tuple[list[str], tuple[int, int]]) -> None:
        self._counting = False
        names, counts = result
        if names != self.picks.names:  # picked again meanwhile: count the current picks
            self._count()
            return
        self.kept_counts = counts
        self.preview.setText(self.preview_text())

    def _count_failed(self, message: str, _details: str) -> None:
        self._counting = False
        self.preview.setText(f"Cannot count what a freeze keeps: {message}")

    def preview_text(self) -> str:
        if not len(self.picks):
            return "No outputs picked: a freeze keeps the model's own outputs."
        if self.kept_counts is None:
            return "Counting what a freeze to these outputs keeps…"
        kept, total = self.kept_counts
        what = "layers" if self.is_keras else "nodes"
        return (f"<b>The frozen result keeps {kept:,} of {total:,} {what}</b> "
                f"({total - kept:,} dropped).")

    # -- actions
    def freeze(self) -> None:
        """Open File > Save As with the frozen graph target and these outputs."""
        from ..save_as.hook import open_save_as

        window = self.window()
        open_save_as(window, self.view, FREEZE_TARGET)

    def show_in_graph(self, switch: bool = True) -> None:
        """Draw the picks and their ancestors in the Graph page; later picks follow."""
        page = self.view.page("Graph")
        if page is not None and hasattr(page, "show_ancestors"):
            self.follow_graph = True
            if switch:
                self.view.show_page("Graph")
            page.show_ancestors(self.picks.names)


def create(view: DocumentView) -> QWidget | None:
    """Page factory: only for documents the freeze exporter accepts."""
    if view.document.format not in GRAPH_SOURCES:  # what the freeze exporter accepts
        return None
    if not view.document.nodes and not view.document.layers:
        return None
    return OutputsPage(view)
