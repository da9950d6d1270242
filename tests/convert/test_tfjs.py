"""TF.js targets: Keras models built here go through `kinspect convert --to tfjs-layers` and
`--to tfjs-graph` (float and each quantization) and are run by the real TensorFlow.js runtime
(Node, @tensorflow/tfjs on the cpu backend, through the script kinspect ships); their outputs
are compared with Keras's own predict on the same inputs. The written folders are also read
back by the corpus-tested TF.js readers for their parameter counts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from kinspect.convert import tfjs_runtime
from tests.conftest import corpus, in_ci, run_cli

pytestmark = pytest.mark.slow

# Largest |tfjs - keras| allowed, relative to max(1, |keras|): float32 kernels in JS vs XLA /
# Eigen differ in the last bits; quantized weights add their own error (measured here: float16
# ~2e-3, uint16 ~1e-4, uint8 ~3e-2 on the CNN's softmax).
TOLERANCE = {None: 1e-4, "float16": 1e-2, "uint16": 3e-3, "uint8": 1.5e-1}


@pytest.fixture(scope="module")
def runtime() -> None:
    why = tfjs_runtime.missing()
    if why:
        if in_ci():
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """A small functional CNN (.keras) with trained-looking weights, its input and Keras's
    prediction on it."""
    import keras

    keras.utils.set_random_seed(7)
    inp = keras.Input((12, 12, 3), name="image")
    h = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.MaxPooling2D(name="pool")(h)
    h = keras.layers.Flatten(name="flat")(h)
    h = keras.layers.Dense(10, activation="relu", name="hidden")(h)
    out = keras.layers.Dense(4, activation="softmax", name="probs")(h)
    model = keras.Model(inp, out)
    bn = model.get_layer("bn")  # statistics that are not the identity
    bn.set_weights([w + np.random.default_rng(1).uniform(0.1, 0.5, w.shape).astype(np.float32)
                    for w in bn.get_weights()])
    x = np.random.default_rng(3).standard_normal((2, 12, 12, 3)).astype(np.float32)
    path = tmp_path_factory.mktemp("cnn") / "cnn.keras"
    model.save(path)
    return path, x, np.asarray(model.predict(x, verbose=0))


def _convert(src: Path, dst: Path, target: str, quant: str | None, *extra: str) -> dict:
    args = ["convert", str(src), str(dst), "--to", target, "--json", *extra]
    if quant:
        args += ["--quantize", quant]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("quant", [None, "float16", "uint8", "uint16"])
@pytest.mark.parametrize("target", ["tfjs-layers", "tfjs-graph"])
def test_cnn_round_trip_under_tfjs(runtime: None, cnn, tmp_path: Path, target: str,
                                   quant: str | None) -> None:
    src, x, expected = cnn
    dst = tmp_path / "web_model"
    report = _convert(src, dst, target, quant, "--shard-size", "1000")
    manifest = json.loads((dst / "model.json").read_text())
    group = manifest["weightsManifest"][0]
    assert manifest["format"] == ("layers-model" if target == "tfjs-layers" else "graph-model")
    # Shards of at most 1000 bytes, together exactly what the manifest's weights need.
    sizes = [os.path.getsize(dst / p) for p in group["paths"]]
    assert len(sizes) > 1 and max(sizes) <= 1000
    if quant:
        assert {w.get("quantization", {}).get("dtype") for w in group["weights"]
                if w["dtype"] == "float32"} == {quant}
    feed = "image" if target == "tfjs-layers" else report["inputs"][0].split(":")[0]
    got = tfjs_runtime.run(str(dst / "model.json"), {feed: x})
    assert len(got) == 1
    value = next(iter(got.values()))
    assert value.shape == expected.shape
    np.testing.assert_allclose(value, expected, atol=TOLERANCE[quant], rtol=0)
    if quant is None:  # softmax rows: a real prediction, not zeros
        np.testing.assert_allclose(value.sum(axis=1), 1.0, atol=1e-5)


def test_layers_model_reads_back_with_keras_counts(runtime: None, cnn, tmp_path: Path) -> None:
    import keras

    src, _x, _expected = cnn
    dst = tmp_path / "web_model"
    _convert(src, dst, "tfjs-layers", "uint8")
    proc = run_cli("info", "--json", str(dst))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    model = keras.models.load_model(src)
    assert info["format"] == "tfjs-layers"
    assert info["params"]["total"] == model.count_params()
    assert [la["name"] for la in info["layers"]] == [la.name for la in model.layers]


def test_verify_uses_the_tfjs_runtime(runtime: None, cnn, tmp_path: Path) -> None:
    src, _x, _expected = cnn
    report = _convert(src, tmp_path / "g", "tfjs-graph", "uint8", "--verify")
    assert report["verified"] is True
    diff = next(iter(report["max_abs_diff"].values()))
    assert 0 < diff < report["tolerance"]  # uint8 weights change the outputs a little


def test_lstm_sequential_from_tf_keras_h5(runtime: None, tmp_path: Path) -> None:
    """A Keras 2 (tf_keras) .h5 with an LSTM: Keras 2's config as it is, weights named with
    the cell level, which TF.js's loader accepts."""
    import tf_keras

    tf_keras.utils.set_random_seed(5)
    model = tf_keras.Sequential([tf_keras.layers.Embedding(50, 8, input_length=7),
                                 tf_keras.layers.LSTM(6),
                                 tf_keras.layers.Dense(3, activation="sigmoid")])
    model.build((None, 7))
    src = tmp_path / "lstm.h5"
    model.save(src)
    x = np.random.default_rng(2).integers(0, 50, (3, 7)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    dst = tmp_path / "lstm_js"
    # Keras 3 cannot read this LSTM config (time_major): tf_keras loads it, trusted.
    _convert(src, dst, "tfjs-layers", None, "--trust-code")
    name = model.layers[0].name + "_input"
    info = tfjs_runtime.describe(str(dst / "model.json"))
    feed = info["inputs"][0]["name"] if info["inputs"][0]["name"] else name
    got = next(iter(tfjs_runtime.run(str(dst / "model.json"), {feed: x}).values()))
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_quantize_value_refused(tmp_path: Path, cnn) -> None:
    src, _x, _expected = cnn
    proc = run_cli("convert", str(src), str(tmp_path / "o"), "--to", "tfjs-layers",
                   "--quantize", "int4")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "float16, uint8, uint16" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_options_of_other_targets_refused(tmp_path: Path) -> None:
    src = corpus("keras_h5_full/alphabet_soup_ahmadhha/AlphabetSoupCharity.h5")
    for args in (("--shard-size", "100"), ("--quantize", "uint8")):
        proc = run_cli("convert", str(src), str(tmp_path / "o.onnx"), *args)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and "does not apply to onnx" in proc.stderr
    proc = run_cli("convert", str(src), str(tmp_path / "o.tflite"), "--shard-size", "100")
    assert proc.returncode == 2 and "--shard-size does not apply to tflite" in proc.stderr


def test_keras3_nested_multi_io_and_bidirectional(runtime: None, tmp_path: Path) -> None:
    """Keras 3 configs TF.js cannot read as they are: a nested Sequential (node indices), two
    inputs and outputs, a Bidirectional LSTM (pre-named inner layers); counts read back."""
    import keras

    keras.utils.set_random_seed(9)
    a, b = keras.Input((4,), name="a"), keras.Input((6,), name="b")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu",
                                                                    name="in_d")], name="inner")
    seq = keras.layers.Embedding(30, 4, name="emb")(b)
    seq = keras.layers.Bidirectional(keras.layers.LSTM(3), name="bi")(seq)
    o1 = keras.layers.Dense(2, name="o1")(inner(a))
    o2 = keras.layers.Dense(1, name="o2")(keras.layers.Concatenate(name="cat")([inner(a), seq]))
    model = keras.Model([a, b], [o1, o2])
    src = tmp_path / "m.keras"
    model.save(src)
    rng = np.random.default_rng(4)
    xa = rng.standard_normal((3, 4)).astype(np.float32)
    xb = rng.integers(0, 30, (3, 6)).astype(np.float32)
    expected = model.predict([xa, xb], verbose=0)
    dst = tmp_path / "js"
    _convert(src, dst, "tfjs-layers", None)
    got = tfjs_runtime.run(str(dst / "model.json"), {"a": xa, "b": xb})
    np.testing.assert_allclose(got["o1"], expected[0], atol=1e-5)
    np.testing.assert_allclose(got["o2"], expected[1], atol=1e-5)
    proc = run_cli("info", "--json", str(dst))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["params"]["total"] == model.count_params()
    assert info["warnings"] == []
