"""The Graph page: Netron drawing the open document, in sync with the tree.

Netron runs in a QWebEngineView fed by its own server on 127.0.0.1 (ui/netron_server.py), one per
document, stopped when the page is destroyed. JavaScript in ui/netron_js.py unblocks the page
(consent screen, "Please update" loop), reports clicks (console messages: simpler than a
QWebChannel and tested both ways), and selects nodes. Graphs above `graph_focus.BIG_GRAPH` nodes
open in the focus view: a small neighbourhood model of the selected node, swapped into the
loaded page without a reload. Without QtWebEngine the page offers "Open in browser" instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...graph import focus as graph_focus
from ...model import Node
from ..workers import Task
from ..workers import start as start_task
from . import js as netron_js
from . import tree as netron_tree
from .groups import ScopeGroups

if TYPE_CHECKING:
    from ..document_view import DocumentView
    from .server import NetronServer

POLL_MS = 150
SETTLE_MS = 600
# `--screenshot` waits this long at most for the edges' inferred shapes (groups.py).
SHAPES_WAIT_S = 30.0


class NetronView(QWidget):
    """Netron for one document. `drawn(count)` fires each time Netron has drawn a model."""

    drawn = Signal(int)
    node_clicked = Signal(str)  # a node clicked in Netron (already selected in the tree)

    def __init__(self, doc_view: DocumentView) -> None:
        super().__init__()
        self.doc_view = doc_view
        self.document = doc_view.document
        self.reason = graph_focus.why_not_drawable(self.document)
        self.node_total = graph_focus.node_count(self.document)
        self.focus_mode = self.node_total > graph_focus.BIG_GRAPH
        self.groups = ScopeGroups(self)  # big graphs with scopes open collapsed (groups.py)
        if self.groups.active:
            self.focus_mode = False
        self.webengine_error = netron_tree.webengine_error()
        self.server: NetronServer | None = None
        self.browser_servers: list[NetronServer] = []  # focus views opened in a browser
        self.web = None
        self._loading = False  # Netron is loading or laying out a model
        self._queued: tuple[str, str] | None = None
        self.is_drawn = False
        self.focus_names: set[str] = set()
        self.focus_center: str | None = None  # None: not a neighbourhood (whole, ancestors)
        self.focus_text = ""
        self.current_model = ""
        self._serial = 0
        self._pending_select: str | None = None
        self._waiters: list[tuple[Callable[[], None], QElapsedTimer, float]] = []
        self._tree_index: dict[str, Node] = {}  # Keras layer rows by name, filled on demand
        self._from_netron = False
        self._poll = QTimer(self, interval=POLL_MS, timeout=self._poll_state)

        self.info = QLabel()
        self.focus_box = QCheckBox("Focus on selection")
        self.focus_box.setToolTip("Draw only the neighbourhood of the selected node "
                                  f"(default above {graph_focus.BIG_GRAPH:,} nodes)")
        self.focus_box.setChecked(self.focus_mode)
        self.focus_box.toggled.connect(self._focus_toggled)
        self.hops = QSpinBox(minimum=1, maximum=20, value=2, suffix=" hops")
        self.hops.setToolTip("How many edges up and down the focus view reaches")
        self.hops.valueChanged.connect(lambda _v: self.focus_mode and self.refocus(force=True))
        self.browser_button = QPushButton("Open in browser")
        self.browser_button.setToolTip("Open this graph in Netron in your web browser "
                                       "(served from this computer only)")
        self.browser_button.clicked.connect(self.open_in_browser)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addWidget(self.info, 1)
        bar.addWidget(self.focus_box)
        bar.addWidget(self.hops)
        bar.addWidget(self.browser_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setMargin(40)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.groups.bar)
        layout.addWidget(self.stack, 1)
        if self.reason:
            self._show_message(self.reason)
            for widget in (self.focus_box, self.hops, self.browser_button):
                widget.setEnabled(False)
        elif self.webengine_error:
            self._show_message("The embedded graph view needs QtWebEngine, which is not available "
                               f"here ({self.webengine_error}). Use “Open in browser” to see the "
                               "graph in Netron in your web browser.")
        else:
            self._show_message("The graph is drawn when this tab is shown.")
        self._update_info()
        doc_view.node_selected.connect(self._tree_selected)
        if self.focus_mode and not self.reason:
            # Index the big graph now, off the GUI thread, so the tab opens without a wait.
            doc = self.document
            start_task(Task(lambda _progress: graph_focus.prepare(doc)))
        self.destroyed.connect(netron_tree.stopper(self))

    # -- lifecycle
    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().showEvent(event)
        if self.web is None and not self.reason and not self.webengine_error:
            self.start()
        elif self.is_drawn:
            # Back from the Tree tab: reveal what is selected there now.
            name = self._selected_name()
            if name is not None:
                self._tree_selected(self.doc_view.current_node())

    def start(self) -> None:
        """Start the server and load Netron (done on first show; cheap to call again)."""
        if self.web is not None or self.reason or self.webengine_error:
            return
        path, data = self._initial_model()
        if self._pending_select is None:  # the first drawing shows what the tree selects
            self._pending_select = self._drawn_name(self.doc_view.current_node())
        self.server = _server(path, data)
        self.current_model = os.path.basename(path)
        from .web import make_web_view

        self.web, page = make_web_view(self)
        page.node_clicked.connect(self._netron_clicked)
        page.node_activated.connect(self.groups.activated)
        page.loadFinished.connect(self._load_finished)
        self.stack.addWidget(self.web)
        self.stack.setCurrentWidget(self.web)
        self._loading = True  # the page opens the initial model by itself
        self.web.load(QUrl(self.server.url))
        self._poll.start()

    def stop(self) -> None:
        """Stop the servers (also done when the page is destroyed with its document)."""
        self._poll.stop()
        netron_tree.stop_servers(self)

    def _initial_model(self) -> tuple[str, bytes | None]:
        if self.groups.active and not self.focus_mode:
            return os.path.join(self._folder(), "kinspect-groups-0.pb"), self.groups.initial()
        if not self.focus_mode:
            return graph_focus.netron_source(self.document)
        model = self._make_focus(self._selected_name() or self._default_center())
        folder = self._folder()
        return os.path.join(folder, self._next_focus_name()), model.data

    def _folder(self) -> str:
        source, _ = graph_focus.netron_source(self.document)
        return os.path.dirname(source)

    # -- whole graph / focus view
    def _focus_toggled(self, on: bool) -> None:
        if not on and self.node_total > graph_focus.BIG_GRAPH and self.web is not None \
                and not self.groups.active:
            answer = QMessageBox.question(
                self, "Draw the whole graph?",
                f"Netron lays out all {self.node_total:,} nodes at once: this can take minutes "
                "(17 s for 2,200 nodes here) and much memory. Draw the whole graph?")
            if answer != QMessageBox.StandardButton.Yes:
                self.focus_box.blockSignals(True)
                self.focus_box.setChecked(True)
                self.focus_box.blockSignals(False)
                return
        self.set_focus_mode(on)

    def set_focus_mode(self, on: bool) -> None:
        if on == self.focus_mode and self.web is not None:
            return
        self.focus_mode = on
        self.focus_box.setChecked(on)
        if self.server is None or self.web is None:
            return
        if on:
            self.refocus(force=True)
        elif self.groups.active:
            self.groups.redraw()
        else:
            path, data = graph_focus.netron_source(self.document)
            name = os.path.basename(path)
            url = self.server.add_file(name, data) if data else self.server.model_url(name)
            self._pending_select = self._selected_name()
            self._open(url, name)
        self._update_info()

    def refocus(self, name: str | None = None, force: bool = False) -> bool:
        """Show the neighbourhood of `name` (default: the selection); False if nothing to show."""
        center = name or self._selected_name() or self._default_center()
        if center is None or self.server is None:
            return False
        if not force and center in self.focus_names:
            return False
        model = self._make_focus(center)
        file_name = self._next_focus_name()
        self._pending_select = center
        self._open(self.server.add_file(file_name, model.data), file_name)
        return True

    def show_ancestors(self, outputs: list[str]) -> bool:
        """Draw the picked outputs and everything they depend on (what a freeze would keep);
        names may carry `:0`. For the output picker; False if none of them is in the graph."""
        index = graph_focus.index_for(self.document)
        known = [o for o in outputs if graph_focus.node_name(o) in index]
        if not known or self.reason or self.webengine_error:
            return False
        self.focus_mode = True
        self.focus_box.blockSignals(True)
        self.focus_box.setChecked(True)
        self.focus_box.blockSignals(False)
        if self.server is None:
            self.start()
        model = graph_focus.focus(self.document, outputs=known)
        self.focus_names = set(model.names)
        self.focus_center = None
        self.focus_text = f"ancestors of {', '.join(known)}"
        self._update_info()
        file_name = self._next_focus_name()
        self._pending_select = graph_focus.node_name(known[0])
        self._open(self.server.add_file(file_name, model.data), file_name)  # type: ignore[union-attr]
        return True

    def _make_focus(self, center: str | None) -> graph_focus.FocusModel:
        model = graph_focus.focus(self.document, center, hops=self.hops.value())
        self.focus_names = set(model.names)
        self.focus_center = center
        hops = self.hops.value()
        self.focus_text = f"within {hops} hop{'s' if hops > 1 else ''} of {center}"
        self._pending_select = center
        self._update_info()
        return model

    def _next_focus_name(self) -> str:
        self._serial += 1
        return graph_focus.focus_filename(self.document, self._serial)

    def _open(self, url: str, name: str) -> None:
        """Open a model in the loaded page; while Netron is still busy with the previous one,
        only the latest request waits (quick tree navigation must not pile up layouts)."""
        self.is_drawn = False
        self.current_model = name
        if self._loading:
            self._queued = (url, name)
        elif self.web is not None:
            self._loading = True
            self.web.page().runJavaScript(netron_js.open_model(url, name))
        self._poll.start()

    def _default_center(self) -> str | None:
        index = graph_focus.index_for(self.document)
        return next(iter(index.inputs), None)

    def _update_info(self) -> None:
        total = f"{self.node_total:,} nodes" if self.document.nodes else \
            f"{self.node_total:,} layers"
        if self.reason:
            text = "Nothing to draw"
        elif self.groups.active and not self.focus_mode:
            text = f"Whole graph, collapsed by name scope: {total}"
        elif self.focus_mode:
            text = f"Focus view: {len(self.focus_names):,} of {total}, {self.focus_text}"
        elif self.node_total > graph_focus.BIG_GRAPH:
            text = f"Whole graph: {total} (Netron needs a long time to lay out this many)"
        else:
            text = f"Whole graph: {total}"
        self.info.setText(text)

    # -- selection both ways
    def _selected_name(self) -> str | None:
        return graph_focus.target_name(self.doc_view.current_node(), self.document)

    def _tree_selected(self, node: Node | None) -> None:
        if self._from_netron or self.reason or self.web is None:
            return  # not shown yet: start() begins at the then current selection
        if self.groups.active and not self.focus_mode:
            drawn = self.groups.drawn_for_row(node)  # the group around it when closed
            if drawn is not None:
                self.select_in_netron(drawn)
            return
        name = graph_focus.target_name(node, self.document)
        if name is None:
            return
        # A neighbourhood recentres on every new selection, also one it already draws; the
        # ancestors of picked outputs stay drawn while their nodes are selected.
        if self.focus_mode and self.server is not None and name != self.focus_center and (
                self.focus_center is not None or name not in self.focus_names):
            self.refocus(name, force=True)
            return
        self.select_in_netron(name)

    def _drawn_name(self, node: Node | None) -> str | None:
        """What stands for NODE in the drawing: its graph node or layer, or (collapsed by
        scope) the group around it."""
        if node is None:
            return None
        if self.groups.active and not self.focus_mode:
            return self.groups.drawn_for_row(node)
        return graph_focus.target_name(node, self.document)

    def select_in_netron(self, name: str) -> None:
        """Select and reveal `name` in Netron (after the drawing is done if it is not yet)."""
        if self.web is None or not self.is_drawn:
            self._pending_select = name
            return
        self._pending_select = None
        self.web.page().runJavaScript(netron_js.select(name))

    def _netron_clicked(self, name: str) -> None:
        if self.groups.active and name in self.groups.tree.by_id:
            node = self.groups.clicked(name)  # a group: its scope's row in the tree
        else:
            node = netron_tree.tree_row(self.document, name, self._tree_index)
        if node is not None:
            self._from_netron = True
            try:
                self.doc_view.select_node(node, switch_tab=False)
            finally:
                self._from_netron = False
        self.node_clicked.emit(name)

    # -- waiting for Netron
    def when_drawn(self, callback: Callable[[], None], timeout: float = 60.0) -> None:
        """Call `callback` once Netron shows the graph, or shows a message, or after timeout s."""
        if self.reason or self.webengine_error or self.is_drawn:
            QTimer.singleShot(0, callback)
            return
        clock = QElapsedTimer()
        clock.start()
        self._waiters.append((callback, clock, timeout))
        self.start()
        self._poll.start()

    def _load_finished(self, ok: bool) -> None:
        if not ok:
            self._show_message("Netron's page did not load from the local server.")

    def _poll_state(self) -> None:
        if self.web is None:
            self._poll.stop()
            return
        self.web.page().runJavaScript(netron_js.STATE, 0, self._state)

    def _state(self, raw: object) -> None:
        try:
            state = json.loads(str(raw))
        except (TypeError, ValueError):
            state = {}
        body = state.get("body", "")
        nodes = int(state.get("nodes", 0))
        done = nodes > 0 and "spinner" not in body and "welcome" not in body
        failed = "message" in body.split() and "welcome" in body
        if (done or failed) and self._loading:
            self._loading = False
            if self._queued is not None:
                url, name = self._queued
                self._queued = None
                self._open(url, name)
                return
        if done and not self.is_drawn:
            self.is_drawn = True
            if self._pending_select:
                self.select_in_netron(self._pending_select)
            self.drawn.emit(nodes)
        if failed:
            self.info.setText(f"Netron: {state.get('message', '')}")
        expired = [w for w in self._waiters if w[1].elapsed() > w[2] * 1000]
        if done or failed or expired:
            ready = self._waiters if (done or failed) else expired
            self._waiters = [w for w in self._waiters if w not in ready]
            for callback, _clock, _timeout in ready:
                # The offscreen compositor shows the new frame a little after the DOM has it.
                QTimer.singleShot(SETTLE_MS, callback)
        if (done or failed) and not self._waiters:
            self._poll.stop()

    # -- fallbacks
    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def open_in_browser(self) -> None:
        """Show what this tab shows (whole graph or current focus) in the default browser."""
        if self.server is None:
            path, data = self._initial_model()
            self.server = _server(path, data)
            self.current_model = os.path.basename(path)
        server = self.server
        if self.current_model != server.content.base:
            # Netron's page opens the server's own file first: serve the current model alone.
            with server.content.lock:
                data = server.content.extra.get(self.current_model)
            server = _server(os.path.join(self._folder(), self.current_model), data)
            self.browser_servers.append(server)
        QDesktopServices.openUrl(QUrl(server.url))


def graph_page(doc_view: DocumentView) -> QWidget:
    """Page factory registered in ui/pages.py."""
    return NetronView(doc_view)


def show_netron(window: object, callback: Callable[[], None], timeout: float = 90.0) -> None:
    """For `--screenshot --view netron`: show the Graph tab, call back once it is drawn (and,
    collapsed by scope, drawn again with the inferred shapes on its edges)."""
    view = window.current_view()  # type: ignore[attr-defined]
    page = view.show_page("Graph") if view is not None else None
    if not isinstance(page, NetronView):
        QTimer.singleShot(200, callback)
        return
    page.when_drawn(lambda: page.groups.when_shaped(
        lambda: page.when_drawn(callback, timeout), SHAPES_WAIT_S), timeout)


def _server(path: str, data: bytes | None) -> NetronServer:
    """Netron's server, imported on first use: `netron` and http.server cost ~80 ms that
    every window would otherwise pay at its first open, Graph tab shown or not."""
    from .server import NetronServer

    return NetronServer(path, data)
