"""A row chosen in a Compare tab selects the same layer or node in the open document tabs of A
and B (their tree, and so their Graph tab, which follows the tree's selection)."""

from __future__ import annotations

import os
from typing import Any

from ... import search
from ...model import Document, Node


def row_for(doc: Document, name: str) -> Node | None:
    """The tree row of layer or graph node NAME (`node:0` finds `node`), building only the
    branches on its way."""
    position = search.index_of(doc, name)
    if position is not None:
        gn = doc.nodes[position]
        if len(doc.nodes) > search.SearchIndex.FLAT_LIMIT:
            row = search.scope_row(doc, gn)
            if row is not None:
                return row
        branch = search.flat_branch(doc)
        return branch.children[position] if branch is not None and \
            position < len(branch.children) else None
    layer = doc.layer(name.split(":")[0])
    if layer is None:
        return None
    return _find_ref(doc.root, layer, depth=4)


def _find_ref(node: Node, ref: object, depth: int) -> Node | None:
    """Breadth-first over the first DEPTH levels: layer rows sit near the top."""
    level = [node]
    for _ in range(depth):
        nxt: list[Node] = []
        for n in level:
            if n.ref is ref:
                return n
            if n.may_have_children:
                nxt.extend(n.children)
        level = nxt
    return None


def select_in_documents(window: Any, path: str, name: str) -> int:
    """Select NAME in every open document tab of PATH; returns how many were selected."""
    from ..document_view import DocumentView

    selected = 0
    for i in range(window.tabs.count()):
        view = window.tabs.widget(i)
        if isinstance(view, DocumentView) and _same(view.document.path, path):
            row = row_for(view.document, name)
            if row is not None:
                view.select_node(row, switch_tab=False)
                selected += 1
    return selected


def _same(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)
