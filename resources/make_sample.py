"""Make the bundled sample model `resources/sample/mnist_cnn.h5` (run by `make sample`).

A small functional CNN saved by tf.keras (Keras 2 layout: `conv2d/kernel:0` weight names,
Adam optimizer state, a BatchNormalization layer with non-trainable statistics), trained for one
step on random data so that the optimizer state exists. Deterministic: fixed seeds.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_USE_LEGACY_KERAS"] = "1"


def build():  # noqa: ANN201 - returns a tf_keras Model
    import numpy as np
    import tf_keras as keras

    keras.utils.set_random_seed(7)
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.MaxPooling2D(name="pool1")(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.25, name="dropout")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, outputs, name="mnist_cnn")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(7)
    model.fit(rng.random((8, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 8),
              epochs=1, verbose=0)
    return model


def main(out: str) -> None:
    model = build()
    model.save(out)
    print(f"wrote {out}: {model.count_params():,} parameters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(os.path.dirname(__file__), "sample", "mnist_cnn.h5"))
