"""The public API `kinspect.run.load` on corpus files with known answers (PROVENANCE.md),
and the layer values checked against the real libraries run directly."""

from __future__ import annotations

import numpy as np
import pytest

from kinspect.errors import InvalidRequest
from kinspect.run import load
from tests.conftest import corpus

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("rel", ["savedmodel/tfserving_half_plus_two_cpu",
                                 "savedmodel/tfserving_half_plus_two_tf2_cpu"])
def test_half_plus_two_savedmodels(rel: str) -> None:
    runner = load(str(corpus(rel)))
    spec = runner.inputs["x"]
    x = np.array([1, 2, 5], np.float32).reshape((3, 1) if len(spec.shape) == 2 else (3,))
    y = runner.run({"x": x}).outputs["y"]
    np.testing.assert_array_equal(y.ravel(), [2.5, 3.0, 4.5])


@pytest.mark.parametrize("rel", ["frozen_pb/tf2onnx_regression/frozen.pb",
                                 "savedmodel/tf2onnx_regression_saved_model",
                                 "tf1_checkpoint/tf2onnx_regression_checkpoint",
                                 "tflite/tf2onnx_regression/model.tflite"])
def test_regression_x5(rel: str) -> None:
    runner = load(str(corpus(rel)))
    (name,) = runner.inputs
    (out,) = runner.run({name: np.float32(5.0)}).outputs.values()
    assert float(out) == pytest.approx(2.1193342, abs=1e-7)


def test_graph_layers_come_from_the_same_run() -> None:
    """pred = W*X + b: the Mul and Add tensors fetched beside the output agree with it."""
    runner = load(str(corpus("frozen_pb/tf2onnx_regression/frozen.pb")))
    assert runner.layer_names() == ["W/read:0", "b/read:0", "Mul:0", "Add:0", "pred:0"]
    result = runner.run({"X:0": np.float32(5.0)}, ["W/read:0", "b/read:0", "Mul:0", "Add:0"])
    w, b = float(result.layers["W/read:0"]), float(result.layers["b/read:0"])
    assert float(result.layers["Mul:0"]) == pytest.approx(5.0 * w)
    assert float(result.outputs["pred:0"]) == pytest.approx(5.0 * w + b, abs=1e-6)


def test_onnx_matches_onnxruntime_directly() -> None:
    import onnxruntime as ort

    path = str(corpus("onnx/deepak_churn_ann/model.onnx"))
    x = np.random.default_rng(7).standard_normal((4, 12)).astype(np.float32)
    expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, {"input_layer": x})[0]
    runner = load(path)
    result = runner.run({"input_layer": x}, runner.layer_names()[-1:])
    np.testing.assert_array_equal(result.outputs["output_0"], expected)
    (last,) = result.layers.values()
    np.testing.assert_array_equal(last, expected)


def test_tflite_half_plus_two() -> None:
    runner = load(str(corpus("tflite/tfserving_half_plus_two/00000123/model.tflite")))
    assert runner.run({"x": np.array([[5.0]], np.float32)}).outputs["y"].item() == 4.5


def test_mismatches_name_the_input() -> None:
    runner = load(str(corpus("onnx/deepak_churn_ann/model.onnx")))
    with pytest.raises(InvalidRequest, match=r"input input_layer: expects shape \(None, 12\), "
                       r"got \(1, 11\)"):
        runner.run({"input_layer": np.zeros((1, 11), np.float32)})
    with pytest.raises(InvalidRequest, match="input nope: the model has no such input"):
        runner.run({"nope": np.zeros((1, 12), np.float32)})
    with pytest.raises(InvalidRequest, match="input input_layer: expects float32"):
        runner.run({"input_layer": np.zeros((1, 12), np.complex64)})


def test_tf1_loader_when_tf2_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Some TF1 SavedModels fail tf.saved_model.load ('Shapes must be equal rank'); the TF1
    loader in a session runs the signature by its keys, layers from the same session."""
    import tensorflow as tf

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Shapes must be equal rank")

    monkeypatch.setattr(tf.saved_model, "load", refuse)
    runner = load(str(corpus("savedmodel/tfserving_half_plus_two_cpu")))
    assert any("TF1 loader" in w for w in runner.warnings)
    result = runner.run({"x": np.array([[1], [2], [5]], np.float32)}, ["Mul:0"])
    np.testing.assert_array_equal(result.outputs["y"].ravel(), [2.5, 3.0, 4.5])
    np.testing.assert_array_equal(result.layers["Mul:0"].ravel(), [0.5, 1.0, 2.5])


def test_tflite_intermediate_tensors() -> None:
    """half_plus_two: the Mul tensor (0.5 * x) comes from the same invoke as y."""
    runner = load(str(corpus("tflite/tfserving_half_plus_two/00000123/model.tflite")))
    assert runner.layer_names() == ["Mul", "y"]
    result = runner.run({"x": np.array([[5.0]], np.float32)}, ["Mul"])
    assert result.layers["Mul"].item() == 2.5 and result.outputs["y"].item() == 4.5
