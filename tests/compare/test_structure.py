"""Matching without running: Keras layers to graph scopes as real exports name them, and two
graphs by name then by op and position. Node names are those of real frozen graphs made here
(TECH-NOTES: Keras 3 appends `_1`; its frozen MLP with layers dense, dense_1, probs has scopes
small_1/dense_1, small_1/dense_1_2, small_1/probs_1; tf_keras keeps the layer names)."""

from __future__ import annotations

from kinspect.compare.structure import ADDED, CHANGED, EQUAL, REMOVED, match_graphs, scope_table
from kinspect.model import GraphNode

LAYERS = ["dense", "dense_1", "probs"]


def names(*scopes: str) -> list[str]:
    return [f"{s}/{op}" for s in scopes for op in ("MatMul", "BiasAdd", "Relu")]


def test_keras3_uniquified_scopes():
    table = scope_table(LAYERS, names("small_1/dense_1", "small_1/dense_1_2", "small_1/probs_1"))
    assert table == {"dense_1": "dense", "dense_1_2": "dense_1", "probs_1": "probs"}


def test_tf_keras_scopes_keep_layer_names():
    table = scope_table(LAYERS, names("sequential/dense", "sequential/dense_1",
                                      "sequential/probs"))
    assert table == {"dense": "dense", "dense_1": "dense_1", "probs": "probs"}


def test_savedmodel_prefix_and_missing_layer():
    table = scope_table(["dense", "dropout", "dense_1"],
                        names("StatefulPartitionedCall/model_1/dense_1",
                              "StatefulPartitionedCall/model_1/dense_1_2"))
    assert table == {"dense_1": "dense", "dense_1_2": "dense_1"}  # dropout: not in the graph


def test_graphs_by_name_then_op_and_position():
    a = [GraphNode("x", "Placeholder"), GraphNode("conv", "Conv2D", ["x"]),
         GraphNode("relu", "Relu", ["conv"]), GraphNode("out", "Softmax", ["relu"])]
    b = [GraphNode("x", "Placeholder"), GraphNode("renamed_conv", "Conv2D", ["x"]),
         GraphNode("relu", "Relu6", ["renamed_conv"]), GraphNode("extra", "Identity", ["relu"])]
    pairs = {(p.a, p.b): p for p in match_graphs(a, b)}
    assert pairs[("x", "x")].status == EQUAL
    assert pairs[("conv", "renamed_conv")].status == EQUAL  # inputs mapped through the rename
    assert pairs[("relu", "relu")].status == CHANGED
    assert pairs[("relu", "relu")].changes == ["op Relu -> Relu6"]
    assert pairs[("out", None)].status == REMOVED and pairs[(None, "extra")].status == ADDED


def test_frozen_constant_is_the_savedmodel_variable_and_tflite_ops_match_tf():
    a = [GraphNode("W", "Const"), GraphNode("Mul", "Mul", ["X", "W"])]
    b = [GraphNode("W", "VariableV2"), GraphNode("Mul", "MUL", ["X", "W"])]
    assert [p.status for p in match_graphs(a, b)] == [EQUAL, EQUAL]
