"""Output suggestions, `:0` handling and the freeze preview, over documents and corpus files."""

from __future__ import annotations

from kinspect.formats import open_document
from kinspect.graph.outputs import (
    candidates,
    kept_nodes,
    node_name,
    split_tensor_name,
    tensor_name,
    unknown_outputs,
)
from kinspect.model import Document, GraphNode, Kind, Node

from ..conftest import SAMPLE, corpus_path


def graph(*nodes: tuple[str, str, list[str]]) -> Document:
    return Document(path="g.pb", format="tf-graphdef", root=Node(Kind.MODEL, "g"),
                    nodes=[GraphNode(name, op, inputs, [f"{name}:0"]) for name, op, inputs
                           in nodes])


def test_tensor_and_node_names():
    assert tensor_name("dense_1/Softmax") == "dense_1/Softmax:0"
    assert tensor_name("split:1") == "split:1"
    assert node_name("dense_1/Softmax:0") == "dense_1/Softmax"
    assert node_name("^init") == "init"
    assert split_tensor_name("a:b:2") == ("a:b", 2)


def test_sinks_ranked_and_kept_subgraph():
    doc = graph(("x", "Placeholder", []), ("w", "Const", []),
                ("mm", "MatMul", ["x", "w"]), ("probs", "Softmax", ["mm"]),
                ("loss", "Mean", ["mm"]), ("init", "NoOp", ["^w"]),
                ("debug", "Print", ["mm", "^init"]))
    picked = [c.node for c in candidates(doc)]
    assert picked[0] == "probs"  # Softmax ranks first among sinks
    assert set(picked) == {"probs", "loss", "debug"}  # NoOp and consumed nodes are not offered
    assert candidates(doc)[0].tensor == "probs:0"
    assert kept_nodes(doc, ["probs:0"]) == {"probs", "mm", "x", "w"}
    assert kept_nodes(doc, ["debug"]) == {"debug", "mm", "x", "w", "init"}  # control inputs too
    assert unknown_outputs(doc, ["probs:0", "nope"]) == ["nope"]


def test_keras_declared_outputs():
    doc = open_document(corpus_path("amitpr-mnist-h5"))
    assert candidates(doc)[0].node == "dense_3"
    assert "declared output" in candidates(doc)[0].reason
    sample = open_document(SAMPLE)
    assert candidates(sample)[0].node == "probs"
