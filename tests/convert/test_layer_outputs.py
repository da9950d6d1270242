"""Keras layer names as freeze outputs (the window's picks): the frozen graph is the sub-model."""

from __future__ import annotations

import numpy as np

from kinspect.convert.registry import convert

from ..conftest import corpus_path


def test_layer_name_outputs_freeze_the_submodel(tmp_path):
    import keras
    import tensorflow as tf

    src = corpus_path("alphabet-soup-h5")
    dst = tmp_path / "cut.pb"
    report = convert(str(src), str(dst), "tf-graphdef", {"outputs": ["dense_1"], "verify": True})
    assert report.verified and max(report.max_abs_diff.values()) <= 1e-5

    model = keras.models.load_model(src, compile=False)
    sub = keras.Model(model.inputs[0], model.get_layer("dense_1").output)
    x = np.random.default_rng(0).normal(size=(3, 43)).astype("float32")
    expected = sub(x, training=False).numpy()
    assert expected.shape == (3, model.get_layer("dense_1").units)

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(dst.read_bytes())
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as sess:
            got = sess.run(report.outputs[0], {report.inputs[0]: x})
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert not any(n.op == "Sigmoid" for n in graph_def.node)  # the last layer is cut away
