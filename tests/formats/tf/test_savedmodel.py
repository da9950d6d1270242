"""`tf-savedmodel`: every corpus SavedModel and generated ones; signatures compared with
`saved_model_cli show --all` text, variables with `tf.train.load_variable`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kinspect.formats import open_document
from kinspect.formats.tf import protos as tf_protos
from tests.conftest import corpus, corpus_path
from tests.formats.tf.helpers import SAVEDMODELS, assert_variables, branch, cli_text


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


@pytest.mark.parametrize("part", ["savedmodel/tfnet_keras_chengen_tsai/keras_metadata.pb",
                                  "savedmodel/tfserving_half_plus_two_tf2_cpu/00000123/"
                                  "fingerprint.pb"])
def test_a_part_of_a_savedmodel_opens_the_savedmodel(part: str, truth: dict[str, Any]) -> None:
    """Double-clicking keras_metadata.pb or fingerprint.pb shows the SavedModel they belong to
    (both said "not a model file" before), and says so."""
    from kinspect.safety.scanner import scan_path

    folder = str(Path(part).parent)
    doc = open_document(corpus(part))
    assert doc.format == "tf-savedmodel"
    assert_variables(doc, truth["variables"][folder + "/variables/variables"])
    assert any(w.startswith(Path(part).name + " is part of a SavedModel") for w in doc.warnings)
    assert list(doc.signatures) == list(open_document(corpus(folder)).signatures)
    assert scan_path(str(corpus(part))).format == "tf-savedmodel"


def test_tf1_savedmodel_half_plus_two() -> None:
    doc = open_document(corpus_path("half-plus-two-tf1"))
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
    doc = open_document(corpus_path("half-plus-two-tf2"))
    assert len(branch(doc, "Functions").children) == 14
    assert {"regress_x_to_y", "regress_x_to_y2", "regress_x2_to_y3", "classify_x_to_y",
            "classify_x2_to_y3", "serving_default"} <= set(doc.signatures)
    assert set(doc.extra["fingerprint"]) >= {"saved_model_checksum", "graph_def_program_hash"}
    values = {v.name.split("/")[0]: float(v.read()) for v in doc.variables}
    # y = 0.5 * x + 2: serving_default x=[1,2,5] -> [2.5, 3.0, 4.5]
    assert [values["a"] * x + values["b"] for x in (1, 2, 5)] == [2.5, 3.0, 4.5]
    assert values["c"] == 3.0


def test_tfjs_savedmodels() -> None:
    three = open_document(corpus_path("times-three-savedmodel"))
    sd = three.signatures["serving_default"]
    assert sd.inputs["x"].name == "serving_default_x:0"
    assert sd.outputs["output_0"].name == "StatefulPartitionedCall:0"
    assert float(three.variables[0].read()) * np.array([1, 2, 3]) == pytest.approx([3, 6, 9])
    multi = open_document(corpus_path("multi-signature-savedmodel"))
    two = multi.signatures["timestwo"]
    assert two.inputs["x"].name == "timestwo_x:0"
    assert two.outputs["output_0"].name == "StatefulPartitionedCall_1:0"


def test_regression_savedmodel_computes_provenance_value() -> None:
    doc = open_document(corpus_path("regression-savedmodel"))
    sd = doc.signatures["serving_default"]
    assert (sd.inputs["X"].name, sd.outputs["pred"].name) == ("X:0", "pred:0")
    values = {v.name: float(v.read()) for v in doc.variables}
    assert values["W"] * 5 + values["b"] == pytest.approx(2.1193342, abs=1e-6)


def test_keras_written_savedmodel_has_keras_layers_branch() -> None:
    doc = open_document(corpus_path("tfnet-savedmodel"))
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


def test_text_savedmodel(tmp_path: Path, truth: dict[str, Any]) -> None:
    """A SavedModel written as saved_model.pbtxt (protobuf text) opens like the binary one."""
    from google.protobuf import text_format

    src = corpus_path("half-plus-two-tf1-version")
    saved = tf_protos.SavedModel.FromString((src / "saved_model.pb").read_bytes())
    (tmp_path / "saved_model.pbtxt").write_text(text_format.MessageToString(saved))
    (tmp_path / "variables").symlink_to(src / "variables")
    doc = open_document(tmp_path)
    assert doc.format == "tf-savedmodel"
    expected = truth["signatures"]["savedmodel/tfserving_half_plus_two_cpu/00000123"]
    assert {k: cli_text(s) for k, s in doc.signatures.items()} == expected
    assert [v.name for v in doc.variables] == ["a", "a2", "b", "c", "c2"]


def test_root_row_named_like_the_folder_and_signature_rows_name_their_tensors():
    from kinspect.formats import open_document

    from ...conftest import corpus_path

    folder = corpus_path("times-three-savedmodel")
    for path in (folder, folder / "saved_model.pb"):
        doc = open_document(path)
        assert doc.root.name == "tfjs_node_times_three_float"
        assert doc.root.attrs["path"] == str(path)
    signature = doc.root.find("serving_default")
    # PROVENANCE: serving_default x (serving_default_x:0) -> output_0 (StatefulPartitionedCall:0)
    assert signature.attrs["input x"].startswith("serving_default_x:0  float32")
    assert signature.attrs["output output_0"].startswith("StatefulPartitionedCall:0  float32")
