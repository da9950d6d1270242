"""The weights file's layout follows DST's name, not --verify: `*.weights.h5` is Keras 3's
(what Keras 3's load_weights reads), `.h5` is Keras 2's; and a weights source is read by its
content whatever its name."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from kinspect.convert import convert

from ..conftest import corpus_path

SRC = "alphabet-soup-h5"  # tests/corpus/manifest.json id


def _root(path) -> tuple[set[str], set[str]]:
    with h5py.File(path, "r") as f:
        return set(f.keys()), set(f.attrs.keys())


def _predict(model, n: int = 3):
    x = np.random.default_rng(3).standard_normal((n, *model.inputs[0].shape[1:]))
    return np.asarray(model(x.astype("float32"), training=False))


@pytest.fixture(scope="module")
def source():
    import keras

    src = corpus_path(SRC)
    return src, keras.models.load_model(src, compile=False)


@pytest.mark.parametrize("verify", [False, True])
def test_weights_h5_name_gives_the_keras3_layout(tmp_path, source, verify):
    import keras

    src, model = source
    dst = tmp_path / "w.weights.h5"
    convert(src, dst, options={"verify": verify})
    keys, _ = _root(dst)
    assert {"layers", "vars"} <= keys
    fresh = keras.models.clone_model(model)
    fresh.load_weights(dst)  # Keras 3 reads it back as it is
    np.testing.assert_array_equal(_predict(fresh), _predict(model))


@pytest.mark.parametrize("verify", [False, True])
def test_plain_h5_name_gives_the_keras2_layout(tmp_path, source, verify):
    src, _ = source
    dst = tmp_path / "w.h5"
    convert(src, dst, "keras-weights-h5", {"verify": verify})
    keys, attrs = _root(dst)
    assert "layer_names" in attrs and "layers" not in keys


def test_weights_source_read_by_content_not_name(tmp_path, source):
    """A Keras 2 layout named `.weights.h5` and a Keras 3 layout named `.h5` both pair with
    an architecture and give the source's predictions."""
    import keras

    src, model = source
    convert(src, tmp_path / "k2.h5", "keras-weights-h5")
    convert(src, tmp_path / "k3.weights.h5")
    shutil.copy(tmp_path / "k2.h5", tmp_path / "k2_named.weights.h5")
    shutil.copy(tmp_path / "k3.weights.h5", tmp_path / "k3_named.h5")
    arch = tmp_path / "arch.json"  # no weights: what the result predicts comes from the file
    arch.write_text(model.to_json())
    for i, name in enumerate(("k2_named.weights.h5", "k3_named.h5")):
        dst = tmp_path / f"o{i}.keras"
        report = convert(tmp_path / name, dst, options={"arch": str(arch), "verify": True})
        assert report.verified and report.weights_report["matched"]
        got = keras.models.load_model(dst, compile=False)
        np.testing.assert_array_equal(_predict(got), _predict(model))
