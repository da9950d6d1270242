"""Models the tests build with Keras 3 and tf_keras, saved once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def keras3() -> Any:
    import keras

    return keras


def tf_keras() -> Any:
    import tf_keras

    return tf_keras


def functional(k: Any, name: str = "func") -> Any:
    inputs = k.Input(shape=(8,), name="features")
    a = k.layers.Dense(16, activation="relu", name="dense_a")(inputs)
    b = k.layers.Dense(16, activation="tanh", name="dense_b")(inputs)
    merged = k.layers.Concatenate(name="concat")([a, b])
    normed = k.layers.BatchNormalization(name="bn")(merged)
    out = k.layers.Dense(3, activation="softmax", name="probs")(normed)
    return k.Model(inputs, out, name=name)


def nested(k: Any) -> Any:
    inner = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(6, name="inner_dense"),
                          k.layers.Dense(5, name="inner_dense_2")], name="inner")
    inputs = k.Input(shape=(4,), name="x")
    y = inner(inputs)
    y = k.layers.Dense(2, name="head")(y)
    return k.Model(inputs, y, name="outer")


def save_all(out: Path) -> dict[str, tuple[Path, Any]]:
    """Build and save every fixture model; returns name -> (path, live model)."""
    out.mkdir(parents=True, exist_ok=True)
    made: dict[str, tuple[Path, Any]] = {}
    for flavour, k in (("k3", keras3()), ("tfk", tf_keras())):
        for kind, builder in (("functional", functional), ("nested", nested)):
            model = builder(k)
            model.compile(optimizer="adam", loss="mse")
            path = out / f"{flavour}_{kind}.h5"
            model.save(path)
            made[f"{flavour}_{kind}"] = (path, model)
    return made
