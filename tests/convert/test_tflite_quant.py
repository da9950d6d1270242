"""Quantized TFLite: a small CNN built here converted with `--quantize dynamic|float16|int8`;
the result run by the TFLite interpreter itself differs from Keras's predict by a bounded (and
non-zero) error, and the report gives the sizes and names the model's layers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

# Largest |quantized - keras| on softmax outputs (measured here: dynamic ~1e-3, float16 ~1e-5,
# int8 ~1e-2).
BOUND = {"dynamic": 2e-2, "float16": 1e-3, "int8": 1e-1}
LAYERS = ("conv1", "conv2", "dense1", "probs")


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    """The CNN (.keras), a folder of PNGs to calibrate with, test inputs and Keras's outputs."""
    import keras
    from PIL import Image

    keras.utils.set_random_seed(11)
    inp = keras.Input((16, 16, 3), name="img")
    h = keras.layers.Conv2D(16, 3, activation="relu", name="conv1")(inp)
    h = keras.layers.Conv2D(32, 3, activation="relu", name="conv2")(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    h = keras.layers.Dense(64, activation="relu", name="dense1")(h)
    out = keras.layers.Dense(5, activation="softmax", name="probs")(h)
    model = keras.Model(inp, out, name="tinycnn")
    folder = tmp_path_factory.mktemp("quant")
    model.save(folder / "cnn.keras")
    images = folder / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(10):
        Image.fromarray(rng.integers(0, 256, (20, 20, 3)).astype(np.uint8)).save(
            images / f"{i}.png")
    x = rng.uniform(0, 1, (4, 16, 16, 3)).astype(np.float32)  # as images scaled to [0, 1]
    return folder / "cnn.keras", images, x, np.asarray(model.predict(x, verbose=0))


def _interpret(path: Path, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(path))
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    rows = []
    for sample in x:
        interp.allocate_tensors()
        interp.set_tensor(inp["index"], sample[None].astype(inp["dtype"]))
        interp.invoke()
        rows.append(interp.get_tensor(out["index"])[0])
    return np.stack(rows)


@pytest.fixture(scope="module")
def float_size(cnn, tmp_path_factory: pytest.TempPathFactory) -> int:
    dst = tmp_path_factory.mktemp("float") / "cnn.tflite"
    proc = run_cli("convert", str(cnn[0]), str(dst))
    assert proc.returncode == 0, proc.stderr
    return os.path.getsize(dst)


@pytest.mark.parametrize("mode", ["dynamic", "float16", "int8", "int8-images"])
def test_quantized_cnn(cnn, float_size: int, tmp_path: Path, mode: str) -> None:
    src, images, x, expected = cnn
    dst = tmp_path / "q.tflite"
    args = ["convert", str(src), str(dst), "--quantize", mode.split("-")[0], "--json"]
    if mode == "int8-images":
        args += ["--calibration", str(images)]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    quant = report["quantization"]
    # Sizes: before is the float model kinspect writes without --quantize, after the file.
    assert quant["size_before"] == float_size
    assert quant["size_after"] == os.path.getsize(dst) < float_size
    # The interpreter's own outputs: close to Keras's, not identical.
    got = _interpret(dst, x)
    diff = float(np.abs(got - expected).max())
    assert 0 < diff < BOUND[mode.split("-")[0]]
    # The report compares every layer's output and names the layers.
    (output_error,) = quant["outputs"].values()
    assert 0 < output_error["max_abs"] < BOUND[mode.split("-")[0]]
    tensors = [row["tensor"] for row in quant["layers"]]
    for layer in LAYERS[:-1]:
        assert any(f"/{layer}" in t for t in tensors), (layer, tensors)
    # ... and maps each compared tensor to the Keras layer it comes from.
    assert set(LAYERS[:-1]) <= {row.get("layer") for row in quant["layers"]}
    assert all(row["max_abs"] >= 0 for row in quant["layers"])
    warned = any("random inputs" in w for w in report["warnings"])
    assert warned == (mode == "int8")
    if mode == "int8-images":
        assert "int8 calibrated on 10 samples from " + str(images) in report["warnings"]


def test_human_report_names_layers(cnn, tmp_path: Path) -> None:
    proc = run_cli("convert", str(cnn[0]), str(tmp_path / "q.tflite"), "--quantize", "float16")
    assert proc.returncode == 0, proc.stderr
    assert "quantized (float16): " in proc.stdout and "largest errors inside" in proc.stdout
    assert "/conv1" in proc.stdout and "layer conv1 (" in proc.stdout


def test_unknown_mode_refused(cnn, tmp_path: Path) -> None:
    proc = run_cli("convert", str(cnn[0]), str(tmp_path / "q.tflite"), "--quantize", "int4")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "dynamic, float16, int8" in proc.stderr
    assert not (tmp_path / "q.tflite").exists()
