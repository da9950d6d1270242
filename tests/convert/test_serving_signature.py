"""tf-savedmodel: the serving signature can be named, for Keras 3 and tf_keras sources alike."""

from __future__ import annotations

import numpy as np
import pytest

from kinspect.convert import convert, exporters_for

from ..conftest import corpus_path

CHURN = "churn-keras3-h5"  # Keras 3 loads it: 12 -> 1
CRYPTO = "cryptoann-h5"  # Keras 2.2.2: loaded through tf_keras


def test_the_option_is_offered_to_dialogs():
    savedmodel = next(e for e in exporters_for(str(corpus_path(CHURN))) if e.id == "tf-savedmodel")
    option = next(o for o in savedmodel.options if o.name == "signature_name")
    assert option.default == "serving_default" and option.kind == "str"


@pytest.mark.slow
@pytest.mark.parametrize("rel,loaded_with", [(CHURN, "keras"), (CRYPTO, "tf_keras")])
def test_named_signature_serves_the_model(rel, loaded_with, tmp_path):
    import tensorflow as tf

    dst = tmp_path / "served"
    report = convert(str(corpus_path(rel)), str(dst), "tf-savedmodel",
                     {"signature_name": "scores", "version": 7, "verify": True,
                      "trust_code": loaded_with == "tf_keras"})  # no untrusted fallback
    assert report.loaded_with == loaded_with
    assert report.serving_request["body"]["signature_name"] == "scores"
    assert max(report.max_abs_diff.values()) <= 1e-5
    loaded = tf.saved_model.load(str(dst / "7"))
    assert "scores" in loaded.signatures
    fn = loaded.signatures["scores"]
    (spec,) = fn.structured_input_signature[1].values()
    x = np.random.default_rng(0).random((2, spec.shape[1]), dtype=np.float32)
    (served,) = fn(**{next(iter(fn.structured_input_signature[1])): tf.constant(x)}).values()
    # The same file run by the library that loads it, independently of kinspect.
    if loaded_with == "keras":
        import keras

        model = keras.models.load_model(corpus_path(rel), compile=False)
    else:
        import tf_keras

        model = tf_keras.models.load_model(corpus_path(rel), compile=False)
    np.testing.assert_allclose(served.numpy(), model(x).numpy(), atol=1e-5)
