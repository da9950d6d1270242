"""Graph conversions: SavedModels, TF1 checkpoints (+ an old 0.12.head meta graph), GraphDefs
and Keras models to frozen .pb, pruned GraphDef, TF Serving SavedModel, tflite and onnx.

Known answers from PROVENANCE.md: half_plus_two maps [1, 2, 5] to [2.5, 3, 4.5]; the tf2onnx
regression model maps X=5 to 2.1193342; timestwo maps [1, 2, 3] to [2, 4, 6]. Results are run
with TensorFlow, TFLite and onnxruntime directly, not through kinspect.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from kinspect.convert import convert
from kinspect.errors import ConvertError, InvalidRequest, UnsafeContent

from ..conftest import corpus_path

HALF_PLUS_TWO_X = np.array([1.0, 2.0, 5.0], dtype=np.float32)
HALF_PLUS_TWO_Y = [2.5, 3.0, 4.5]
REGRESSION_Y = 2.1193342


def run_pb(path, inputs: dict, outputs: list[str]):
    """Run a written GraphDef with a plain v1 Session."""
    import tensorflow as tf
    from google.protobuf import text_format

    graph_def = tf.compat.v1.GraphDef()
    data = path.read_bytes()
    if str(path).endswith(".pbtxt"):
        text_format.Merge(data.decode(), graph_def)
    else:
        graph_def.ParseFromString(data)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run(outputs, feed_dict=inputs), graph_def


def _shape(dst, report) -> list[int]:
    """The input placeholder's shape with unknown dims as 1, read from the written graph."""
    graph_def = _graph(dst)
    node = next(n for n in graph_def.node if n.name == report.inputs[0].split(":")[0])
    return [1 if d.size < 0 else d.size for d in node.attr["shape"].shape.dim]


def _graph(path):
    import tensorflow as tf
    from google.protobuf import text_format

    graph_def = tf.compat.v1.GraphDef()
    if str(path).endswith(".pbtxt"):
        text_format.Merge(path.read_text(), graph_def)
    else:
        graph_def.ParseFromString(path.read_bytes())
    return graph_def


@pytest.mark.parametrize("rel", ["half-plus-two-tf1",
                                 "half-plus-two-tf2"])
@pytest.mark.parametrize("suffix", [".pb", ".pbtxt"])
def test_savedmodel_to_frozen_pb(rel, suffix, tmp_path):
    dst = tmp_path / f"hp2{suffix}"
    report = convert(corpus_path(rel), dst, options={"verify": True})
    assert report.max_abs_diff == {report.outputs[0]: 0.0}
    ys = []
    for value in HALF_PLUS_TWO_X:  # one at a time: the TF2 model's input is fixed at [1]
        (y,), graph_def = run_pb(dst, {report.inputs[0]: np.full(_shape(dst, report), value)},
                                 report.outputs)
        ys.append(float(np.ravel(y)[0]))
    np.testing.assert_allclose(ys, HALF_PLUS_TWO_Y)
    assert not any(n.op in ("VariableV2", "VarHandleOp", "ReadVariableOp")
                   for n in graph_def.node)


def test_savedmodel_other_signature(tmp_path):
    report = convert(corpus_path("multi-signature-savedmodel"),
                     tmp_path / "t.pb", options={"signature": "timestwo", "verify": True})
    ys = [float(run_pb(tmp_path / "t.pb", {report.inputs[0]: np.float32(v)},
                       report.outputs)[0][0]) for v in (1, 2, 3)]  # a scalar input
    np.testing.assert_allclose(ys, [2, 4, 6])
    with pytest.raises(InvalidRequest, match="timestwo"):
        convert(corpus_path("multi-signature-savedmodel"),
                tmp_path / "n.pb", options={"signature": "nope"})


def test_savedmodel_to_serving_layout(tmp_path):
    import tensorflow as tf

    dst = tmp_path / "half_plus_two"
    report = convert(corpus_path("half-plus-two-tf1"), dst,
                     options={"verify": True})
    assert (dst / "1" / "saved_model.pb").is_file()
    req = report.serving_request
    assert req["url"] == "http://localhost:8501/v1/models/half_plus_two:predict"
    assert req["body"]["signature_name"] == "serving_default" and req["input_aliases"] == ["x"]
    fn = tf.saved_model.load(str(dst / "1")).signatures["serving_default"]
    y = fn(x=tf.constant(HALF_PLUS_TWO_X.reshape(3, 1)))["y"].numpy()
    np.testing.assert_allclose(y.ravel(), HALF_PLUS_TWO_Y)


def test_keras_to_serving_layout_names_inputs_like_the_model(tmp_path):
    import keras
    import tensorflow as tf

    from ..builders.keras import functional

    model = functional(keras)
    model.save(tmp_path / "f.keras")
    report = convert(tmp_path / "f.keras", tmp_path / "served", options={"verify": True})
    fn = tf.saved_model.load(str(tmp_path / "served" / "1")).signatures["serving_default"]
    _, kwargs = fn.structured_input_signature
    assert list(kwargs) == ["features"]  # the model's input name
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    got = next(iter(fn(features=tf.constant(x)).values())).numpy()
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)
    assert report.serving_request["input_aliases"] == ["features"]
    assert len(report.serving_request["body"]["instances"][0]) == 8


def test_checkpoint_to_pb_needs_outputs_and_gives_known_answer(tmp_path):
    src = corpus_path("regression-checkpoint-meta")
    with pytest.raises(InvalidRequest, match="pred"):
        convert(src, tmp_path / "r.pb")
    assert not (tmp_path / "r.pb").exists()
    for outputs in ("pred", "pred:0"):
        dst = tmp_path / f"r_{outputs.replace(':', '_')}.pb"
        report = convert(src, dst, options={"outputs": outputs, "verify": True})
        assert report.inputs == ["X:0"] and report.outputs == ["pred:0"]
        (y,), _ = run_pb(dst, {"X:0": np.float32(5.0)}, ["pred:0"])
        assert float(y) == pytest.approx(REGRESSION_Y, abs=1e-6)


def test_old_meta_graph_version_0_12_head(tmp_path):
    """A meta graph recording tensorflow_version 0.12.head: import_meta_graph raises in TF
    2.21; the conversion still freezes it."""
    import tensorflow as tf

    folder = tmp_path / "ckpt"
    shutil.copytree(corpus_path("regression-checkpoint"), folder)
    meta = tf.compat.v1.MetaGraphDef()
    meta.ParseFromString((folder / "model.meta").read_bytes())
    meta.meta_info_def.tensorflow_version = "0.12.head"
    (folder / "model.meta").write_bytes(meta.SerializeToString())
    with tf.Graph().as_default(), pytest.raises(Exception):  # noqa: B017
        tf.compat.v1.train.import_meta_graph(str(folder / "model.meta"))
    report = convert(folder / "model", tmp_path / "old.pb", options={"outputs": "pred"})
    assert any("0.12.head" in w for w in report.warnings)
    (y,), _ = run_pb(tmp_path / "old.pb", {"X:0": np.float32(5.0)}, ["pred:0"])
    assert float(y) == pytest.approx(REGRESSION_Y, abs=1e-6)


def test_v1_checkpoint_without_signatures(tmp_path):
    """tfserving bad_half_plus_two: V1 checkpoint (SaveSlices), no signatures: y = 0.5x+2."""
    src = corpus_path("bad-half-plus-two-checkpoint")
    report = convert(src, tmp_path / "b.pb", options={"outputs": "Add:0", "verify": True})
    (y,), _ = run_pb(tmp_path / "b.pb", {report.inputs[0]: HALF_PLUS_TWO_X}, ["Add:0"])
    np.testing.assert_allclose(y, HALF_PLUS_TWO_Y)


def test_graphdef_pruned_to_chosen_outputs(tmp_path):
    """Prune fc-layers to its first Relu: the result keeps only what that node needs and
    computes what the original graph computes there."""
    import tensorflow as tf

    src = corpus_path("fc-layers-pb")
    original = tf.compat.v1.GraphDef()
    original.ParseFromString(src.read_bytes())
    relu = next(n.name for n in original.node if n.op == "Relu")
    report = convert(src, tmp_path / "p.pb", options={"outputs": relu, "verify": True})
    assert report.outputs == [f"{relu}:0"]
    x = np.random.default_rng(0).standard_normal((1, 784)).astype(np.float32)
    (got,), pruned = run_pb(tmp_path / "p.pb", {"X:0": x}, [f"{relu}:0"])
    assert len(pruned.node) < len(original.node)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(original, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        expected = sess.run(f"{relu}:0", {"X:0": x})
    np.testing.assert_array_equal(got, expected)


def test_keras_to_pb_with_inner_output_with_or_without_suffix(tmp_path):
    import keras

    from ..builders.keras import functional

    model = functional(keras)
    model.save(tmp_path / "f.keras")
    full = convert(tmp_path / "f.keras", tmp_path / "full.pb", options={"verify": True})
    assert full.inputs == ["features:0"] and len(full.outputs) == 1
    x = np.random.default_rng(1).standard_normal((2, 8)).astype(np.float32)
    (y,), graph_def = run_pb(tmp_path / "full.pb", {"features:0": x}, full.outputs)
    np.testing.assert_allclose(y, model.predict(x, verbose=0), atol=1e-5)
    tanh = next(n.name for n in graph_def.node if n.op == "Tanh")
    sub = keras.Model(model.input, model.get_layer("dense_b").output)
    for name in (tanh, f"{tanh}:0"):
        dst = tmp_path / f"sub{len(name)}.pb"
        report = convert(tmp_path / "f.keras", dst, options={"outputs": name, "verify": True})
        (got,), _ = run_pb(dst, {"features:0": x}, report.outputs)
        np.testing.assert_allclose(got, sub.predict(x, verbose=0), atol=1e-5)


def test_keras_to_tflite_and_onnx(tmp_path):
    import keras
    import onnxruntime as ort
    import tensorflow as tf

    from ..builders.keras import functional

    model = functional(keras)
    model.save(tmp_path / "f.keras")
    x = np.random.default_rng(2).standard_normal((2, 8)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    lite = convert(tmp_path / "f.keras", tmp_path / "f.tflite", options={"verify": True})
    assert lite.tolerance == 1e-4 and max(lite.max_abs_diff.values()) <= 1e-4
    interp = tf.lite.Interpreter(model_path=str(tmp_path / "f.tflite"))
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], [2, 8])
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    onnx_report = convert(tmp_path / "f.keras", tmp_path / "f.onnx", options={"verify": True})
    sess = ort.InferenceSession(str(tmp_path / "f.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == onnx_report.inputs == ["features:0"]
    np.testing.assert_allclose(sess.run(None, {"features:0": x})[0], expected, atol=1e-5)


@pytest.mark.parametrize("rel", ["regression-savedmodel",
                                 "regression-pb",
                                 "regression-checkpoint-index"])
def test_regression_to_onnx_known_answer(rel, tmp_path):
    import onnxruntime as ort

    options = {"verify": True, "outputs": "pred"} if "checkpoint" in rel else {"verify": True}
    report = convert(corpus_path(rel), tmp_path / "r.onnx", options=options)
    sess = ort.InferenceSession(str(tmp_path / "r.onnx"), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    (y,) = sess.run(None, {name: np.array([5.0], dtype=np.float32).reshape(
        [d if isinstance(d, int) else 1 for d in sess.get_inputs()[0].shape] or [])})
    assert float(np.ravel(y)[0]) == pytest.approx(REGRESSION_Y, abs=1e-6)
    assert report.max_abs_diff is not None


def test_savedmodel_to_tflite_known_answer(tmp_path):
    import tensorflow as tf

    report = convert(corpus_path("half-plus-two-tf1"), tmp_path / "h.tflite",
                     options={"verify": True})
    assert max(report.max_abs_diff.values()) <= 1e-4
    interp = tf.lite.Interpreter(model_path=str(tmp_path / "h.tflite"))
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], [3, 1])
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], HALF_PLUS_TWO_X.reshape(3, 1))
    interp.invoke()
    y = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_allclose(y.ravel(), HALF_PLUS_TWO_Y)


def test_verify_of_graph_that_writes_files_needs_trust(tmp_path):
    import tensorflow as tf

    target = tmp_path / "written_by_graph.txt"
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        write = tf.io.write_file(str(target), "hello")
        with tf.control_dependencies([write]):
            tf.identity(x * 2.0, name="y")
    (tmp_path / "g.pb").write_bytes(graph.as_graph_def().SerializeToString())
    with pytest.raises(UnsafeContent):
        convert(tmp_path / "g.pb", tmp_path / "out.pb", options={"outputs": "y",
                                                                  "verify": True})
    assert not target.exists() and not (tmp_path / "out.pb").exists()
    convert(tmp_path / "g.pb", tmp_path / "out.pb", options={"outputs": "y"})  # no run: fine
    # Trusted, it runs, but in the confined child (kinspect.safety.confine): the write outside
    # its output folder is refused by the kernel, and nothing is left at DST.
    with pytest.raises(ConvertError, match="[Pp]ermission denied"):
        convert(tmp_path / "g.pb", tmp_path / "out2.pb",
                options={"outputs": "y", "verify": True, "trust_code": True})
    assert not target.exists() and not (tmp_path / "out2.pb").exists()


def test_json_report_fields(tmp_path):
    report = convert(corpus_path("regression-pb"), tmp_path / "r.pb",
                     options={"verify": True})
    data = json.loads(json.dumps(report.to_json()))
    assert data["inputs"] == ["X:0"] and data["outputs"] == ["pred:0"]
    assert data["max_abs_diff"] == {"pred:0": 0.0} and data["tolerance"] == 1e-5


def test_two_inputs_two_outputs_keep_their_order(tmp_path):
    """Inputs named out of alphabetical order, two outputs: every graph target verifies,
    so inputs and outputs are matched by name, not by position."""
    import keras
    import tensorflow as tf

    a, b = keras.Input((3,), name="zeta"), keras.Input((5,), name="alpha")
    h = keras.layers.Concatenate()([a, b])
    model = keras.Model([a, b], [keras.layers.Dense(2, name="first")(h),
                                 keras.layers.Dense(4, name="second")(h)])
    model.save(tmp_path / "m.keras")
    for name in ("m.pb", "m_served", "m.tflite", "m.onnx"):
        report = convert(tmp_path / "m.keras", tmp_path / name, options={"verify": True})
        assert len(report.max_abs_diff) == 2, name
    rng = np.random.default_rng(5)
    xa, xb = rng.standard_normal((2, 3), np.float32), rng.standard_normal((2, 5), np.float32)
    expected = model.predict([xa, xb], verbose=0)
    fn = tf.saved_model.load(str(tmp_path / "m_served" / "1")).signatures["serving_default"]
    got = fn(zeta=tf.constant(xa), alpha=tf.constant(xb))
    np.testing.assert_allclose(got["output_0"].numpy(), expected[0], atol=1e-5)
    np.testing.assert_allclose(got["output_1"].numpy(), expected[1], atol=1e-5)
