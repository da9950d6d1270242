"""Search over a document's tree, fast enough to run per keystroke on a 200,000-node graph.

Qt-free so the CLI, tests and the window share it. `SearchIndex` is what the window's Ctrl+F
uses: names, ops and class names over every row of the tree (graph nodes come from `doc.nodes`,
so a big graph is searched without building its tree rows); `index_of` maps an exact node or
tensor name to its position in `doc.nodes`.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Iterator

from .model import Document, GraphNode, Kind, Node, Role

_POSITIONS: weakref.WeakKeyDictionary[Document, dict[str, int]] = weakref.WeakKeyDictionary()


def index_of(doc: Document, name: str) -> int | None:
    """Exact node name (or tensor name `name:0`) -> position in `doc.nodes`; the map is built
    on first use and cached per document."""
    positions = _POSITIONS.get(doc)
    if positions is None:
        positions = _POSITIONS[doc] = {n.name: i for i, n in enumerate(doc.nodes)}
    if name in positions:
        return positions[name]
    base, sep, idx = name.rpartition(":")
    return positions.get(base.lstrip("^")) if sep and idx.isdigit() else None


# ---- the window's find bar: names, ops and class names over the whole tree --------------------

def haystack(node: Node) -> str:
    """The text a tree row is matched against: name, type (class or op), the ref's op/class.
    Reads no lazy attributes, so matching never builds a row's details."""
    parts = [node.name, node.type]
    ref = node.ref
    for attr in ("op", "class_name"):
        value = getattr(ref, attr, None)
        if isinstance(value, str) and value != node.type:
            parts.append(value)
    return "\t".join(parts).lower()


def flat_branch(doc: Document) -> Node | None:
    """The branch whose rows follow `doc.nodes` (Role.GRAPH_NODES), if the document has one."""
    return next((c for c in doc.root.children if c.role == Role.GRAPH_NODES), None)


def scope_row(doc: Document, gn: GraphNode) -> Node | None:
    """The row of `gn` in the "By name scope" branch (groups `a/` > `b/` > row `a/b/c`)."""
    level = next((c for c in doc.root.children if c.role == Role.SCOPES), None)
    if level is None:
        return None
    for part in gn.name.split("/")[:-1]:
        title = part + "/"
        level = next((c for c in level.children if c.kind == Kind.GROUP and c.name == title),
                     None)
        if level is None:
            return None
    return next((c for c in level.children if c.ref is gn), None)


class SearchIndex:
    """Every searchable row of a document, each graph node and layer once (the tree may show a
    node twice, flat and by name scope). Matching is `str.find` over one joined string."""

    MANY = 2000
    FLAT_LIMIT = 20_000  # graphs up to this size show hits in the flat "Graph nodes" list

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        # An entry is a tree Node, or an int: a position in doc.nodes resolved on demand.
        self._entries: list[Node | int] = []
        texts: list[str] = []
        seen: set[int] = set()
        for node in _walk(doc.root, skip_graph=bool(doc.nodes)):
            if node.ref is not None:
                if id(node.ref) in seen:
                    continue
                seen.add(id(node.ref))
            self._entries.append(node)
            texts.append(haystack(node).replace("\n", " "))
        for i, gn in enumerate(doc.nodes):
            self._entries.append(i)
            texts.append(f"{gn.name}\t{gn.op}".lower().replace("\n", " "))
        self._texts = texts
        self._text = "\n".join(texts)
        self._starts: list[int] = []
        pos = 0
        for text in texts:
            self._starts.append(pos)
            pos += len(text) + 1

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, query: str) -> list[int]:
        """Positions of the entries whose name, op or class contains `query` (ignoring case),
        in tree order; an empty query matches nothing. Few hits: `str.find` jumps between them;
        past `MANY` hits one pass of `in` over all entries is cheaper than a bisect per hit."""
        needle = query.strip().lower()
        if not needle or "\n" in needle:
            return []
        out: list[int] = []
        text, starts = self._text, self._starts
        pos = text.find(needle)
        while pos != -1:
            i = bisect_right(starts, pos) - 1
            out.append(i)
            if len(out) > self.MANY:
                return [k for k, entry in enumerate(self._texts) if needle in entry]
            pos = text.find(needle, starts[i + 1] if i + 1 < len(starts) else len(text))
        return out

    def node(self, position: int) -> Node | None:
        """The tree row of an entry. In a big graph a node is looked up in the "By name scope"
        branch first (only the levels on its path get built), else in the flat branch."""
        entry = self._entries[position]
        if isinstance(entry, Node):
            return entry
        if len(self.doc.nodes) > self.FLAT_LIMIT:
            row = scope_row(self.doc, self.doc.nodes[entry])
            if row is not None:
                return row
        branch = flat_branch(self.doc)
        if branch is None or entry >= len(branch.children):
            return None
        return branch.children[entry]

    def label(self, position: int) -> tuple[str, str]:
        """(name, op or class) of an entry, without building its tree row (for a match list)."""
        entry = self._entries[position]
        if isinstance(entry, int):
            gn = self.doc.nodes[entry]
            return gn.name, gn.op
        return entry.name, entry.type or entry.kind

    def graph_node(self, position: int) -> GraphNode | None:
        entry = self._entries[position]
        if isinstance(entry, int):
            return self.doc.nodes[entry]
        return entry.ref if isinstance(entry.ref, GraphNode) else None

    def by_op(self, op: str) -> list[int]:
        """Positions of the graph nodes whose op is exactly `op` (a substring search for the op
        would also list nodes whose names contain it), in tree order."""
        return [k for k in range(len(self._entries))
                if (gn := self.graph_node(k)) is not None and gn.op == op]

    def matches(self, query: str) -> list[Node]:
        out = []
        for position in self.find(query):
            node = self.node(position)
            if node is not None:
                out.append(node)
        return out


def _walk(root: Node, skip_graph: bool) -> Iterator[Node]:
    """Depth-first in display order, without recursion. Graph node rows are not descended into
    (their inputs/outputs repeat other rows), and with `skip_graph` the flat and by-scope
    branches are left to the `doc.nodes` scan."""
    stack = [root]
    while stack:
        node = stack.pop()
        if skip_graph and node.role in (Role.GRAPH_NODES, Role.SCOPES) and node.parent is root:
            continue
        yield node
        if node.kind == Kind.GRAPH_NODE:
            continue
        children = node.children
        if children:
            stack.extend(reversed(children))


class Cursor:
    """Next / previous over a list of matches, wrapping around, like a browser's find bar."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.position = -1

    def next(self) -> int:
        if not self.count:
            return -1
        self.position = (self.position + 1) % self.count
        return self.position

    def previous(self) -> int:
        if not self.count:
            return -1
        self.position = (self.position - 1) % self.count if self.position >= 0 else self.count - 1
        return self.position
