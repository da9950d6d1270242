"""Frozen outputs named after the picked layers (issue 15, defect 4), checked by TensorFlow:
import_graph_def in a fresh graph, fetched by the picked names, equal to Keras's own layer
outputs; `--json` gives output_aliases and output_shapes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ..conftest import corpus_path, run_cli

pytestmark = pytest.mark.slow

MNIST = "amitpr-mnist-h5"  # functional CNN, (None, 28, 28, 1) -> (None, 10) (PROVENANCE #6)


def test_picked_layers_name_the_frozen_outputs(tmp_path) -> None:
    import keras
    import tensorflow as tf

    dst = tmp_path / "cut.pb"
    result = run_cli("convert", str(corpus_path(MNIST)), str(dst), "--outputs",
                     "flatten,dense_2:0", "--verify", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outputs"] == ["flatten:0", "dense_2:0"]
    assert report["output_aliases"] == {"flatten": "flatten:0", "dense_2": "dense_2:0"}
    model = keras.models.load_model(str(corpus_path(MNIST)), compile=False)
    for layer in ("flatten", "dense_2"):
        assert report["output_shapes"][layer] == list(model.get_layer(layer).output.shape)
    graph_def = tf.compat.v1.GraphDef.FromString(dst.read_bytes())
    assert not any(n.name.startswith("Identity") for n in graph_def.node)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    x = np.random.default_rng(3).standard_normal((2, 28, 28, 1)).astype("float32")
    with tf.compat.v1.Session(graph=graph) as sess:
        got = sess.run(["flatten:0", "dense_2:0"], {report["inputs"][0]: x})
    cut = keras.Model(model.inputs, [model.get_layer("flatten").output,
                                     model.get_layer("dense_2").output])
    for mine, theirs in zip(got, cut.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)  # float32 sums


def test_whole_model_output_is_named_after_its_output_layer(tmp_path) -> None:
    result = run_cli("convert", str(corpus_path(MNIST)), str(tmp_path / "m.pb"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outputs"] == ["dense_3:0"]  # the model's last Dense, not Identity:0
    assert report["output_shapes"] == {"dense_3": [None, 10]}


def test_onnx_outputs_are_named_after_the_picked_layers(tmp_path) -> None:
    """As the .pb's: onnxruntime sees `dense_3:0`, with its shape in the report, and its
    values are Keras's own."""
    import keras
    import onnxruntime as ort

    dst = tmp_path / "m.onnx"
    result = run_cli("convert", str(corpus_path(MNIST)), str(dst), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outputs"] == ["dense_3:0"] and report["output_shapes"] == {"dense_3": [None, 10]}
    session = ort.InferenceSession(str(dst))
    assert [o.name for o in session.get_outputs()] == ["dense_3:0"]
    x = np.random.default_rng(5).standard_normal((2, 28, 28, 1)).astype("float32")
    (got,) = session.run(["dense_3:0"], {session.get_inputs()[0].name: x})
    model = keras.models.load_model(str(corpus_path(MNIST)), compile=False)
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
