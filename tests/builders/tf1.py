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


# ---- TF1 files of every age: y = 0.5 x + 2 (and y2 = 0.5 x + 3) ------------------------------

A, B, C = 0.5, 2.0, 3.0
EMB = [[float(3 * i + j) for j in range(3)] for i in range(10)]  # emb[i][j] = 3 i + j


def _half_plus_two(tf: Any, b_value: float = B) -> tuple[Any, Any, Any]:
    """x -> y = a x + b (b = 2 unless told) with ref variables (VariableV2, as TF1 wrote
    them) and a partitioned variable `emb` (10, 3) stored as 3 slices. Returns (x, y,
    y2 = a x + c)."""
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [None], name="x")
    a = v1.Variable(A, name="a", use_resource=False)
    b = v1.Variable(b_value, name="b", use_resource=False)
    c = v1.Variable(C, name="c", use_resource=False)
    v1.get_variable("emb", initializer=tf.constant(EMB), use_resource=False,
                    partitioner=v1.fixed_size_partitioner(3))
    return x, tf.add(tf.multiply(a, x), b, name="y"), tf.add(tf.multiply(a, x), c, name="y2")


def v1_checkpoint(folder: Path, sharded: bool, name: str = "model.ckpt",
                  devices: int = 1, b: float = B) -> str:
    """A V1 checkpoint of the half_plus_two graph (tf.compat.v1.train.Saver with
    write_version=V1) and its .meta: `NAME` (one file) or `NAME-0000N-of-0000D` (sharded,
    one shard per device; with 2 devices b, c and the second slice of emb are on /cpu:1).
    Returns what the saver returned: the prefix, or the shard pattern."""
    import tensorflow as tf

    v1 = tf.compat.v1
    folder.mkdir(parents=True, exist_ok=True)
    graph = tf.Graph()
    second = ("b", "c", "emb/part_1")
    with graph.as_default(), graph.device(
            lambda op: "/cpu:1" if devices > 1 and op.name.startswith(second) else "/cpu:0"):
        _half_plus_two(tf, b)
        saver = v1.train.Saver(write_version=v1.train.SaverDef.V1, sharded=sharded)
        config = v1.ConfigProto(device_count={"CPU": devices})
        with v1.Session(graph=graph, config=config) as sess:
            sess.run(v1.global_variables_initializer())
            return str(saver.save(sess, str(folder / name)))


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field, by hand (independent of kinspect's decoder)."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _binding(tensor: str) -> bytes:
    return _field(1, tensor.encode())  # TensorBinding.tensor_name = 1


def _generic(bindings: dict[str, str]) -> bytes:
    """Signature{generic_signature = 3: GenericSignature{map<string, TensorBinding> map = 1}}."""
    entries = b"".join(_field(1, _field(1, k.encode()) + _field(2, _binding(v)))
                       for k, v in bindings.items())
    return _field(3, entries)


def session_bundle_signatures() -> bytes:
    """tensorflow.serving.Signatures as TF Serving's half_plus_two export wrote it
    (session_bundle/manifest.proto): a default regression signature x -> y, and the named
    generic signatures `inputs` {x} and `outputs` {y, y2}."""
    regression = _field(1, _field(1, _binding("x:0")) + _field(2, _binding("y:0")))
    named = {"inputs": _generic({"x": "x:0"}), "outputs": _generic({"y": "y:0", "y2": "y2:0"})}
    return _field(1, regression) + b"".join(
        _field(2, _field(1, key.encode()) + _field(2, sig)) for key, sig in named.items())


def session_bundle(base: Path, version: str = "00000123") -> Path:
    """A SessionBundle export BASE/VERSION/{export.meta, export-00000-of-00001, checkpoint}:
    a sharded V1 saver and the `serving_signatures` collection, written into a temporary
    folder then renamed as TF Serving's Exporter did, so `checkpoint` names paths that no
    longer exist. Returns the version folder."""
    import tensorflow as tf
    from google.protobuf import any_pb2

    v1 = tf.compat.v1
    tmp = base / f"tmp-{version}"
    tmp.mkdir(parents=True)
    graph = tf.Graph()
    with graph.as_default():
        _half_plus_two(tf)
        v1.add_to_collection("serving_signatures", any_pb2.Any(
            type_url="type.googleapis.com/tensorflow.serving.Signatures",
            value=session_bundle_signatures()))
        saver = v1.train.Saver(write_version=v1.train.SaverDef.V1, sharded=True)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, str(tmp / "export"), meta_graph_suffix="meta")
    final = base / version
    tmp.rename(final)
    return final


def tf1_multi_signature_savedmodel(path: Path) -> Path:
    """A TF1 `serve` SavedModel (tf.compat.v1.saved_model.Builder) with the predict signatures
    serving_default (x -> y = 0.5 x + 2) and predict_y2 (x -> y2 = 0.5 x + 3), and a regress
    signature over serialized tf.Example (ParseExample) whose recorded output shape is a vector
    while the graph's is (None, 1): TF 2.21's tf.saved_model.load sets every signature's
    recorded shapes on its pruned graph and fails on the whole model ("Shapes must be equal
    rank"), as it does on TF 1.0's half_plus_two; the TF1 loader loads it."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x, y, y2 = _half_plus_two(tf)
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        parsed = v1.parse_example(serialized, {"x": v1.FixedLenFeature([1], tf.float32)})
        a = graph.get_tensor_by_name("a:0")
        y_reg = tf.add(tf.multiply(a, parsed["x"]), graph.get_tensor_by_name("b:0"),
                       name="y_reg")
        regress = v1.saved_model.regression_signature_def(serialized, y_reg)
        regress.outputs["outputs"].tensor_shape.Clear()
        regress.outputs["outputs"].tensor_shape.dim.add().size = -1
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
                "serving_default": v1.saved_model.predict_signature_def({"x": x}, {"y": y}),
                "predict_y2": v1.saved_model.predict_signature_def({"x": x}, {"y": y2}),
                "regress_x_to_y": regress})
            builder.save()
    return path
