"""`tflite` and `onnx`: corpus facts from PROVENANCE.md and values from the onnx package."""

from __future__ import annotations

import numpy as np
import pytest

from kinspect.formats import open_document
from tests.conftest import corpus_path


def test_tflite_half_plus_two() -> None:
    doc = open_document(corpus_path("half-plus-two-tflite"))
    assert doc.format == "tflite"
    assert doc.extra["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 1]}]
    assert doc.extra["outputs"] == [{"name": "y", "dtype": "float32", "shape": [1, 1]}]
    weights = {v.name: float(v.read()) for v in doc.variables}
    # PROVENANCE: 5.0 -> 4.5 (y = a * x + b).
    assert weights["a"] * 5.0 + weights["b"] == pytest.approx(4.5)
    assert [n.op for n in doc.nodes] == ["MUL", "ADD"]


def test_tflite_regression_signature_and_test_api_model() -> None:
    doc = open_document(corpus_path("regression-tflite"))
    sd = doc.signatures["serving_default"]
    assert sd.inputs["X"].name == "X:0" and sd.outputs["pred"].name == "pred:0"
    assert sd.inputs["X"].shape == ()
    values = {v.name: float(v.read()) for v in doc.variables}
    assert values["W"] * 5 + values["b"] == pytest.approx(2.1193342, abs=1e-6)
    api = open_document(corpus_path("test-api-tflite"))
    assert [(n.op, n.inputs) for n in api.nodes] == [("ADD", ["input", "input"])]
    assert api.extra["inputs"][0]["shape"] == [2, 2]


def test_onnx_churn_model() -> None:
    import onnx
    from onnx import numpy_helper

    path = corpus_path("churn-onnx")
    doc = open_document(path)
    assert doc.format == "onnx"
    assert doc.producer["ir_version"] == 7
    assert doc.producer["opset"] == {"ai.onnx": 13, "ai.onnx.ml": 2}
    assert doc.producer["producer_name"] == "tf2onnx"
    assert doc.producer["producer_version"].startswith("1.17.0")
    (sig,) = doc.signatures.values()
    assert sig.inputs["input_layer"].shape == (None, 12)
    assert sig.outputs["output_0"].shape == (None, 1)
    assert {n.op for n in doc.nodes} == {"MatMul", "Add", "Relu", "Sigmoid"}
    reference = onnx.load(str(path))
    for var, init in zip(doc.variables, reference.graph.initializer, strict=True):
        np.testing.assert_array_equal(var.read(), numpy_helper.to_array(init))
    # Parameters of the Keras source (12 -> 1, 2,945 params, keras_h5_full/deepak_churn...).
    assert sum(v.size for v in doc.variables) == 2945
