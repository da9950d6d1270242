"""Small models for the compare tests, built with Keras 3 / TensorFlow (not with kinspect):
a functional MLP saved as .h5, the same with one kernel changed, its frozen GraphDef and its
SavedModel, and a fixed input batch saved as .npy so the tests know what both sides ran on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CHANGED_LAYER = "dense_1"  # the layer whose kernel the test changes
LAYERS = ["dense", "dense_1", "probs"]


def mlp() -> Any:
    import keras

    inp = keras.Input((6,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="dense")(inp)
    h = keras.layers.Dense(8, activation="tanh", name="dense_1")(h)
    out = keras.layers.Dense(3, activation="softmax", name="probs")(h)
    return keras.Model(inp, out, name="small")


def freeze(model: Any, path: Path) -> None:
    """The plain TensorFlow recipe (TECH-NOTES): concrete function, constants, write_graph."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    fn = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec([None, 6], tf.float32, name="x"))
    frozen = convert_variables_to_constants_v2(fn)
    tf.io.write_graph(frozen.graph.as_graph_def(), str(path.parent), path.name, as_text=False)


def build(out: Path) -> dict[str, Any]:
    """Every file of the set, plus the live models and the input batch."""
    model = mlp()
    files: dict[str, Any] = {"model": model}
    model.save(out / "m.h5")
    freeze(model, out / "m.pb")
    model.export(str(out / "sm"), verbose=False)
    x = np.random.default_rng(7).standard_normal((4, 6)).astype(np.float32)
    np.save(out / "x.npy", x)
    changed = mlp()
    changed.set_weights(model.get_weights())
    kernel, bias = changed.get_layer(CHANGED_LAYER).get_weights()
    kernel[:, 0] += 0.75  # unit 0 of the layer changes whatever the input
    changed.get_layer(CHANGED_LAYER).set_weights([kernel, bias])
    changed.save(out / "m_changed.h5")
    files.update(changed=changed, x=x, dir=out)
    return files


def activations(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """Each layer's output computed by Keras itself."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in LAYERS])
    return {n: np.asarray(v) for n, v in zip(LAYERS, probe(x), strict=True)}


def wide() -> Any:
    """Layers big enough (>= 1024 weights) for dynamic-range quantization to touch them."""
    import keras

    inp = keras.Input((32,), name="x")
    h = keras.layers.Dense(64, activation="relu", name="wide")(inp)
    h = keras.layers.Dense(64, activation="relu", name="wide_2")(h)
    out = keras.layers.Dense(4, name="head")(h)
    return keras.Model(inp, out, name="wide_model")


def tflite_pair(out: Path) -> tuple[Path, Path]:
    """The same model as float .tflite and dynamic-range quantized .tflite (TF's converter)."""
    import tensorflow as tf

    model = wide()
    paths = []
    for name, optimize in (("float.tflite", False), ("quant.tflite", True)):
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        if optimize:
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        (out / name).write_bytes(conv.convert())
        paths.append(out / name)
    return paths[0], paths[1]


def two_checkpoints(out: Path) -> tuple[str, str]:
    """Object checkpoints of one training after one and after two SGD steps."""
    import keras
    import tensorflow as tf

    model = mlp()
    opt = keras.optimizers.SGD(0.1)
    model.compile(optimizer=opt, loss="categorical_crossentropy")
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    x = np.random.default_rng(0).standard_normal((8, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(8) % 3]
    prefixes = []
    for step in ("one", "two"):
        model.train_on_batch(x, y)
        prefixes.append(ckpt.write(str(out / "ckpt" / step)))
    return prefixes[0], prefixes[1]
