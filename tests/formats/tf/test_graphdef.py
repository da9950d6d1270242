"""`tf-graphdef`: frozen and text GraphDefs from the corpus and generated ones; node outputs
and tensor values checked against TensorFlow (tests/formats/tf/graph_truth.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kinspect.formats import open_document
from kinspect.formats.tf import protos as tf_protos
from kinspect.model import Kind
from tests.conftest import corpus, corpus_path
from tests.formats.tf.helpers import branch, node


def test_frozen_regression_graph_computes_provenance_value() -> None:
    doc = open_document(corpus_path("regression-pb"))
    assert doc.format == "tf-graphdef"
    assert len(doc.nodes) == 8
    assert node(doc, "X").op == "Placeholder" and node(doc, "X").outputs == ["X:0"]
    assert node(doc, "pred").outputs == ["pred:0"]
    rows = {r.name: r for r in branch(doc, "Graph nodes").children}
    w = float(rows["W"].tensor.read())
    b = float(rows["b"].tensor.read())
    # PROVENANCE: X=5 -> 2.1193342 (pred = X * W + b).
    assert w * 5 + b == pytest.approx(2.1193342, abs=1e-6)


@pytest.mark.parametrize("rel,count,inputs,output", [
    ("fc-layers-pb", 24, ["X"], "output"),
    ("gru-pb", 548, ["X", "keep_prob"], "output"),
])
def test_frozen_graphs(rel: str, count: int, inputs: list[str], output: str) -> None:
    doc = open_document(corpus_path(rel))
    assert len(doc.nodes) == count
    assert doc.extra["placeholders"] == inputs
    assert node(doc, output).outputs == [f"{output}:0"]
    assert doc.extra["frozen"] is True
    if "fc_layers" in rel:
        assert {"MatMul", "BiasAdd", "Relu"} <= {n.op for n in doc.nodes}
        kernel = next(r for r in branch(doc, "Graph nodes").children if r.name == "dense/kernel")
        assert kernel.tensor.read().shape == (784, 256)


def test_text_graphdef() -> None:
    from google.protobuf import text_format

    path = corpus_path("tfcr-pbtxt")
    doc = open_document(path)
    assert doc.format == "tf-graphdef" and len(doc.nodes) == 10
    reference = text_format.Parse(path.read_text(), tf_protos.GraphDef())
    assert [n.name for n in doc.nodes] == [n.name for n in reference.node]
    init = node(doc, "init")
    assert all(i.startswith("^") for i in init.inputs) and init.outputs == []


def test_generated_multi_output_and_control_inputs(truth: dict[str, Any]) -> None:
    for suffix in ("pb", "pbtxt"):
        doc = open_document(Path(truth["dir"]) / f"multi.{suffix}")
        assert doc.format == "tf-graphdef"
        assert {n.name for n in doc.nodes} == set(truth["multi"])
        for gn in doc.nodes:
            expected = truth["multi"][gn.name]
            assert gn.op == expected["op"]
            assert gn.outputs == expected["outputs"], gn.name
            assert gn.inputs == expected["inputs"], gn.name
    after = next(r for r in branch(doc, "Graph nodes").children if r.name == "after_split")
    inputs = next(c for c in after.children if c.name == "inputs").children
    assert [(c.name, c.attrs["control"]) for c in inputs] == [("split:2", False), ("uniq", True)]


@pytest.mark.parametrize("rel", [
    "frozen_pb/tf2onnx_regression/frozen.pb", "frozen_pb/tf2onnx_fc_layers/frozen.pb",
    "frozen_pb/tf2onnx_gru/frozen.pb", "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
    "tf1_checkpoint/tf2onnx_regression_checkpoint/model.meta",
    "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export.meta",
    "savedmodel/tfserving_half_plus_two_cpu/00000123/saved_model.pb"])
def test_every_node_outputs_as_tensorflow_builds_them(rel: str, truth: dict[str, Any]) -> None:
    doc = open_document(corpus(rel))
    expected = truth["graph_outputs"][rel]
    assert {n.name: n.outputs for n in doc.nodes} == expected


def test_function_only_graph_without_nul_bytes(tmp_path: Path) -> None:
    """A small GraphDef holding only a function library (its head decodes as text)."""
    g = tf_protos.GraphDef()
    g.versions.producer = 1000
    fn = g.library.function.add()
    fn.signature.name = "my_fn"
    fn.signature.input_arg.add(name="x", type=1)
    fn.signature.output_arg.add(name="y", type=1)
    fn.node_def.add(name="Identity", op="Identity", input=["x"])
    fn.ret["y"] = "Identity:output:0"
    path = tmp_path / "functions.pb"
    path.write_bytes(g.SerializeToString())
    assert b"\x00" not in path.read_bytes()
    doc = open_document(path)
    assert doc.format == "tf-graphdef" and doc.extra["functions"] == ["my_fn"]
    (row,) = branch(doc, "Functions").children
    assert row.attrs["inputs"] == ["x: float32"] and row.attrs["returns"] == {"y":
                                                                             "Identity:output:0"}


def test_name_scope_branch_groups_nodes() -> None:
    doc = open_document(corpus_path("gru-pb"))
    scopes = branch(doc, "By name scope")
    model = next(c for c in scopes.children if c.name == "model/")
    leaves = [n for n in model.walk() if n.kind == Kind.GRAPH_NODE]
    assert {n.name for n in leaves} == {n.name for n in doc.nodes if n.name.startswith("model/")}


def test_tensor_values_as_tensorflow_reads_them(truth: dict[str, Any]) -> None:
    from kinspect.formats.tf import tensor as tf_tensor

    for case in truth["tensor_protos"]:
        proto = tf_protos.TensorProto.FromString(bytes.fromhex(case["hex"]))
        value = tf_tensor.tensor_to_numpy(proto)
        assert list(value.shape) == case["shape"]
        if value.dtype == object:
            value = np.array([v.decode() for v in value.ravel()], dtype=object)
            assert value.tolist() == case["value"]
            continue
        if value.dtype.kind == "c":
            value = np.stack([value.real, value.imag], axis=-1)
        expected = np.asarray(case["value"], dtype=np.float64).reshape(value.shape)
        np.testing.assert_array_equal(value.astype(np.float64), expected)
