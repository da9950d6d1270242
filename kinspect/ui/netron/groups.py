"""The scope view of the Graph page: a big graph drawn whole, collapsed by name scope.

Which scopes are open lives here; `graph/scope_draw.py` makes the GraphDef Netron draws for that
state, served like a focus model (no page reload). Double-clicking a group opens it in place;
double-clicking a node of an open scope closes that scope again. Selection: a tree row inside a
closed group selects the group, a scope row selects its group, and a group clicked in the drawing
selects its scope's row under "By name scope".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from ...model import Document, GraphNode, Kind, Node
from ..workers import Task
from ..workers import start as start_task
from . import tree as netron_tree

if TYPE_CHECKING:
    from .view import NetronView

SCOPE_BRANCH = "By name scope"


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
        self.drawing = scope_draw.draw(self.document, self.expanded)
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
