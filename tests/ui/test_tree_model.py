"""The tree model over big lazy trees: consistent for Qt's own model checker, chunked rows for
a 200,000-node branch, and quick to show."""

from __future__ import annotations

import time

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from kinspect.model import Kind, Node
from kinspect.ui.document_view import DocumentView
from kinspect.ui.tree_model import CHUNK, DocumentTreeModel

from ..builders.generated import graph_document


@pytest.fixture
def tree_pages_only(monkeypatch):
    """Only the tree: these tests time the tree, not the Graph page's own preparation."""
    from kinspect.ui import pages

    monkeypatch.setattr(pages, "PAGES", [p for p in pages.PAGES if p[0] == "Summary"])


def test_qt_model_tester_accepts_a_chunked_lazy_tree(qtbot):
    doc = graph_document(1_200)
    model = DocumentTreeModel(doc.root)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    top = model.index(0, 0)
    flat = model.index(0, 0, top)
    assert model.data(flat) == "Graph nodes"
    assert model.rowCount(flat) == 2  # 1,200 rows in chunks of 1,000
    assert [model.data(model.index(r, 0, flat)) for r in range(2)] == [
        "[0 … 999]", "[1,000 … 1,199]"]
    last = model.index(1, 0, flat)
    assert model.rowCount(last) == 200
    row = model.index(199, 0, last)
    node = model.node(row)
    assert node is doc.root.children[0].children[1_199]
    assert node.parent.name == "Graph nodes"  # the document keeps its real parents
    assert model.index_of(node) == row
    assert model.parent(row) == last and model.parent(last) == flat


def test_small_branches_are_not_chunked(qtbot):
    layers = [Node(Kind.LAYER, f"l{i}") for i in range(CHUNK)]
    root = Node(Kind.MODEL, "m", "Model", children=layers)
    model = DocumentTreeModel(root)
    top = model.index(0, 0)
    assert model.rowCount(top) == CHUNK
    assert model.index_of(root.children[-1]).row() == CHUNK - 1


def test_a_200000_node_graph_opens_closed_and_selects_any_node(qtbot, tree_pages_only):
    doc = graph_document(200_000)
    started = time.perf_counter()
    view = DocumentView(doc)
    qtbot.addWidget(view)
    view.show()
    qtbot.wait(10)
    shown = time.perf_counter() - started
    flat_index = view.model.index(0, 0, view.model.index(0, 0))
    assert not view.tree.isExpanded(flat_index)  # too big to open by itself
    target = doc.root.children[0].children[150_123]
    view.select_node(target)
    current = view.tree.currentIndex()
    assert view.model.node(current) is target
    assert view.model.data(current.parent()) == "[150,000 … 150,999]"
    assert view.details.title.toolTip().startswith("block_150/unit_12/matmul_150123")
    assert shown < 20  # generous on a shared machine; the view itself takes ~0.1 s here


def test_small_lazy_branches_open_by_their_child_count_hint(qtbot):
    """Whether a branch opens at start comes from its role and its count hint: the title and
    the display text are never parsed, and a lazy branch is not built to find out."""
    from kinspect.model import Document, Role
    from kinspect.ui.document_view import small_branch

    built = []
    rows = [Node(Kind.GRAPH_NODE, f"n{i}", "Relu") for i in range(9)]
    branch = Node(Kind.GROUP, "Knoten", "neun", role=Role.GRAPH_NODES, count=9,
                  children_factory=lambda: built.append(1) or rows)
    root = Node(Kind.MODEL, "g", "ONNX model", children=[branch])
    doc = Document("g.onnx", "onnx", root)
    assert small_branch(branch)
    assert not built  # decided without building the branch
    big = Node(Kind.GROUP, "Variables", "250,000 vars", role=Role.VARIABLES, count=250_000,
               children_factory=lambda: [])
    assert not small_branch(big)
    unknown = Node(Kind.GROUP, "Variables", "12", children_factory=lambda: [])
    assert not small_branch(unknown)  # no hint: stays closed rather than being built
    view = DocumentView(doc)
    qtbot.addWidget(view)
    assert view.tree.isExpanded(view.model.index_of(branch))


def test_document_warnings_show_above_the_pages(qtbot):
    from kinspect.formats import open_document
    from kinspect.ui.document_view import DocumentView
    from tests.conftest import SAMPLE

    doc = open_document(SAMPLE)
    assert doc.warnings == ["saved by Keras 2.21.0 (Keras 2); Keras 3 loads it as a legacy file"]
    doc.warnings.append("model_weights/dense: cannot read this group")
    view = DocumentView(doc)
    qtbot.addWidget(view)
    assert view.warnings.text() == "\n".join(f"⚠ {w}" for w in doc.warnings)
    doc.warnings.clear()
    quiet = DocumentView(doc)
    qtbot.addWidget(quiet)
    assert quiet.warnings is None
