"""The Safety page: what `kinspect scan` finds in the open file (code that loading would run,
ops that touch files or the host), scanned on a worker so the window never waits for it.

The tab title carries the count ("Safety (3)") so a user sees it without opening the page.
Double-clicking a finding selects its layer or graph node in the tree when the tree has it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...model import Node
from ...safety import Finding, ScanReport, scan
from ..workers import Task, start

if TYPE_CHECKING:
    from ..document_view import DocumentView

COLUMNS = ["Kind", "Where", "What", "Runs code", "Touches files"]
RED = "background: #fde2e1; color: #8a1c12; padding: 6px; font-weight: bold;"
AMBER = "background: #fff4d6; color: #7a5200; padding: 6px; font-weight: bold;"
GREEN = "background: #e3f5e1; color: #1e5e1a; padding: 6px; font-weight: bold;"


class SafetyPage(QWidget):
    def __init__(self, view: DocumentView) -> None:
        super().__init__()
        self.view = view
        self.report: ScanReport | None = None
        self.error: str | None = None
        self._rows: dict[str, Node] = {}  # netron_tree.tree_row's index of Keras layers
        self.status = QLabel("Scanning for code and file-system ops…")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._reveal)
        policy = QLabel("kinspect never runs code from a file while opening, browsing, "
                        "scanning or exporting to JSON/YAML. Save As asks before a conversion "
                        "would load this code or run these file operations.")
        policy.setWordWrap(True)
        policy.setStyleSheet("color: palette(mid); padding: 4px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(policy)
        path = view.document.path  # the closure holds the path, not the view or Document
        self.task = Task(lambda _progress: scan(path), path)
        self.task.signals.finished.connect(self.show_report)
        self.task.signals.failed.connect(self._failed)
        start(self.task)

    @property
    def done(self) -> bool:
        return self.report is not None or self.error is not None

    def show_report(self, report: ScanReport) -> None:
        self.report = report
        findings = report.findings
        self.table.setRowCount(len(findings))
        for row, f in enumerate(findings):
            cells = (f.kind, f.where, f.detail, "yes" if f.runs_code else "",
                     "yes" if f.touches_files else "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{f.where}\n{f.detail}")
                self.table.setItem(row, col, item)
        if not findings:
            self.status.setText("No findings: no code in the file and no ops that touch files "
                                "or the host.")
            self.status.setStyleSheet(GREEN)
        else:
            parts = [f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"]
            if report.runs_code:
                parts.append("loading this file with Keras or pickle would run code from it")
            if report.touches_files:
                parts.append("running its graph reads or writes files or reaches the host")
            self.status.setText("; ".join(parts) + ".")
            self.status.setStyleSheet(RED if report.runs_code else AMBER)
        self._set_tab_title(f"Safety ({len(findings)})" if findings else "Safety")

    def _failed(self, message: str, _details: str) -> None:
        self.show_error(message)

    def show_error(self, message: str) -> None:
        self.error = message
        self.status.setText(f"Could not scan: {message}")
        self.status.setStyleSheet(AMBER)

    def rows(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    def _set_tab_title(self, title: str) -> None:
        tabs = self.view.pages
        index = tabs.indexOf(self)
        if index >= 0:
            tabs.setTabText(index, title)

    def _reveal(self, row: int, _column: int) -> None:
        if self.report is None or row >= len(self.report.findings):
            return
        node = self.tree_row(self.report.findings[row])
        if node is not None:
            self.view.select_node(node)

    def tree_row(self, finding: Finding) -> Node | None:
        """The tree row of a finding's layer or graph node. Its `where` is a path (file name,
        then the node's full name or the layer's model path): the longest tail that names a
        row wins. Through the search index, not a walk of the tree (which builds lazy
        branches: seconds on a 200k-node graph)."""
        from ..netron.tree import tree_row

        parts = finding.where.split("/")
        for i in range(len(parts)):
            name = "/".join(parts[i:])
            if name and " " not in name:
                node = tree_row(self.view.document, name, self._rows)
                if node is not None:
                    return node
        return None


def create(view: DocumentView) -> QWidget:
    """Registered in ui/pages.py: every document gets a Safety page."""
    return SafetyPage(view)
