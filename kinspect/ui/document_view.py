"""One open document: the tree on the left, the details of the selection on the right."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QSplitter,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..model import Document, Node, Role
from . import settings
from .details import DetailsPane, copy_menu, tensor_name
from .search_bar import SearchBar
from .tree_model import ACTIVATION, NAME, SHAPE, DocumentTreeModel

__all__ = ["DocumentView", "tensor_name"]


AUTO_EXPAND_LIMIT = 2000
# Pages that show the tree (with its details) beside them, so that selection sync is seen;
# the others (Summary, Safety, Outputs, Run: tables and forms) keep the whole width.
BESIDE_TREE = ("Graph",)
SPLIT_KEYS = {"outer": "layout/graph_split", "inner": "layout/graph_tree_details"}


def small_branch(node: Node) -> bool:
    """Whether a branch is small enough to open by itself: laying out 200,000 rows takes
    QTreeView seconds, so a big graph opens with its node list closed (Find reaches any node
    through the name-scope branch instead). A lazy branch is not built to find out: the node
    says how many children it will have."""
    count = node.expected_child_count
    return count is not None and count <= AUTO_EXPAND_LIMIT


# Object name of the label shown instead of a page that failed to build (checked by
# `--screenshot --view PAGE` and the built app's checks).
PAGE_ERROR = "pageError"

# Branches a new document opens with, when small: what a user looks at first.
OPEN_AT_START = (Role.LAYERS, Role.GRAPH_NODES, Role.SIGNATURES, Role.VARIABLES, Role.WEIGHTS)


def warnings_banner(warnings: list[str]) -> QLabel | None:
    """The reader's warnings (a part it could not read, a reader that failed to load) above the
    pages, where they are seen without looking for them; None when there are none."""
    if not warnings:
        return None
    shown = warnings[:5] + ([f"… and {len(warnings) - 5} more"] if len(warnings) > 5 else [])
    banner = QLabel("\n".join(f"⚠ {w}" for w in shown))
    banner.setWordWrap(True)
    banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    banner.setContentsMargins(8, 4, 8, 4)
    banner.setObjectName("documentWarnings")
    return banner


class MatchList(QListView):
    """The Filter mode list. QListView copies a row's display text ("conv1    Conv2D") on
    Ctrl+C before any shortcut sees the key; here Ctrl+C calls `copy_name` instead."""

    copy_name: Callable[[], None] | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy) and self.copy_name is not None:
            self.copy_name()
            event.accept()
            return
        super().keyPressEvent(event)


class PageTabs(QTabWidget):
    """The document's pages. A page shown beside the tree sits in a splitter (its holder);
    for Python callers `currentWidget()` and `widget(i)` answer the page itself, and
    `setCurrentWidget(page)` shows its holder, so code and tests deal with pages only."""

    def __init__(self) -> None:
        super().__init__()
        self.holders: dict[QWidget, QWidget] = {}  # page -> holder

    def holder(self, index: int) -> QWidget | None:
        return super().widget(index)

    def _page(self, widget: QWidget | None) -> QWidget | None:
        return next((p for p, h in self.holders.items() if h is widget), widget)

    def currentWidget(self) -> QWidget | None:  # noqa: N802 - Qt API
        return self._page(super().currentWidget())

    def widget(self, index: int) -> QWidget | None:
        return self._page(super().widget(index))

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt API
        super().setCurrentWidget(self.holders.get(widget, widget))

    def indexOf(self, widget: QWidget) -> int:  # noqa: N802 - Qt API
        return super().indexOf(self.holders.get(widget, widget))


class DocumentView(QWidget):
    node_selected = Signal(object)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = DocumentTreeModel(document.root, self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        # Ctrl+C on the tree copies the selected row's name (the context menu has the rest).
        copy = QAction("Copy name", self.tree, shortcut=QKeySequence.StandardKey.Copy,
                       shortcutContext=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.triggered.connect(self.copy_name)
        self.tree.addAction(copy)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(NAME, 300)
        for column, width in ((1, 150), (2, 130), (3, 70), (4, 90), (ACTIVATION, 200)):
            header.resizeSection(column, width)
        self.tree.setColumnHidden(ACTIVATION, True)  # shown after a run with layers
        self.details = DetailsPane()
        self.search_bar = SearchBar(document)
        self.search_bar.hide()
        self.search_bar.found.connect(self.select_node)
        self.match_list = MatchList()
        self.match_list.setModel(self.search_bar.list_model)
        self.match_list.setUniformItemSizes(True)
        self.match_list.hide()
        self.match_list.clicked.connect(lambda index: self.search_bar.show_match(index.row()))
        self.match_list.activated.connect(lambda index: self.search_bar.show_match(index.row()))
        # Filter mode copies like the tree: Ctrl+C the name (not "name    op"), menu the rest.
        self.match_list.copy_name = self.copy_match_name
        self.match_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.match_list.customContextMenuRequested.connect(self._match_menu)
        self.search_bar.filter_toggled.connect(self._filter)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(self.search_bar)
        left_layout.addWidget(self.tree)
        left_layout.addWidget(self.match_list)
        # Explicit minimums: the splitter would otherwise keep the details' size hint (chart,
        # tables) and squeeze the tree in a narrow window.
        left.setMinimumWidth(200)
        self.details.setMinimumWidth(200)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([760, 440])
        self.browser = split
        self.tree_page = QWidget()  # the browser lives here, or beside a BESIDE_TREE page
        QVBoxLayout(self.tree_page).setContentsMargins(0, 0, 0, 0)
        self.tree_page.layout().addWidget(split)
        self._beside: dict[QWidget, tuple[QSplitter, QWidget]] = {}  # holder -> (split, page)
        self.pages = PageTabs()
        self.pages.setTabPosition(QTabWidget.TabPosition.South)
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.tree_page, "Tree")
        self._add_registered_pages()
        self.pages.currentChanged.connect(self._page_changed)
        split.splitterMoved.connect(lambda *_a: self.save_layout())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.warnings = warnings_banner(document.warnings)
        if self.warnings is not None:
            layout.addWidget(self.warnings)
        layout.addWidget(self.pages)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self._expand_defaults()

    def _add_registered_pages(self) -> None:
        from .pages import PAGES

        for title, module_name, attribute in PAGES:
            try:
                factory = getattr(importlib.import_module(module_name), attribute)
                page = factory(self)
            except Exception as exc:  # noqa: BLE001 - one broken page must not hide the rest
                page = QLabel(f"{title} is unavailable: {type(exc).__name__}: {exc}")
                page.setWordWrap(True)
                page.setObjectName(PAGE_ERROR)
            if page is not None:
                beside = title in BESIDE_TREE and not isinstance(page, QLabel)
                self.pages.addTab(self._beside_tree(page) if beside else page, title)

    def _beside_tree(self, page: QWidget) -> QWidget:
        """A splitter that takes the tree and details at its left while PAGE is shown; its
        layout is remembered (ui/settings) for every document."""
        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.setChildrenCollapsible(False)
        outer.addWidget(page)
        outer.setSizes([420, 860])
        state = settings.settings().value(SPLIT_KEYS["outer"])
        if isinstance(state, QByteArray) and not state.isEmpty():
            outer.restoreState(state)
        outer.splitterMoved.connect(lambda *_a: self.save_layout())
        self._beside[outer] = (outer, page)
        self.pages.holders[page] = outer
        return outer

    def _page_changed(self, index: int) -> None:
        """Move the browser (tree + details) to where it is seen: beside the Graph, stacked
        tree over details, or back on the Tree page side by side."""
        holder = self.pages.holder(index)
        if holder in self._beside:
            outer, _page = self._beside[holder]
            if outer.indexOf(self.browser) < 0:
                sizes = outer.sizes()
                self.browser.setOrientation(Qt.Orientation.Vertical)
                self._restore_inner()
                outer.insertWidget(0, self.browser)
                if len(sizes) == 1:  # first time: what was remembered, or 1/3 for the tree
                    outer.setSizes(self._outer_sizes(outer))
        elif holder is self.tree_page and self.tree_page.layout().indexOf(self.browser) < 0:
            self.browser.setOrientation(Qt.Orientation.Horizontal)
            self.tree_page.layout().addWidget(self.browser)
            self.browser.setSizes([760, 440])
            self.browser.show()  # a layout would show it only after a queued call

    def _outer_sizes(self, outer: QSplitter) -> list[int]:
        value = settings.settings().value(SPLIT_KEYS["outer"] + "_sizes")
        try:
            sizes = [int(v) for v in value] if isinstance(value, list) else []
        except (TypeError, ValueError):
            sizes = []
        if len(sizes) == 2 and all(s > 0 for s in sizes):
            return sizes
        width = max(outer.width(), 900)
        return [width // 3, width - width // 3]

    def _restore_inner(self) -> None:
        state = settings.settings().value(SPLIT_KEYS["inner"])
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.browser.restoreState(state)
            self.browser.setOrientation(Qt.Orientation.Vertical)
        else:
            self.browser.setSizes([500, 300])

    def save_layout(self) -> None:
        """Remember how the Graph page splits between tree, details and drawing."""
        store = settings.settings()
        for outer, _page in self._beside.values():
            if outer.indexOf(self.browser) >= 0:
                store.setValue(SPLIT_KEYS["outer"] + "_sizes", outer.sizes())
                store.setValue(SPLIT_KEYS["inner"], self.browser.saveState())
        store.sync()

    def page(self, title: str) -> QWidget | None:
        """The page called TITLE, also once its tab shows a count ("Safety (3)")."""
        for i in range(self.pages.count()):
            text = self.pages.tabText(i)
            if text == title or text.startswith(f"{title} ("):
                return self.pages.widget(i)
        return None

    def show_page(self, title: str) -> QWidget | None:
        widget = self.page(title)
        if widget is not None:
            self.pages.setCurrentWidget(widget)
        return widget

    def _expand_defaults(self) -> None:
        """Open the first branches (Layers, Graph…) so a new document shows its content."""
        top = self.model.index(0, 0)
        if not top.isValid():
            return
        self.tree.expand(top)
        for row in range(min(self.model.rowCount(top), 3)):
            index = self.model.index(row, 0, top)
            node = self.model.node(index)
            if node.role in OPEN_AT_START and small_branch(node):
                self.tree.expand(index)
        self.tree.setCurrentIndex(top)
        # Long graph names: widen the Name column to what the first rows need, within reason.
        wanted = self.tree.sizeHintForColumn(NAME) + 16
        self.tree.header().resizeSection(NAME, max(300, min(wanted, 560)))
        # and the Shape column to whole layer output shapes, e.g. (None, 112, 112, 32)
        wanted = self.tree.sizeHintForColumn(SHAPE) + 16
        self.tree.header().resizeSection(SHAPE, max(130, min(wanted, 240)))

    def scan_report(self) -> Any:
        """The Safety page's scan of this file once it is done, else None: Save As, Run and
        the Graph page's shape inference take it instead of scanning the file again."""
        return getattr(self.page("Safety"), "report", None)

    def release(self) -> None:
        """The tab closes: pages holding work or processes (the Run page) let them go, and the
        process kept for converting this file (Save As) ends."""
        from ..safety.confine_pool import end_reading

        for i in range(self.pages.count()):
            release = getattr(self.pages.widget(i), "release", None)
            if callable(release):
                release()
        end_reading(self.document.path)

    def show_activations(self, activations: dict[str, tuple[str, Any]]) -> None:
        """After a run with layers: the Activation column, and the selected row's activation
        in the details (as a weight is shown)."""
        self.model.set_activations(activations)
        self.tree.setColumnHidden(ACTIVATION, not activations)
        node = self.model.node(self.tree.currentIndex()) \
            if self.tree.currentIndex().isValid() else None
        self.details.show_node(node, self.model.activation(node))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        node = self.model.node(current) if current.isValid() else None
        self.details.show_node(node, self.model.activation(node))
        self.node_selected.emit(node)

    def select_node(self, node: Node, switch_tab: bool = True) -> None:
        """Make NODE the tree's current row; SWITCH_TAB False stays on the page shown (the
        Graph page selects what was clicked in its drawing without hiding it)."""
        index = self.model.index_of(node)
        if index.isValid():
            if switch_tab and not self.tree.isVisible():  # the Graph page shows the tree too
                self.show_page("Tree")
            parent = index.parent()
            while parent.isValid():
                self.tree.expand(parent)
                parent = parent.parent()
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index, QTreeView.ScrollHint.PositionAtCenter)

    def _filter(self, on: bool) -> None:
        """Filter mode: the list of matches stands in for the tree (the details still follow)."""
        self.match_list.setVisible(on)
        self.tree.setVisible(not on)
        if not on and self.tree.currentIndex().isValid():
            self.tree.scrollTo(self.tree.currentIndex(), QTreeView.ScrollHint.PositionAtCenter)

    def open_search(self) -> None:
        """Ctrl+F: show the find bar above the tree (on the Tree page unless it is shown)."""
        if not self.tree.isVisible():
            self.show_page("Tree")
        self.search_bar.open()

    def current_node(self) -> Node | None:
        index = self.tree.currentIndex()
        return self.model.node(index) if index.isValid() else None

    def copy_name(self) -> None:
        node = self.current_node()
        if node is not None:
            QGuiApplication.clipboard().setText(node.name)

    def copy_match_name(self) -> None:
        index = self.match_list.currentIndex()
        if index.isValid():  # the tooltip role is the bare name
            name = self.search_bar.list_model.data(index, Qt.ItemDataRole.ToolTipRole)
            QGuiApplication.clipboard().setText(name)

    def _match_menu(self, pos) -> None:  # noqa: ANN001 - QPoint
        index = self.match_list.indexAt(pos)
        bar = self.search_bar
        if not index.isValid() or bar.index is None:
            return
        node = bar.index.node(bar.matches[index.row()])
        if node is not None:
            menu = QMenu(self)
            copy_menu(menu, node)
            menu.exec(self.match_list.viewport().mapToGlobal(pos))

    def _context_menu(self, pos) -> None:  # noqa: ANN001 - QPoint
        index = self.tree.indexAt(pos)
        if not index.isValid():
            return
        node = self.model.node(index)
        menu = QMenu(self)
        copy_menu(menu, node)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
