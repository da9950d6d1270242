"""tf_protos: TF message classes without `tensorflow/__init__`, then a real import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT, corpus_path

SEQUENCE = textwrap.dedent("""
    import sys, time
    t0 = time.perf_counter()
    from kinspect.formats.tf import protos as tf_protos
    tf_protos.load_all()
    load_s = time.perf_counter() - t0
    graph = tf_protos.GraphDef()
    graph.ParseFromString(open(sys.argv[1], "rb").read())
    assert len(graph.node) == 8, len(graph.node)
    sm = tf_protos.SavedModel()
    sm.ParseFromString(open(sys.argv[2] + "/saved_model.pb", "rb").read())
    leaked = sorted(n for n in sys.modules if n == "tensorflow" or n.startswith("tensorflow."))
    assert not leaked, leaked
    assert load_s < 2.0, load_s

    import tensorflow as tf
    # The same classes: what we parsed is what TensorFlow takes.
    assert tf.compat.v1.GraphDef is tf_protos.GraphDef
    from tensorflow.core.protobuf import saved_model_pb2
    assert saved_model_pb2.SavedModel is tf_protos.SavedModel
    assert isinstance(graph, tf.compat.v1.GraphDef)
    with tf.Graph().as_default() as g:
        tf.graph_util.import_graph_def(graph, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            out = sess.run("pred:0", {"X:0": 5.0})
    assert abs(float(out) - 2.1193342) < 1e-6, out
    loaded = tf.saved_model.load(sys.argv[2])
    y = loaded.signatures["serving_default"](x=tf.constant([[1.0], [2.0], [5.0]]))["y"]
    assert [round(float(v), 4) for v in y.numpy().ravel()] == [2.5, 3.0, 4.5], y
    print("OK")
""")


def test_fast_load_then_real_tensorflow_import() -> None:
    frozen = corpus_path("regression-pb")
    saved = corpus_path("half-plus-two-tf2-version")
    proc = subprocess.run([sys.executable, "-c", SEQUENCE, str(frozen), str(saved)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("OK")


def test_classes_and_dtype_names() -> None:
    from kinspect.formats.tf import protos as tf_protos

    assert tf_protos.DataType.Name(1) == "DT_FLOAT"
    assert tf_protos.dtype_name(1) == "float32"
    assert tf_protos.dtype_name(101) == "float32_ref"  # DT_FLOAT_REF = 101 in types.proto
    assert tf_protos.dtype_name(20) == "resource"
    assert tf_protos.CheckpointableObjectGraph is tf_protos.TrackableObjectGraph
    header = tf_protos.BundleHeaderProto(num_shards=2)
    assert tf_protos.BundleHeaderProto.FromString(header.SerializeToString()).num_shards == 2
    assert "tensorflow" not in sys.modules or getattr(sys.modules["tensorflow"], "__file__", None)


CONCURRENT = textwrap.dedent("""
    import sys, threading, time
    from kinspect.formats.tf import protos as tf_protos
    if sys.argv[2] == "before":
        tf_protos.GraphDef()
    done = {}
    def worker():
        import tensorflow as tf
        done["tf"] = tf
    t = threading.Thread(target=worker)
    t.start()
    if sys.argv[3] == "initialising":  # the case that once flaked: real package half-imported
        def half_imported():
            tf = sys.modules.get("tensorflow")
            return getattr(getattr(tf, "__spec__", None), "_initializing", False) \
                and getattr(tf, "__file__", None)
        while not half_imported() and "tf" not in done:
            time.sleep(0.0005)
        assert "tf" not in done  # (it takes seconds: the loop sees it half-imported)
    tf_protos.load_all()  # races the worker's import of the real package
    graph = tf_protos.GraphDef()
    graph.ParseFromString(open(sys.argv[1], "rb").read())
    saved = tf_protos.SavedModel()
    t.join(300)
    tf = done["tf"]
    assert tf.compat.v1.GraphDef is tf_protos.GraphDef
    from tensorflow.core.protobuf import saved_model_pb2
    assert isinstance(saved, saved_model_pb2.SavedModel)
    with tf.Graph().as_default() as g:
        tf.graph_util.import_graph_def(graph, name="")
    print("OK", len(g.get_operations()))
""")


@pytest.mark.parametrize("when", ["any", "initialising"])
@pytest.mark.parametrize("first", ["before", "during"])
def test_fast_load_while_a_worker_imports_tensorflow(first: str, when: str) -> None:
    """"initialising" waits until the worker's real `tensorflow` is in sys.modules but not done:
    without waiting for it, loading a `*_pb2` then gave a half-made module every time."""
    frozen = corpus_path("regression-pb")
    proc = subprocess.run([sys.executable, "-c", CONCURRENT, str(frozen), first, when],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "OK 8"
