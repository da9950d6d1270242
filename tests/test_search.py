"""Search over a document (the core of Ctrl+F), checked against plain scans of the data."""

from __future__ import annotations

from kinspect.formats import open_document
from kinspect.model import Role
from kinspect.search import Cursor, SearchIndex, index_of

from .builders.generated import graph_document
from .conftest import corpus_path


def test_graph_search_matches_names_and_ops_case_insensitively():
    doc = graph_document(20_000)
    index = SearchIndex(doc)
    hits = [index.graph_node(p) for p in index.find("SOFTMAX")]
    expected = [gn for gn in doc.nodes if "softmax" in gn.name.lower() or gn.op == "Softmax"]
    assert [h.name for h in hits] == [gn.name for gn in expected]
    assert len(hits) == 20_000 // 8
    by_scope = {index.graph_node(p).name for p in index.find("block_3/unit_42/")}
    assert by_scope == {gn.name for gn in doc.nodes if gn.name.startswith("block_3/unit_42/")}
    assert index.find("") == [] and index.find("no-such-node") == []


def test_graph_hits_resolve_to_flat_rows_or_in_big_graphs_to_name_scope_rows(monkeypatch):
    doc = graph_document(5_000)
    index = SearchIndex(doc)
    (position,) = index.find("relu_4002")
    node = index.node(position)
    assert node.name == "block_4/unit_0/relu_4002" and node.type == "Relu"
    assert node.ref is doc.nodes[4002] and node.parent.name == "Graph nodes"

    big = graph_document(5_000)
    monkeypatch.setattr(SearchIndex, "FLAT_LIMIT", 1_000)
    index = SearchIndex(big)
    node = index.node(index.find("relu_4002")[0])
    assert node.ref is big.nodes[4002]
    assert [p.name for p in node.path()][1:-1] == ["By name scope", "block_4/", "unit_0/"]
    flat = big.root.children[0]
    assert flat.role == Role.GRAPH_NODES and not flat.is_built  # still lazy


def test_index_of_accepts_names_with_and_without_the_output_suffix():
    doc = graph_document(100)
    assert index_of(doc, doc.nodes[57].name) == 57
    assert index_of(doc, doc.nodes[57].name + ":0") == 57
    assert index_of(doc, "missing") is None


def test_keras_search_finds_layers_by_class_and_weights_by_name():
    doc = open_document(corpus_path("carnd-h5"))
    index = SearchIndex(doc)
    convs = [n.name for n in index.matches("conv2d") if n.kind == "layer"]
    # PROVENANCE: 5 Conv2D layers in this Sequential model
    assert convs == [f"conv2d_{i}" for i in range(1, 6)]
    kernels = [n.name for n in index.matches("dense_1/kernel") if n.kind == "weight"]
    assert kernels == ["dense_1/kernel:0"]
    assert [n.name for n in index.matches("lambda")][:1] == ["lambda_1"]


def test_cursor_wraps_both_ways():
    cursor = Cursor(3)
    assert [cursor.next() for _ in range(4)] == [0, 1, 2, 0]
    assert [cursor.previous() for _ in range(2)] == [2, 1]
    fresh = Cursor(3)
    assert fresh.previous() == 2
    assert Cursor(0).next() == -1
