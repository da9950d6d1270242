"""TF1 SavedModels built by the tests (tf.compat.v1), for the scanner's and converter's
hostile cases: what the main op runs is up to the test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def tf1_savedmodel(path: Path, main_op_extra: Callable[[Any], Any]) -> Path:
    """A `serve` SavedModel computing y = x @ [[2]] whose main op (run by every loader) also
    runs `main_op_extra(tf)`, e.g. an op that writes a marker file."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        y = tf.identity(tf.matmul(x, v1.Variable([[2.0]], name="w")), name="y")
        main_op = tf.group(v1.local_variables_initializer(), main_op_extra(tf))
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            sig = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            builder.add_meta_graph_and_variables(
                sess, ["serve"], signature_def_map={"serving_default": sig}, main_op=main_op)
            builder.save()
    return path
