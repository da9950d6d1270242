"""Architecture exports are checked by the Keras they are for (issue 15, defect 2): Keras 3's
model_from_json for Keras 3 sources, tf_keras for Keras 2 ones, weights loaded, outputs
compared, both here and by `--verify`. Re-reading the file with kinspect proves nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from ..conftest import corpus_path, run_cli

pytestmark = pytest.mark.slow

KERAS3_H5 = "churn-keras3-h5"  # keras_version 3.13.2 legacy H5, 12 -> 1, 2,945 params (#11)
KERAS2_H5 = "alphabet-soup-h5"  # keras_version 2.10.0, 43 -> 1, 849 params (#8)


def _convert(src, dst) -> dict:
    result = run_cli("convert", str(src), str(dst), "--verify", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] and report["max_abs_diff"]
    assert all(v <= 1e-5 for v in report["max_abs_diff"].values())
    return report


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_keras3_source_loads_in_keras3_with_its_weights(tmp_path, suffix) -> None:
    import keras

    src = corpus_path(KERAS3_H5)
    dst = tmp_path / f"model{suffix}"
    report = _convert(src, dst)
    assert any("keras.models.model_from_json" in w for w in report["warnings"])
    text = dst.read_text()
    config = yaml.safe_load(text) if suffix == ".yaml" else json.loads(text)
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    model = keras.models.model_from_json(json.dumps(config))  # "Could not locate" before
    assert model.count_params() == 2945
    model.load_weights(str(src))
    original = keras.models.load_model(str(src), compile=False)
    x = np.random.default_rng(0).standard_normal((5, 12)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0),
                               atol=1e-6)


def test_keras2_source_stays_keras2_and_loads_in_tf_keras(tmp_path) -> None:
    import tf_keras

    src = corpus_path(KERAS2_H5)
    dst = tmp_path / "model.json"
    report = _convert(src, dst)
    assert any("tf_keras.models.model_from_json" in w for w in report["warnings"])
    model = tf_keras.models.model_from_json(dst.read_text())
    assert model.count_params() == 849
    model.load_weights(str(src))
    original = tf_keras.models.load_model(str(src), compile=False)
    x = np.random.default_rng(1).standard_normal((4, 43)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0),
                               atol=1e-6)


def test_architecture_only_source_is_built_by_its_keras(tmp_path) -> None:
    """Keras 2.0.5 JSON (config a list of layers, PROVENANCE #19) to YAML: tf_keras builds
    both, same weights, same outputs."""
    report = _convert(corpus_path("credit-fraud-json"), tmp_path / "model.yaml")
    assert any("tf_keras" in w and "architecture only" in w for w in report["warnings"])
