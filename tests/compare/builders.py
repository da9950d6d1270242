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
