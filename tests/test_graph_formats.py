"""TensorFlow graph formats, tflite and onnx, read as data: corpus facts and generated cases.

Expected values come from PROVENANCE.md or from TensorFlow itself (tests/graph_truth.py, run
once per session in a subprocess), never from kinspect's own output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kinspect.errors import FormatError
from kinspect.formats import detect, open_document, tf_protos
from kinspect.model import Document, Kind, Signature
from tests.conftest import CORPUS, ROOT, corpus, run_cli

SAVEDMODELS = {
    "savedmodel/tfserving_half_plus_two_cpu": "savedmodel/tfserving_half_plus_two_cpu/00000123",
    "savedmodel/tfserving_half_plus_two_tf2_cpu":
        "savedmodel/tfserving_half_plus_two_tf2_cpu/00000123",
    "savedmodel/tf2onnx_regression_saved_model": "savedmodel/tf2onnx_regression_saved_model",
    "savedmodel/tfjs_node_times_three_float": "savedmodel/tfjs_node_times_three_float",
    "savedmodel/tfjs_node_module_with_multiple_signatures":
        "savedmodel/tfjs_node_module_with_multiple_signatures",
    "savedmodel/tfnet_keras_chengen_tsai": "savedmodel/tfnet_keras_chengen_tsai",
}


@pytest.fixture(scope="session")
def truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("graph_truth")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "graph_truth.py"), str(out),
                           str(CORPUS)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "truth.json").read_text())
    data["dir"] = str(out)
    return data


def node(doc: Document, name: str) -> Any:
    return next(n for n in doc.nodes if n.name == name)


def branch(doc: Document, title: str) -> Any:
    return next(c for c in doc.root.children if c.name.startswith(title))


# ---- saved_model_cli rendering, to compare signatures character for character -----------------

_DT = {v: k for k, v in tf_protos._DTYPE_NAMES.items()}


def cli_text(sig: Signature) -> str:
    """Our Signature printed the way saved_model_cli's _show_inputs_outputs_mgd prints one."""
    def spec_lines(kind: str, specs: dict) -> list[str]:
        lines = []
        for alias, spec in specs.items():
            base = spec.dtype[:-4] if spec.dtype.endswith("_ref") else spec.dtype
            dt = tf_protos.DataType.Name(_DT[base] + (100 if spec.dtype.endswith("_ref") else 0))
            shape = "unknown_rank" if spec.shape is None else \
                "(" + ", ".join("-1" if d is None else str(d) for d in spec.shape) + ")"
            lines += [f"    {kind}['{alias}'] tensor_info:", f"        dtype: {dt}",
                      f"        shape: {shape}", f"        name: {spec.name}"]
        return lines

    lines = ["  The given SavedModel SignatureDef contains the following input(s):"]
    lines += spec_lines("inputs", sig.inputs)
    lines += ["  The given SavedModel SignatureDef contains the following output(s):"]
    lines += spec_lines("outputs", sig.outputs)
    lines += [f"  Method name is: {sig.method}"]
    return "\n".join(lines) + "\n"


# ---- frozen and text GraphDefs ------------------------------------------------------------------

def test_frozen_regression_graph_computes_provenance_value() -> None:
    doc = open_document(corpus("frozen_pb/tf2onnx_regression/frozen.pb"))
    assert doc.format == "tf-graphdef"
    assert len(doc.nodes) == 8
    assert node(doc, "X").op == "Placeholder" and node(doc, "X").outputs == ["X:0"]
    assert node(doc, "pred").outputs == ["pred:0"]
    rows = {r.name: r for r in branch(doc, "Graph nodes").children}
    w = float(rows["W"].tensor.read())
    b = float(rows["b"].tensor.read())
    # PROVENANCE: X=5 -> 2.1193342 (pred = X * W + b).
    assert w * 5 + b == pytest.approx(2.1193342, abs=1e-6)


@pytest.mark.parametrize("rel,count,inputs,output", [
    ("frozen_pb/tf2onnx_fc_layers/frozen.pb", 24, ["X"], "output"),
    ("frozen_pb/tf2onnx_gru/frozen.pb", 548, ["X", "keep_prob"], "output"),
])
def test_frozen_graphs(rel: str, count: int, inputs: list[str], output: str) -> None:
    doc = open_document(corpus(rel))
    assert len(doc.nodes) == count
    assert doc.extra["placeholders"] == inputs
    assert node(doc, output).outputs == [f"{output}:0"]
    assert doc.extra["frozen"] is True
    if "fc_layers" in rel:
        assert {"MatMul", "BiasAdd", "Relu"} <= {n.op for n in doc.nodes}
        kernel = next(r for r in branch(doc, "Graph nodes").children if r.name == "dense/kernel")
        assert kernel.tensor.read().shape == (784, 256)


def test_text_graphdef() -> None:
    from google.protobuf import text_format

    path = corpus("graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt")
    doc = open_document(path)
    assert doc.format == "tf-graphdef" and len(doc.nodes) == 10
    reference = text_format.Parse(path.read_text(), tf_protos.GraphDef())
    assert [n.name for n in doc.nodes] == [n.name for n in reference.node]
    init = node(doc, "init")
    assert all(i.startswith("^") for i in init.inputs) and init.outputs == []


def test_generated_multi_output_and_control_inputs(truth: dict[str, Any]) -> None:
    for suffix in ("pb", "pbtxt"):
        doc = open_document(Path(truth["dir"]) / f"multi.{suffix}")
        assert doc.format == "tf-graphdef"
        assert {n.name for n in doc.nodes} == set(truth["multi"])
        for gn in doc.nodes:
            expected = truth["multi"][gn.name]
            assert gn.op == expected["op"]
            assert gn.outputs == expected["outputs"], gn.name
            assert gn.inputs == expected["inputs"], gn.name
    after = next(r for r in branch(doc, "Graph nodes").children if r.name == "after_split")
    inputs = next(c for c in after.children if c.name == "inputs").children
    assert [(c.name, c.attrs["control"]) for c in inputs] == [("split:2", False), ("uniq", True)]


@pytest.mark.parametrize("rel", [
    "frozen_pb/tf2onnx_regression/frozen.pb", "frozen_pb/tf2onnx_fc_layers/frozen.pb",
    "frozen_pb/tf2onnx_gru/frozen.pb", "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
    "tf1_checkpoint/tf2onnx_regression_checkpoint/model.meta",
    "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export.meta",
    "savedmodel/tfserving_half_plus_two_cpu/00000123/saved_model.pb"])
def test_every_node_outputs_as_tensorflow_builds_them(rel: str, truth: dict[str, Any]) -> None:
    doc = open_document(corpus(rel))
    expected = truth["graph_outputs"][rel]
    assert {n.name: n.outputs for n in doc.nodes} == expected


def test_function_only_graph_without_nul_bytes(tmp_path: Path) -> None:
    """A small GraphDef holding only a function library (its head decodes as text)."""
    g = tf_protos.GraphDef()
    g.versions.producer = 1000
    fn = g.library.function.add()
    fn.signature.name = "my_fn"
    fn.signature.input_arg.add(name="x", type=1)
    fn.signature.output_arg.add(name="y", type=1)
    fn.node_def.add(name="Identity", op="Identity", input=["x"])
    fn.ret["y"] = "Identity:output:0"
    path = tmp_path / "functions.pb"
    path.write_bytes(g.SerializeToString())
    assert b"\x00" not in path.read_bytes()
    doc = open_document(path)
    assert doc.format == "tf-graphdef" and doc.extra["functions"] == ["my_fn"]
    (row,) = branch(doc, "Functions").children
    assert row.attrs["inputs"] == ["x: float32"] and row.attrs["returns"] == {"y":
                                                                             "Identity:output:0"}


def test_name_scope_branch_groups_nodes() -> None:
    doc = open_document(corpus("frozen_pb/tf2onnx_gru/frozen.pb"))
    scopes = branch(doc, "By name scope")
    model = next(c for c in scopes.children if c.name == "model/")
    leaves = [n for n in model.walk() if n.kind == Kind.GRAPH_NODE]
    assert {n.name for n in leaves} == {n.name for n in doc.nodes if n.name.startswith("model/")}


def test_tensor_values_as_tensorflow_reads_them(truth: dict[str, Any]) -> None:
    from kinspect.formats import tf_tensor

    for case in truth["tensor_protos"]:
        proto = tf_protos.TensorProto.FromString(bytes.fromhex(case["hex"]))
        value = tf_tensor.tensor_to_numpy(proto)
        assert list(value.shape) == case["shape"]
        if value.dtype == object:
            value = np.array([v.decode() for v in value.ravel()], dtype=object)
            assert value.tolist() == case["value"]
            continue
        if value.dtype.kind == "c":
            value = np.stack([value.real, value.imag], axis=-1)
        expected = np.asarray(case["value"], dtype=np.float64).reshape(value.shape)
        np.testing.assert_array_equal(value.astype(np.float64), expected)


# ---- SavedModels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", list(SAVEDMODELS))
def test_savedmodel_signatures_as_saved_model_cli(rel: str, truth: dict[str, Any]) -> None:
    doc = open_document(corpus(rel))
    assert doc.format == "tf-savedmodel"
    expected = truth["signatures"][SAVEDMODELS[rel]]
    assert list(doc.signatures) == list(expected)
    for key, text in expected.items():
        assert cli_text(doc.signatures[key]) == text, key


def test_savedmodel_variables_match_tensorflow(truth: dict[str, Any]) -> None:
    cases = {"savedmodel/tfserving_half_plus_two_tf2_cpu":
             "savedmodel/tfserving_half_plus_two_tf2_cpu/00000123/variables/variables",
             "savedmodel/tfnet_keras_chengen_tsai":
             "savedmodel/tfnet_keras_chengen_tsai/variables/variables"}
    for rel, key in cases.items():
        doc = open_document(corpus(rel))
        assert_variables(doc, truth["variables"][key])


def assert_variables(doc: Document, expected: dict[str, Any]) -> None:
    expected = {k: v for k, v in expected.items() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    assert [v.name for v in doc.variables] == sorted(expected)
    for var in doc.variables:
        assert list(var.shape) == expected[var.name]["shape"], var.name
        np.testing.assert_allclose(var.read(), np.asarray(expected[var.name]["value"]))


def test_tf1_savedmodel_half_plus_two() -> None:
    doc = open_document(corpus("savedmodel/tfserving_half_plus_two_cpu"))
    assert doc.extra["tags"] == [["serve"]] and len(doc.nodes) == 74
    assert doc.producer["tensorflow_version"] == "1.14.0"
    values = {v.name: float(v.read()) for v in doc.variables}
    assert values == {"a": 0.5, "a2": 0.5, "b": 2.0, "c": 3.0, "c2": 3.0}
    assert {"serving_default", "classify_x_to_y", "regress_x_to_y", "regress_x_to_y2",
            "regress_x2_to_y3"} <= set(doc.signatures)
    sd = doc.signatures["serving_default"]
    assert sd.inputs["x"].name == "x:0" and sd.outputs["y"].name == "y:0"
    assert [c.name for c in branch(doc, "Assets").children] == ["foo.txt"]
    assert doc.extra["versions"] == ["00000123"]


def test_tf2_savedmodel_half_plus_two() -> None:
    doc = open_document(corpus("savedmodel/tfserving_half_plus_two_tf2_cpu"))
    assert len(branch(doc, "Functions").children) == 14
    assert {"regress_x_to_y", "regress_x_to_y2", "regress_x2_to_y3", "classify_x_to_y",
            "classify_x2_to_y3", "serving_default"} <= set(doc.signatures)
    assert set(doc.extra["fingerprint"]) >= {"saved_model_checksum", "graph_def_program_hash"}
    values = {v.name.split("/")[0]: float(v.read()) for v in doc.variables}
    # y = 0.5 * x + 2: serving_default x=[1,2,5] -> [2.5, 3.0, 4.5]
    assert [values["a"] * x + values["b"] for x in (1, 2, 5)] == [2.5, 3.0, 4.5]
    assert values["c"] == 3.0


def test_tfjs_savedmodels() -> None:
    three = open_document(corpus("savedmodel/tfjs_node_times_three_float"))
    sd = three.signatures["serving_default"]
    assert sd.inputs["x"].name == "serving_default_x:0"
    assert sd.outputs["output_0"].name == "StatefulPartitionedCall:0"
    assert float(three.variables[0].read()) * np.array([1, 2, 3]) == pytest.approx([3, 6, 9])
    multi = open_document(corpus("savedmodel/tfjs_node_module_with_multiple_signatures"))
    two = multi.signatures["timestwo"]
    assert two.inputs["x"].name == "timestwo_x:0"
    assert two.outputs["output_0"].name == "StatefulPartitionedCall_1:0"


def test_regression_savedmodel_computes_provenance_value() -> None:
    doc = open_document(corpus("savedmodel/tf2onnx_regression_saved_model"))
    sd = doc.signatures["serving_default"]
    assert (sd.inputs["X"].name, sd.outputs["pred"].name) == ("X:0", "pred:0")
    values = {v.name: float(v.read()) for v in doc.variables}
    assert values["W"] * 5 + values["b"] == pytest.approx(2.1193342, abs=1e-6)


def test_keras_written_savedmodel_has_keras_layers_branch() -> None:
    doc = open_document(corpus("savedmodel/tfnet_keras_chengen_tsai"))
    assert doc.format == "tf-savedmodel" and doc.signatures == {}
    assert any("no signatures" in w for w in doc.warnings)
    layers = {la["name"]: la["class_name"] for la in doc.extra["keras_layers"]}
    assert layers == {"model": "Functional", "input_1": "InputLayer", "dense": "Dense",
                      "dense_1": "Dense"}
    rows = {r.name: r for r in branch(doc, "Keras layers").children}
    assert rows["input_1"].attrs["batch_input_shape"]["items"] == [23, 3]
    assert (rows["dense"].attrs["config"]["units"], rows["dense"].attrs["config"]["activation"]) \
        == (22, "relu")
    assert rows["dense_1"].attrs["config"]["activation"] == "softmax"


def test_generated_savedmodel_with_several_signatures(truth: dict[str, Any]) -> None:
    doc = open_document(truth["several_dir"])
    assert set(doc.signatures) >= {"serving_default", "count"}
    for key, text in truth["signatures"]["several"].items():
        assert cli_text(doc.signatures[key]) == text
    assert_variables(doc, truth["variables"]["several"])
    # The saved_model.pb file itself opens the same model.
    same = open_document(Path(truth["several_dir"]) / "saved_model.pb")
    assert list(same.signatures) == list(doc.signatures)


def test_generated_keras_savedmodels(truth: dict[str, Any]) -> None:
    """tf.keras `save()` (keras_metadata.pb) and Keras 3 `export()` are SavedModels too."""
    k2 = open_document(truth["keras"]["k2_dir"])
    assert k2.format == "tf-savedmodel"
    layers = {la["name"]: la["class_name"] for la in k2.extra["keras_layers"]}
    assert layers[truth["keras"]["k2_name"]] == "Sequential"
    for name, cls in truth["keras"]["k2_layers"].items():
        assert layers[name] == cls
    for key in ("k2_dir", "k3_dir"):
        doc = k2 if key == "k2_dir" else open_document(truth["keras"][key])
        expected = truth["signatures"][key]
        assert list(doc.signatures) == list(expected)
        for sig_key, text in expected.items():
            assert cli_text(doc.signatures[sig_key]) == text
    k3 = open_document(truth["keras"]["k3_dir"])
    assert {"serve", "serving_default"} <= set(k3.signatures)
    assert k3.signatures["serving_default"].inputs["x"].name == "serving_default_x:0"


def test_savedmodel_with_two_meta_graphs_opens_serve(truth: dict[str, Any]) -> None:
    expected = truth["two_meta_graphs"]
    doc = open_document(expected["dir"])
    assert doc.extra["tags"] == expected["tags"]
    assert len(doc.nodes) == expected["serve_nodes"]
    assert list(doc.signatures) == ["serving_default"]
    assert doc.root.attrs["tags"] == ["serve"]
    rows = branch(doc, "Meta graphs").children
    assert [r.attrs["tags"] for r in rows] == expected["tags"]
    assert [v.name for v in doc.variables] == ["w"]
    np.testing.assert_array_equal(doc.variables[0].read(), np.ones((3, 2), np.float32))


# ---- checkpoints --------------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["", "/model", "/model.index", "/model.meta",
                                   "/model.data-00000-of-00001", "/checkpoint"])
def test_tf1_checkpoint_every_way_in(given: str, truth: dict[str, Any]) -> None:
    doc = open_document(str(corpus("tf1_checkpoint/tf2onnx_regression_checkpoint")) + given)
    assert doc.format == "tf-checkpoint"
    assert len(doc.nodes) == 128
    assert set(doc.extra["placeholders"]) == {"X", "Y"}  # PROVENANCE: placeholders X, Y
    assert_variables(doc, truth["variables"]["tf1_checkpoint/tf2onnx_regression_checkpoint/model"])
    assert doc.producer["tensorflow_version"] == "1.11.0"


def test_checkpoint_file_lists_every_checkpoint(tmp_path: Path, truth: dict[str, Any]) -> None:
    """A `checkpoint` file naming two checkpoints, one by an absolute path from another
    machine (as copied model dirs have): both are listed and the latest is opened."""
    src = corpus("tf1_checkpoint/tf2onnx_regression_checkpoint")
    for step in (1, 2):
        for suffix in (".index", ".data-00000-of-00001", ".meta"):
            (tmp_path / f"model.ckpt-{step}{suffix}").symlink_to(src / f"model{suffix}")
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "/home/someone/run/model.ckpt-2"\n'
        'all_model_checkpoint_paths: "model.ckpt-1"\n'
        'all_model_checkpoint_paths: "/home/someone/run/model.ckpt-2"\n')
    doc = open_document(tmp_path)
    assert doc.extra["checkpoints"] == [str(tmp_path / "model.ckpt-1"),
                                        str(tmp_path / "model.ckpt-2")]
    assert doc.extra["checkpoint"] == str(tmp_path / "model.ckpt-2")
    rows = branch(doc, "Checkpoints").children
    assert [(r.name, r.type) for r in rows] == [("model.ckpt-1", "checkpoint"),
                                                ("model.ckpt-2", "opened")]
    assert_variables(doc, truth["variables"]["tf1_checkpoint/tf2onnx_regression_checkpoint/model"])


def test_v1_checkpoint_without_signatures(truth: dict[str, Any]) -> None:
    doc = open_document(corpus("tf1_checkpoint/tfserving_bad_half_plus_two/00000123"))
    assert doc.producer["checkpoint_format"] == "V1"
    assert len(doc.nodes) == 26 and doc.signatures == {}
    assert any("no signatures" in w for w in doc.warnings)
    assert_variables(doc, truth["variables"][
        "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export"])
    assert {v.name: float(v.read()) for v in doc.variables} == {"Variable": 0.5,
                                                                "Variable_1": 2.0}


def test_tf2_object_checkpoint_tree(truth: dict[str, Any]) -> None:
    doc = open_document(corpus("tf2_checkpoint/tfkeras_lso_ckpt_tf2.2"))
    assert doc.producer["checkpoint_kind"] == "TF2 object-based"
    assert doc.root.attrs["shards"] == 2
    assert_variables(doc, truth["variables"]["tf2_checkpoint/tfkeras_lso_ckpt_tf2.2/ckpt"])
    variables = branch(doc, "Variables")
    layer = next(c for c in variables.children if c.name == "layer_with_weights-0/")
    kernel = next(c for c in layer.children if c.name == "kernel")
    assert kernel.tensor.shape == (2, 2)
    assert kernel.attrs["stored name"] == "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"
    objects = branch(doc, "Object graph")
    names = {n.name for n in objects.walk()}
    assert {"layer_with_weights-0", "optimizer", "loss_scale", "kernel"} <= names


def test_estimator_dir_with_graph_pbtxt(tmp_path: Path, truth: dict[str, Any]) -> None:
    """An estimator model dir: checkpoint file, prefix files and graph.pbtxt (no .meta)."""
    src = corpus("tf2_checkpoint/tfkeras_lso_ckpt_tf2.2")
    for f in src.iterdir():
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "graph.pbtxt").symlink_to(Path(truth["dir"]) / "multi.pbtxt")
    doc = open_document(tmp_path)
    assert doc.format == "tf-checkpoint"
    assert {n.name for n in doc.nodes} == set(truth["multi"])
    assert len(doc.variables) == 10


# ---- tflite and onnx ----------------------------------------------------------------------------

def test_tflite_half_plus_two() -> None:
    doc = open_document(corpus("tflite/tfserving_half_plus_two/00000123/model.tflite"))
    assert doc.format == "tflite"
    assert doc.extra["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 1]}]
    assert doc.extra["outputs"] == [{"name": "y", "dtype": "float32", "shape": [1, 1]}]
    weights = {v.name: float(v.read()) for v in doc.variables}
    # PROVENANCE: 5.0 -> 4.5 (y = a * x + b).
    assert weights["a"] * 5.0 + weights["b"] == pytest.approx(4.5)
    assert [n.op for n in doc.nodes] == ["MUL", "ADD"]


def test_tflite_regression_signature_and_test_api_model() -> None:
    doc = open_document(corpus("tflite/tf2onnx_regression/model.tflite"))
    sd = doc.signatures["serving_default"]
    assert sd.inputs["X"].name == "X:0" and sd.outputs["pred"].name == "pred:0"
    assert sd.inputs["X"].shape == ()
    values = {v.name: float(v.read()) for v in doc.variables}
    assert values["W"] * 5 + values["b"] == pytest.approx(2.1193342, abs=1e-6)
    api = open_document(corpus("tflite/tf2onnx_regression/test_api_model.tflite"))
    assert [(n.op, n.inputs) for n in api.nodes] == [("ADD", ["input", "input"])]
    assert api.extra["inputs"][0]["shape"] == [2, 2]


def test_onnx_churn_model() -> None:
    import onnx
    from onnx import numpy_helper

    path = corpus("onnx/deepak_churn_ann/model.onnx")
    doc = open_document(path)
    assert doc.format == "onnx"
    assert doc.producer["ir_version"] == 7
    assert doc.producer["opset"] == {"ai.onnx": 13, "ai.onnx.ml": 2}
    assert doc.producer["producer_name"] == "tf2onnx"
    assert doc.producer["producer_version"].startswith("1.17.0")
    (sig,) = doc.signatures.values()
    assert sig.inputs["input_layer"].shape == (None, 12)
    assert sig.outputs["output_0"].shape == (None, 1)
    assert {n.op for n in doc.nodes} == {"MatMul", "Add", "Relu", "Sigmoid"}
    reference = onnx.load(str(path))
    for var, init in zip(doc.variables, reference.graph.initializer, strict=True):
        np.testing.assert_array_equal(var.read(), numpy_helper.to_array(init))
    # Parameters of the Keras source (12 -> 1, 2,945 params, keras_h5_full/deepak_churn...).
    assert sum(v.size for v in doc.variables) == 2945


# ---- contracts ----------------------------------------------------------------------------------

def test_graph_formats_never_import_tensorflow() -> None:
    paths = [corpus(p) for p in (
        "frozen_pb/tf2onnx_gru/frozen.pb", "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
        "savedmodel/tfserving_half_plus_two_tf2_cpu", "savedmodel/tfnet_keras_chengen_tsai",
        "tf1_checkpoint/tf2onnx_regression_checkpoint", "tf2_checkpoint/tfkeras_lso_ckpt_tf2.2",
        "tf1_checkpoint/tfserving_bad_half_plus_two/00000123",
        "tflite/tf2onnx_regression/model.tflite", "onnx/deepak_churn_ann/model.onnx")]
    code = (
        "import sys\n"
        "from kinspect.formats import open_document\n"
        "for p in sys.argv[1:]:\n"
        "    d = open_document(p)\n"
        "    for v in d.variables: v.read()\n"
        "    for n in d.root.walk(): n.attrs, n.tensor\n"
        "print(sorted(m for m in sys.modules if m == 'tensorflow' or m.startswith('tensorflow.')"
        " or m in ('keras', 'tf_keras')))\n")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "[]"


ALL_GRAPH_FILES = [
    "frozen_pb/tf2onnx_regression/frozen.pb", "frozen_pb/tf2onnx_fc_layers/frozen.pb",
    "frozen_pb/tf2onnx_gru/frozen.pb", "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
    *SAVEDMODELS, "tf1_checkpoint/tf2onnx_regression_checkpoint",
    "tf1_checkpoint/tfserving_bad_half_plus_two/00000123", "tf2_checkpoint/tfkeras_lso_ckpt_tf2.2",
    "tflite/tfserving_half_plus_two/00000123/model.tflite",
    "tflite/tf2onnx_regression/model.tflite", "tflite/tf2onnx_regression/test_api_model.tflite",
    "onnx/deepak_churn_ann/model.onnx"]


@pytest.mark.parametrize("rel", ALL_GRAPH_FILES)
def test_json_and_whole_tree(rel: str) -> None:
    """`info --json` serialises, and every branch of the tree builds without an error row."""
    doc = open_document(corpus(rel))
    data = json.loads(json.dumps(doc.to_json()))
    assert data["format"] == doc.format and len(data["nodes"]) == len(doc.nodes)
    for row in doc.root.walk():
        assert row.kind != Kind.ERROR, (row.name, row.error)
        _ = row.attrs, row.tensor


def test_cli_info_json_on_graph_and_checkpoint_prefix() -> None:
    frozen = corpus("frozen_pb/tf2onnx_regression/frozen.pb")
    proc = run_cli("info", "--json", str(frozen))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["format"] == "tf-graphdef"
    assert {"name": "pred", "op": "Identity", "inputs": ["Add"], "outputs": ["pred:0"]} \
        in data["nodes"]
    prefix = str(corpus("tf1_checkpoint/tf2onnx_regression_checkpoint")) + "/model"
    proc = run_cli("info", "--json", prefix)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["format"] == "tf-checkpoint"
    assert [v["name"] for v in data["variables"]] == ["W", "b"]


def test_broken_graph_files_are_one_line_errors(tmp_path: Path) -> None:
    data = corpus("frozen_pb/tf2onnx_fc_layers/frozen.pb").read_bytes()
    cut = tmp_path / "cut.pb"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError):
        open_document(cut)
    proc = run_cli("info", str(cut))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"kinspect: {cut}:") and "Traceback" not in proc.stderr
    broken_index = tmp_path / "ckpt.index"
    broken_index.write_bytes(b"\x00" * 100)
    with pytest.raises(FormatError):
        open_document(tmp_path / "ckpt")


def test_detection_by_content_not_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "model.h5"
    misnamed.write_bytes(corpus("frozen_pb/tf2onnx_regression/frozen.pb").read_bytes())
    assert detect(misnamed).ID == "tf-graphdef"
    lite = tmp_path / "weights.pb"
    lite.write_bytes(corpus("tflite/tf2onnx_regression/model.tflite").read_bytes())
    assert detect(lite).ID == "tflite"
    assert detect(corpus("tf1_checkpoint/tf2onnx_regression_checkpoint/model.meta")).ID \
        == "tf-checkpoint"
    assert detect(corpus("savedmodel/tf2onnx_regression_saved_model/saved_model.pb")).ID \
        == "tf-savedmodel"


@pytest.mark.parametrize("rel", [
    "frozen_pb/tf2onnx_regression/frozen.pb", "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
    "savedmodel/tf2onnx_regression_saved_model/saved_model.pb",
    "tf2_checkpoint/tfkeras_lso_ckpt_tf2.2/ckpt.index",
    "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export",
    "tflite/tf2onnx_regression/model.tflite", "onnx/deepak_churn_ann/model.onnx"])
def test_damaged_files_fail_cleanly(rel: str, tmp_path: Path) -> None:
    """Truncated or bit-flipped files open or raise FormatError: nothing else escapes."""
    import random

    src = corpus(rel)
    data = src.read_bytes()
    rng = random.Random(rel)
    for sibling in src.parent.iterdir():  # shards and .meta beside a checkpoint
        if sibling.name != src.name:
            (tmp_path / sibling.name).symlink_to(sibling)
    target = tmp_path / src.name
    for trial in range(40):
        damaged = bytearray(data)
        if trial % 2:
            del damaged[rng.randrange(1, len(damaged)):]
        else:
            for _ in range(rng.randint(1, 8)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        target.write_bytes(bytes(damaged))
        try:
            doc = open_document(target)
            for var in doc.variables:
                try:
                    var.read()
                except (FormatError, ValueError):
                    pass
        except FormatError:
            pass
