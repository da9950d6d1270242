"""Name search over a document's graph nodes (and layers), fast enough to run per keystroke.

Qt-free so the CLI, tests and the window share it. The index is one lower-cased string of all
node names joined by newlines: `str.find` over it scans 200,000 names in a few milliseconds,
far faster than a Python loop over the names. Built on first search, cached per document.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from dataclasses import dataclass

from .model import Document, GraphNode


@dataclass(frozen=True)
class Hit:
    """One match: the node's position in `doc.nodes`, its name and op."""

    index: int
    name: str
    op: str


class NameIndex:
    """Case-insensitive substring search over `doc.nodes` names (then layer names)."""

    def __init__(self, doc: Document) -> None:
        self.names = [n.name for n in doc.nodes]
        self.ops = [n.op for n in doc.nodes]
        if not self.names:  # Keras documents: search layers instead
            layers = list(doc.all_layers())
            self.names = [la.name for la in layers]
            self.ops = [la.class_name for la in layers]
        self._text = "\n".join(self.names).lower()
        self._starts: list[int] = []
        pos = 0
        for name in self.names:
            self._starts.append(pos)
            pos += len(name) + 1
        self._by_name: dict[str, int] | None = None

    def find(self, query: str, limit: int | None = 1000) -> list[Hit]:
        """Nodes whose name contains `query` (case-insensitive), in graph order.

        A trailing `:N` (a tensor name such as `dense/Softmax:0`) is ignored, so pasting a
        tensor name finds its node.
        """
        q = query.strip().lower()
        base, sep, idx = q.rpartition(":")
        if sep and idx.isdigit() and base:
            q = base
        if not q or "\n" in q:
            return []
        hits: list[Hit] = []
        text, starts = self._text, self._starts
        pos = text.find(q)
        while pos != -1:
            i = bisect_right(starts, pos) - 1
            hits.append(Hit(i, self.names[i], self.ops[i]))
            if limit is not None and len(hits) >= limit:
                break
            # Continue after this name: one hit per node.
            nxt = starts[i + 1] if i + 1 < len(starts) else len(text)
            pos = text.find(q, nxt)
        return hits

    def index_of(self, name: str) -> int | None:
        """Exact name (or tensor name `name:0`) -> position in `doc.nodes`."""
        if self._by_name is None:
            self._by_name = {n: i for i, n in enumerate(self.names)}
        if name in self._by_name:
            return self._by_name[name]
        base, sep, idx = name.rpartition(":")
        return self._by_name.get(base.lstrip("^")) if sep and idx.isdigit() else None


_INDEXES: weakref.WeakKeyDictionary[Document, NameIndex] = weakref.WeakKeyDictionary()


def index(doc: Document) -> NameIndex:
    """The cached index of a document (built on first use)."""
    idx = _INDEXES.get(doc)
    if idx is None:
        idx = _INDEXES[doc] = NameIndex(doc)
    return idx


def search(doc: Document, query: str, limit: int | None = 1000) -> list[Hit]:
    """Hits for `query` in `doc` (see `NameIndex.find`)."""
    return index(doc).find(query, limit)


def index_of(doc: Document, name: str) -> int | None:
    return index(doc).index_of(name)


def node(doc: Document, name: str) -> GraphNode | None:
    i = index(doc).index_of(name) if doc.nodes else None
    return doc.nodes[i] if i is not None else None
