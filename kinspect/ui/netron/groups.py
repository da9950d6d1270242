"""The scope view of the Graph page: a big graph drawn whole, collapsed by name scope.

Which scopes are open lives here; `graph/scope_draw.py` makes the GraphDef Netron draws for that
state, served like a focus model (no page reload). Double-clicking a group opens it in place;
double-clicking a node of an open scope closes that scope again. Selection: a tree row inside a
closed group selects the group, a scope row selects its group, and a group clicked in the drawing
selects its scope's row under "By name scope".

Shapes on the edges (graph/shapes.py): recorded ones from the first drawing; for a GraphDef file
without them, TensorFlow's shape inference in the confined child, started once the first drawing
is shown and only after a safety scan with no findings; the current drawing is served again
when they arrive. The label beside the buttons says where the shapes come from.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from ...graph import focus as graph_focus
from ...graph import scope_draw, scopes
from ...graph import shapes as graph_shapes
from ...model import Document, GraphNode, Kind, Node
from ...progress import Progress
from ..workers import Task
from ..workers import start as start_task
from . import tree as netron_tree

if TYPE_CHECKING:
    from .view import NetronView

SCOPE_BRANCH = "By name scope"
# Shape inference is cancelled (its child killed) after this long: InceptionV3 takes ~0.4 s
# plus TensorFlow's start in the child (~5-8 s on a cold fork server here).
INFER_SECONDS = 60.0
INFERRING = "shapes: inferring…"


def applies(doc: Document) -> bool:
    """True when this graph opens collapsed: more than MAX_DRAWN nodes and a top level (one node
    per top scope and per unscoped node) of at most MAX_DRAWN. Counted from names alone
    (~60 ms at 200,000 nodes); the scope tree itself is built on a worker."""
    if not doc.nodes or len(doc.nodes) <= scopes.MAX_DRAWN:
        return False
    top = set()
    for node in doc.nodes:
        head, sep, _rest = node.name.partition("/")
        top.add(head + sep)
        if len(top) > scopes.MAX_DRAWN:
            return False
    return any(name.endswith("/") for name in top)


class ScopeGroups:
    """The open scopes of one NetronView, its tool bar row, and the models it serves."""

    def __init__(self, view: NetronView) -> None:
        self.view = view
        self.document = view.document
        self.active = not view.reason and applies(self.document)
        self.expanded: set[str] = set()
        self.drawing: scope_draw.Drawing | None = None
        self._started = False
        self.shapes: dict[str, list[graph_shapes.Shape]] | None = None  # inferred, when done
        self.shape_note = ""  # where the edges' shapes come from, for the label
        self._shape_task: Task | None = None
        self._shape_timer: threading.Timer | None = None
        self._shape_waiters: list[Callable[[], None]] = []
        self.bar = QWidget()
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(6, 0, 6, 2)
        self.label = QLabel()
        self.label.setMinimumWidth(100)  # long summaries are cut, not widening the window
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.expand_button = _button("Expand to selection", "Open every scope around the node "
                                     "selected in the tree (double-click a group to open it)",
                                     self.expand_to_selection)
        self.collapse_button = _button("Collapse", "Close the innermost open scope around the "
                                       "selection (or double-click one of its nodes)",
                                       self.collapse_selection)
        self.all_button = _button("Expand all", "Open every scope: the flat graph",
                                  self.expand_all)
        self.depth = QSpinBox(minimum=0, maximum=1, prefix="Collapse to depth ")
        self.depth.setToolTip("Close every scope at this depth and below (0: top level only)")
        self.depth.valueChanged.connect(self.collapse_to)
        for widget in (self.label, self.expand_button, self.collapse_button, self.all_button,
                       self.depth):
            row.addWidget(widget, 1 if widget is self.label else 0)
        self.bar.setVisible(self.active)
        if self.active:
            doc = self.document
            start_task(Task(lambda _progress: scopes.tree_for(doc)))
            view.drawn.connect(self._start_shapes)  # not before: the first draw stays quick

    @property
    def tree(self) -> scopes.ScopeTree:
        return scopes.tree_for(self.document)

    # -- models
    def initial(self) -> bytes:
        """The first drawing: collapsed to the deepest depth with at most ~300 drawn nodes."""
        tree = self.tree
        depth = tree.initial_depth()
        if depth is None:  # cannot happen after applies(); draw the top level anyway
            depth = 0
        self._started = True
        self.depth.blockSignals(True)
        self.depth.setMaximum(tree.max_depth + 1)
        self.depth.setValue(depth)
        self.depth.blockSignals(False)
        self.expanded = tree.expanded_to(depth)
        data = self._draw().data
        self.view._pending_select = self.drawn_selection()  # noqa: SLF001 - selected once drawn
        return data

    def _draw(self) -> scope_draw.Drawing:
        self.drawing = scope_draw.draw(self.document, self.expanded, self.shapes)
        self._update_label()
        return self.drawing

    def redraw(self, select: str | None = None) -> None:
        """Serve the drawing of the current state and open it in the page."""
        view = self.view
        if view.server is None:
            return
        if view.focus_mode:
            view.set_focus_mode(False)  # back to the scope view, which draws itself
            return
        if self._started:
            drawing = self._draw()
        else:  # the page opened in the focus view (Show in Graph): start collapsed
            self.initial()
            drawing = self.drawing
        if select is not None and select not in drawing.names:  # an opened scope: its first part
            select = scope_draw.drawn_name(self.tree, select, self.expanded) or \
                self._first_inside(select)
        name = view._next_focus_name().replace("focus", "groups")  # noqa: SLF001
        view._pending_select = select or self.drawn_selection()  # noqa: SLF001
        view._open(view.server.add_file(name, drawing.data), name)  # noqa: SLF001
        view._update_info()  # noqa: SLF001

    def _update_label(self, selected: str | None = None) -> None:
        """Drawn counts, and what the selected group holds (its box shows only its title)."""
        if self.drawing is None:
            return
        text = (f"{len(self.drawing.groups):,} groups, "
                f"{len(self.drawing.names) - len(self.drawing.groups):,} nodes drawn")
        if selected in self.drawing.groups:
            text += " · " + self.summary(selected)
        if self.shape_note:
            text += " · " + self.shape_note
        self.label.setText(text)
        self.label.setToolTip(text)

    def summary(self, scope_id: str) -> str:
        """`b/: 19 nodes (Const 7, Reshape 3, …), 96 params` (the full name is in the tree)."""
        scope = self.tree.by_id[scope_id]
        ops = self.tree.op_counts(scope).most_common()
        text = ", ".join(f"{op} {count}" for op, count in ops[:4])
        params = f", {scope.params:,} params" if scope.params else ""
        more = ", …" if len(ops) > 4 else ""
        return f"{scope.leaf}/: {scope.size:,} nodes ({text}{more}){params}"

    def clicked(self, scope_id: str) -> Node | None:
        """A group clicked in the drawing: its summary shown, its scope's tree row returned."""
        self._update_label(scope_id)
        row = scope_row(self.document, scope_id)
        if row is None and scope_id[:-1] in self.tree.index:  # a call node's group
            row = netron_tree.tree_row(self.document, scope_id[:-1], {})
        return row

    # -- shapes
    def _start_shapes(self, _count: int = 0) -> None:
        """Find the edges' shapes on a worker (once, after the first drawing is shown)."""
        if self._shape_task is not None or not self.active:
            return
        doc, known = self.document, self.view.doc_view.scan_report()
        task = Task(lambda progress: find_shapes(doc, progress, known), doc.path)
        self._shape_task = task
        task.signals.finished.connect(self._shapes_found)
        prefix = f"{doc.path}: "
        task.signals.failed.connect(lambda line, _details: self._shapes_found(
            ({}, f"shapes: recorded only ({' '.join(line.removeprefix(prefix).split())[:160]})")))
        task.signals.cancelled.connect(lambda: self._shapes_found(
            ({}, f"shapes: recorded only (inference over {INFER_SECONDS:.0f} s)")))
        self.view.destroyed.connect(task.cancel)
        self.shape_note = INFERRING
        self._update_label()
        self._shape_timer = threading.Timer(INFER_SECONDS, task.cancel)
        self._shape_timer.daemon = True
        self._shape_timer.start()
        start_task(task, "kinspect-shapes")

    def _shapes_found(self, result: tuple[dict[str, Any], str]) -> None:
        """Keep the shapes and serve the current drawing again with them."""
        if self._shape_timer is not None:
            self._shape_timer.cancel()
        if not _alive(self.bar):
            return  # the page went away meanwhile
        shapes, self.shape_note = result
        self.shapes = shapes or None
        view = self.view
        if self.shapes and self._started and view.server is not None and not view.focus_mode:
            self.redraw()
        else:
            self._update_label()
        waiters, self._shape_waiters = self._shape_waiters, []
        for callback in waiters:
            callback()

    def when_shaped(self, callback: Callable[[], None], timeout: float) -> None:
        """Call back once the shapes search is over (and the drawing served again with them),
        or after `timeout` s; at once when there is none to wait for. For `--screenshot`."""
        if self._shape_task is None or self.shape_note != INFERRING:
            callback()
            return
        self._shape_waiters.append(callback)

        def expire() -> None:
            if callback in self._shape_waiters:
                self._shape_waiters.remove(callback)
                callback()
        QTimer.singleShot(round(timeout * 1000), self.bar, expire)

    # -- actions
    def activated(self, name: str) -> None:
        """A node double-clicked in the drawing: a group opens, a node closes its scope."""
        if not self.active or self.view.focus_mode:
            return
        if name in self.tree.by_id and name not in self.expanded:
            self.expanded.add(name)
            self.redraw(select=name)
            return
        path = self.tree.path_to(name)
        if path:
            self.collapse(path[-1].id)

    def collapse(self, scope_id: str) -> None:
        """Close `scope_id` (and everything inside it) and select its group."""
        self.expanded = {s for s in self.expanded if not s.startswith(scope_id)}
        self.redraw(select=scope_id)

    def collapse_selection(self) -> None:
        name = self.selected_name()
        path = [s for s in self.tree.path_to(name) if s.id in self.expanded] if name else []
        if name in self.expanded:
            self.collapse(name)
        elif path:
            self.collapse(path[-1].id)

    def expand_to_selection(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self.expanded.update(s.id for s in self.tree.path_to(name))
        if name in self.tree.by_id and name not in self.expanded:
            self.expanded.add(name)
        self.redraw(select=name)

    def expand_all(self) -> None:
        total = len(self.document.nodes)
        if total > graph_focus.BIG_GRAPH:
            answer = QMessageBox.question(
                self.view, "Expand every scope?",
                f"Netron lays out all {total:,} nodes at once: this can take minutes "
                "(17 s for 2,200 nodes here) and much memory. Expand every scope?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.expanded = set(self.tree.by_id)
        self.redraw()

    def collapse_to(self, depth: int) -> None:
        self.expanded = self.tree.expanded_to(depth)
        self.redraw()

    # -- selection
    def selected_name(self) -> str | None:
        """The node or scope id of the tree's current row."""
        return self.name_of_row(self.view.doc_view.current_node())

    def name_of_row(self, row: Node | None) -> str | None:
        scope = scope_id_of_row(row)
        if scope is not None and scope in self.tree.by_id:
            return scope
        # The graph node a row stands for (an input / attribute row -> its node). Not the focus
        # view's target_name: its index of a 200,000-node graph costs ~1 s to build.
        index = self.tree.index
        while row is not None:
            if row.kind == Kind.GRAPH_NODE and row.name in index:
                return row.name
            if isinstance(row.ref, GraphNode) and row.ref.name in index:
                return row.ref.name
            row = row.parent
        return None

    def drawn_for_row(self, row: Node | None) -> str | None:
        """What to select in the drawing for a tree row (its group when it is inside one)."""
        name = self.name_of_row(row)
        drawn = scope_draw.drawn_name(self.tree, name, self.expanded) if name else None
        self._update_label(drawn)
        return drawn

    def drawn_selection(self) -> str | None:
        return self.drawn_for_row(self.view.doc_view.current_node())

    def _first_inside(self, scope_id: str) -> str | None:
        """The first drawn node inside an opened scope, to select and reveal it (not a Const:
        Netron folds those into their consumer, there is no box to select)."""
        drawing = self.drawing or self._draw()
        index, ops = self.tree.index, self.tree.ops
        inside = [n for n in drawing.names if n.startswith(scope_id) and n != scope_id
                  and (n in drawing.groups or ops[index[n]] != "Const")]
        return inside[0] if inside else None


def find_shapes(doc: Document, progress: Progress,
                known: Any = None) -> tuple[dict[str, Any], str]:
    """Inferred shapes for a GraphDef file without recorded ones, and a note on where the
    drawing's shapes come from. Runs TensorFlow only in the confined child, only for a file
    whose safety scan (KNOWN, the Safety page's, or made here) found nothing."""
    why_not = graph_shapes.can_infer(doc, graph_focus.node_defs(doc))
    if why_not is not None:
        return {}, "shapes: recorded" + ("" if why_not in graph_shapes.ALL_RECORDED else
                                         f" only ({why_not})")
    if importlib.util.find_spec("tensorflow") is None:
        return {}, "shapes: recorded only (no TensorFlow installed)"
    from ...safety import scan

    report = known if known is not None else scan(doc.path)
    if report.findings:
        count = len(report.findings)
        return {}, (f"shapes: recorded only (the safety scan reported {count} "
                    f"finding{'s' if count > 1 else ''})")
    from ...convert.registry import CHILD_WARM
    from ...safety.confine import run_confined

    shapes = run_confined(graph_shapes.infer, doc.path, read=[doc.path], warm=CHILD_WARM,
                          progress=progress)
    return shapes, "shapes inferred by TensorFlow"


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def _button(text: str, tip: str, slot: object) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def scope_id_of_row(row: Node | None) -> str | None:
    """`a/b/` for the tree row `b/` under `a/` under "By name scope"; None for other rows."""
    parts: list[str] = []
    while row is not None:
        if row.kind == Kind.GROUP and row.name == SCOPE_BRANCH:
            return "".join(reversed(parts)) if parts else None
        if row.kind != Kind.GROUP or not row.name.endswith("/"):
            return None
        parts.append(row.name)
        row = row.parent
    return None


def scope_row(doc: Document, scope_id: str) -> Node | None:
    """The tree row of scope `a/b/` under "By name scope" (built level by level as it goes)."""
    branch = _find_branch(doc.root)
    if branch is None:
        return None
    row = branch
    for part in scope_id.rstrip("/").split("/"):
        row = next((c for c in row.children if c.kind == Kind.GROUP and c.name == part + "/"),
                   None)
        if row is None:
            return None
    return row


def _find_branch(root: Node) -> Node | None:
    """The "By name scope" branch among the document's top rows (graph readers put it there)."""
    return next((c for c in root.children if c.kind == Kind.GROUP and c.name == SCOPE_BRANCH),
                None)
