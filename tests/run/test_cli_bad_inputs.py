"""Bad inputs to `kinspect run`: exit 2, one stderr line that names the input, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import corpus, run_cli

pytestmark = pytest.mark.slow

ONNX = "onnx/deepak_churn_ann/model.onnx"  # input_layer [N, 12] float32 -> output_0 [N, 1]


def _fails(*args: str) -> str:
    proc = run_cli("run", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kinspect: "), proc.stderr
    assert "Traceback" not in proc.stderr and not proc.stdout
    return lines[0]


def test_bad_inputs_name_the_input(tmp_path: Path) -> None:
    model = str(corpus(ONNX))
    np.save(tmp_path / "short.npy", np.zeros((1, 11), np.float32))
    np.save(tmp_path / "ints.npy", np.zeros((1, 12), np.complex64))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "corrupt.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "pic.png")
    line = _fails(model, "-i", str(tmp_path / "short.npy"))
    assert "input input_layer: expects shape (None, 12), got (1, 11)" in line
    line = _fails(model, "-i", str(tmp_path / "ints.npy"))
    assert "input input_layer: expects float32 (None, 12), got complex64" in line
    line = _fails(model, "-i", str(tmp_path / "objects.npy"))
    assert "input input_layer:" in line and "Python objects" in line
    line = _fails(model, "-i", str(tmp_path / "corrupt.npy"))
    assert "input input_layer:" in line and "not a valid .npy" in line
    line = _fails(model, "-i", str(tmp_path / "pic.png"))
    assert "input input_layer: an image needs an input of shape (batch, height, width" in line
    line = _fails(model, "-i", "nosuch=random")
    assert "input nosuch: the model has no such input; its inputs: input_layer" in line
    line = _fails(model, "-i", "[[1, 2], [3]]")
    assert "input input_layer:" in line and "not a rectangular array" in line


def test_json_array_runs_like_onnxruntime() -> None:
    import onnxruntime as ort

    path = str(corpus(ONNX))
    rows = [[0.5 * i - 2 for i in range(12)], [1.0] * 12]
    proc = run_cli("run", path, "--input", f"input_layer={json.dumps(rows)}", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)["outputs"]["output_0"]["values"]
    expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, {"input_layer": np.array(rows, np.float32)})[0]
    np.testing.assert_array_equal(np.array(got, np.float32), expected)


def test_known_answers_in_text_output() -> None:
    proc = run_cli("run", str(corpus("savedmodel/tfserving_half_plus_two_tf2_cpu")),
                   "--input", "[1, 2, 5]")
    assert proc.returncode == 0, proc.stderr
    assert "values: [2.5, 3.0, 4.5]" in proc.stdout
    proc = run_cli("run", str(corpus("tflite/tfserving_half_plus_two/00000123/model.tflite")),
                   "-i", "x=[[5]]", "--json")
    assert json.loads(proc.stdout)["outputs"]["y"]["values"] == [[4.5]]


@pytest.mark.parametrize(("rel", "signature", "answer"), [
    ("savedmodel/tfjs_node_times_three_float", None, [3.0, 6.0, 9.0]),
    ("savedmodel/tfjs_node_module_with_multiple_signatures", "timestwo", [2.0, 4.0, 6.0]),
])
def test_signatures_take_what_tensorflow_takes(rel: str, signature: str | None,
                                               answer: list[float]) -> None:
    """Their x is declared with shape () and TensorFlow runs [1, 2, 3] (PROVENANCE)."""
    extra = ["--signature", signature] if signature else []
    proc = run_cli("run", str(corpus(rel)), "-i", "[1, 2, 3]", "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"]["output_0"]["values"] == answer


def test_weights_with_their_architecture_match_tf_keras() -> None:
    """A Keras 2.0.5 weights-only .h5 with its JSON (PROVENANCE 12, 19), against tf_keras's
    own model_from_json + load_weights on the same row."""
    import tf_keras

    weights = corpus("keras_h5_weights/daksh_credit_fraud/model.h5")
    arch = corpus("keras_arch/daksh_credit_fraud/model.json")
    row = np.linspace(-1, 1, 30, dtype=np.float32)[None]
    model = tf_keras.models.model_from_json(arch.read_text())
    model.load_weights(str(weights))
    expected = model(row).numpy()
    proc = run_cli("run", str(weights), "--arch", str(arch), "-i", json.dumps(row.tolist()),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    got = np.array(json.loads(proc.stdout)["outputs"]["dense_5"]["values"], np.float32)
    np.testing.assert_allclose(got, expected, atol=1e-6)
