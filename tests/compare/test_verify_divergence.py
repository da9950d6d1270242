"""A failed `convert --verify` names the first diverging layer (kinspect.compare's
layer-by-layer comparison, run in the conversion's own confined child).

The model adds fresh random noise in a Lambda layer: the source and the frozen result can
never agree, and the noise layer is where they part (the Dense before it agrees exactly)."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def noisy_model(path):
    import keras

    inp = keras.Input((6,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="dense")(inp)
    h = keras.layers.Lambda(
        lambda t: t + __import__("tensorflow").random.normal(__import__("tensorflow").shape(t)),
        name="noise", output_shape=(8,))(h)
    out = keras.layers.Dense(3, name="head")(h)
    keras.Model(inp, out).save(path)


def test_failed_verify_names_the_first_diverging_layer(tmp_path):
    src, dst = tmp_path / "noisy.h5", tmp_path / "noisy.pb"
    noisy_model(src)
    proc = run_cli("convert", str(src), str(dst), "--verify", "--trust-code")
    assert proc.returncode == 2 and not dst.exists()
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f"kinspect: {src}: verification failed: max_abs_diff")
    assert "first diverging layer: noise (result: " in line
    assert "its inputs' max_abs: dense 0;" in line and line.endswith("nothing written")
