"""Ground truth for the tests in tests/formats/tf/, computed by TensorFlow itself in a subprocess.

Run as `python tests/formats/tf/graph_truth.py OUTDIR CORPUS`: builds the generated fixtures
(a graph with multi-output ops and control inputs, as .pb and .pbtxt; SavedModels with several
signatures) and writes OUTDIR/truth.json with what TensorFlow says about them and about the
corpus files: op outputs and inputs, `saved_model_cli show --all` signature text,
`tf.train.list_variables` and `tf.train.load_variable` values. Kept out of the test process so
that importing TensorFlow (4-5 s) happens once and does not leak into tests that check it is
never imported.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tensorflow.python.tools import saved_model_cli, saved_model_utils  # noqa: E402

CORPUS_SAVEDMODELS = [
    "savedmodel/tfserving_half_plus_two_cpu/00000123",
    "savedmodel/tfserving_half_plus_two_tf2_cpu/00000123",
    "savedmodel/tf2onnx_regression_saved_model",
    "savedmodel/tfjs_node_times_three_float",
    "savedmodel/tfjs_node_module_with_multiple_signatures",
    "savedmodel/tfnet_keras_chengen_tsai",
]
CORPUS_CHECKPOINTS = [
    "tf1_checkpoint/tf2onnx_regression_checkpoint/model",
    "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export",
    "tf2_checkpoint/tfkeras_lso_ckpt_tf2.2/ckpt",
    "savedmodel/tfserving_half_plus_two_tf2_cpu/00000123/variables/variables",
    "savedmodel/tfnet_keras_chengen_tsai/variables/variables",
]


CORPUS_GRAPHS = [
    "frozen_pb/tf2onnx_regression/frozen.pb",
    "frozen_pb/tf2onnx_fc_layers/frozen.pb",
    "frozen_pb/tf2onnx_gru/frozen.pb",
    "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
    "tf1_checkpoint/tf2onnx_regression_checkpoint/model.meta",
    "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export.meta",
    "savedmodel/tfserving_half_plus_two_cpu/00000123/saved_model.pb",
]


def graph_outputs(path: str) -> dict[str, list[str]]:
    """Output tensor names of every op, as TensorFlow builds the graph from the file."""
    from google.protobuf import text_format
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    data = open(path, "rb").read()
    if path.endswith(".meta"):
        graph_def = meta_graph_pb2.MetaGraphDef.FromString(data).graph_def
    elif path.endswith("saved_model.pb"):
        graph_def = saved_model_pb2.SavedModel.FromString(data).meta_graphs[0].graph_def
    elif path.endswith(".pbtxt"):
        graph_def = text_format.Parse(data.decode(), tf.compat.v1.GraphDef())
    else:
        graph_def = tf.compat.v1.GraphDef.FromString(data)
    g = tf.Graph()
    with g.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    return {op.name: [t.name for t in op.outputs] for op in g.get_operations()}


def multi_output_graph(out: str) -> dict:
    """Split, Unique, TopKV2 and control dependencies; what TensorFlow says each op makes."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [6], name="x")
        a, b, c = tf.split(x, 3, name="split")
        _values, idx = tf.unique(x, name="uniq")
        with tf.control_dependencies([a.op, _values.op]):
            tf.identity(c, name="after_split")
        tf.add(b, tf.cast(idx[:2], tf.float32), name="sum")
        top = tf.math.top_k(x, k=2, name="top")
        tf.identity(top.indices, name="top_idx")
        tf.no_op(name="init")
    tf.io.write_graph(g.as_graph_def(), out, "multi.pb", as_text=False)
    tf.io.write_graph(g.as_graph_def(), out, "multi.pbtxt", as_text=True)
    ops = {}
    for op in g.get_operations():
        ops[op.name] = {
            "op": op.type,
            "outputs": [t.name for t in op.outputs],
            "inputs": [t.name[:-2] if t.name.endswith(":0") else t.name for t in op.inputs]
            + ["^" + c.name for c in op.control_inputs],
        }
    return ops


class Several(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
        self.k = tf.Variable(3, name="k")

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="features")])
    def predict(self, features: tf.Tensor) -> dict:
        scores = features @ self.w
        return {"scores": scores, "best": tf.argmax(scores, axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="n"),
                                  tf.TensorSpec([3], tf.string, name="words")])
    def count(self, n: tf.Tensor, words: tf.Tensor) -> dict:
        return {"total": n * self.k, "lengths": tf.strings.length(words)}


def several_signatures(out: str) -> str:
    m = Several()
    path = os.path.join(out, "several")
    tf.saved_model.save(m, path, signatures={"serving_default": m.predict, "count": m.count})
    return path


def keras_savedmodels(out: str) -> dict:
    """A tf.keras (Keras 2) SavedModel with keras_metadata.pb, and a Keras 3 `export()`."""
    import keras
    import tf_keras

    k2 = tf_keras.Sequential([tf_keras.layers.InputLayer(input_shape=(4,), name="features"),
                              tf_keras.layers.Dense(3, activation="relu", name="hidden"),
                              tf_keras.layers.Dense(2, activation="softmax", name="probs")],
                             name="k2model")
    k2_dir = os.path.join(out, "tfkeras_savedmodel")
    k2.save(k2_dir, save_format="tf")
    inputs = keras.Input((4,), name="x")
    k3 = keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs), name="k3model")
    k3_dir = os.path.join(out, "keras3_export")
    k3.export(k3_dir, verbose=False)
    return {"k2_dir": k2_dir, "k2_layers": {la.name: type(la).__name__ for la in k2.layers},
            "k2_name": k2.name, "k3_dir": k3_dir}


def two_meta_graphs(out: str) -> dict:
    """A TF1 SavedModel with two meta graphs (tags `train` first, then `serve`)."""
    path = os.path.join(out, "two_meta_graphs")
    builder = tf.compat.v1.saved_model.Builder(path)
    g = tf.Graph()
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        w = tf.compat.v1.get_variable("w", initializer=tf.ones([3, 2]))
        y = tf.identity(tf.matmul(x, w), name="y")
        sess.run(tf.compat.v1.global_variables_initializer())
        sig = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(sess, ["train"], {"train_sig": sig})
        builder.add_meta_graph(["serve"], {"serving_default": sig})
    builder.save()
    saved = saved_model_utils.read_saved_model(path)
    return {"dir": path, "tags": [list(m.meta_info_def.tags) for m in saved.meta_graphs],
            "serve_nodes": len(next(m for m in saved.meta_graphs
                                    if "serve" in m.meta_info_def.tags).graph_def.node)}


def tensor_protos() -> list[dict]:
    """TensorProtos as TensorFlow writes them (tensor_content, a broadcast scalar, typed
    fields), with the values `tf.make_ndarray` reads back."""
    import numpy as np

    cases = [
        tf.make_tensor_proto(np.arange(6, dtype=np.float32).reshape(2, 3)),
        tf.make_tensor_proto(1.5, dtype=tf.float32, shape=[3]),
        tf.make_tensor_proto(np.array([[1, -2], [3, 4]], dtype=np.int64)),
        tf.make_tensor_proto(np.array([True, False, True])),
        tf.make_tensor_proto([b"ab", b"", b"xyz"]),
        tf.make_tensor_proto(np.array([0.5, -2.0, 65504.0], dtype=np.float16)),
        tf.make_tensor_proto(tf.constant([1.5, -2.0], dtype=tf.bfloat16)),
        tf.make_tensor_proto(np.array([1 + 2j, -3j], dtype=np.complex64)),
        tf.make_tensor_proto(np.array([7, 255], dtype=np.uint8)),
        tf.make_tensor_proto(np.array(-5, dtype=np.int8)),
        tf.make_tensor_proto(np.zeros((0, 4), dtype=np.float64)),
    ]
    out = []
    for proto in cases:
        value = tf.make_ndarray(proto)
        if value.dtype == object:
            value = np.array([v.decode() for v in value.ravel()], dtype=object)
        elif value.dtype.kind == "c":
            value = np.stack([value.real, value.imag], axis=-1)
        out.append({"hex": proto.SerializeToString().hex(), "value": value.astype(
            object if value.dtype == object else np.float64).tolist(),
            "shape": list(tf.make_ndarray(proto).shape)})
    return out


def partitioned_checkpoint(out: str) -> str:
    """A TF1 checkpoint with a variable split in 3 slices (as estimators write embeddings)."""
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.get_variable(
            "emb", shape=[10, 3], partitioner=tf.compat.v1.fixed_size_partitioner(3),
            initializer=tf.compat.v1.random_normal_initializer(seed=1))
        tf.compat.v1.get_variable("dense/bias", shape=[3],
                                  initializer=tf.compat.v1.ones_initializer())
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            return saver.save(sess, os.path.join(out, "partitioned", "model.ckpt"),
                              global_step=5)


def cli_signatures(model_dir: str) -> dict[str, str]:
    """Each signature exactly as `saved_model_cli show --all` prints it."""
    saved = saved_model_utils.read_saved_model(model_dir)
    out = {}
    for mg in saved.meta_graphs:
        for key in sorted(mg.signature_def):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                saved_model_cli._show_inputs_outputs_mgd(mg, key, indent=1)
            out[key] = buf.getvalue()
    return out


def checkpoint_values(prefix: str) -> dict:
    return {name: {"shape": list(shape),
                   "value": tf.train.load_variable(prefix, name).tolist()
                   if name != "_CHECKPOINTABLE_OBJECT_GRAPH" else None}
            for name, shape in tf.train.list_variables(prefix)}


def object_graph(prefix: str) -> dict | None:
    """The TF2 object graph as TensorFlow's checkpoint reader returns it: a string scalar
    from TensorFlow, a uint8 vector from TensorFlow.NET."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    reader = tf.train.load_checkpoint(prefix)
    if not reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
        return None
    raw = reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
    raw = raw if isinstance(raw, bytes) else raw.tobytes()
    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(raw)
    return {"objects": len(graph.nodes),
            "root_children": [c.local_name for c in graph.nodes[0].children]}


def main(out: str, corpus: str) -> None:
    truth: dict = {"multi": multi_output_graph(out)}
    several = several_signatures(out)
    truth["several_dir"] = several
    truth["signatures"] = {"several": cli_signatures(several)}
    truth["variables"] = {"several": checkpoint_values(os.path.join(several, "variables",
                                                                   "variables"))}
    truth["tensor_protos"] = tensor_protos()
    truth["partitioned"] = partitioned_checkpoint(out)
    truth["variables"]["partitioned"] = checkpoint_values(truth["partitioned"])
    truth["two_meta_graphs"] = two_meta_graphs(out)
    truth["keras"] = keras_savedmodels(out)
    for key in ("k2_dir", "k3_dir"):
        truth["signatures"][key] = cli_signatures(truth["keras"][key])
    for rel in CORPUS_SAVEDMODELS:
        if os.path.isdir(os.path.join(corpus, rel)):
            truth["signatures"][rel] = cli_signatures(os.path.join(corpus, rel))
    truth["graph_outputs"] = {}
    for rel in CORPUS_GRAPHS:
        if os.path.exists(os.path.join(corpus, rel)):
            truth["graph_outputs"][rel] = graph_outputs(os.path.join(corpus, rel))
    for rel in CORPUS_CHECKPOINTS:
        prefix = os.path.join(corpus, rel)
        if os.path.exists(prefix) or os.path.exists(prefix + ".index"):
            truth["variables"][rel] = checkpoint_values(prefix)
            truth.setdefault("object_graphs", {})[rel] = object_graph(prefix)
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
