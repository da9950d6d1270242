"""`tf-checkpoint`: TF1 (V1 and V2) and TF2 checkpoints, `.meta`, `checkpoint` files,
estimator dirs; variables compared with `tf.train.list_variables` / `load_variable`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kinspect.formats import open_document
from tests.conftest import corpus, corpus_path
from tests.formats.tf.helpers import assert_variables, branch


@pytest.mark.parametrize("given", ["", "/model", "/model.index", "/model.meta",
                                   "/model.data-00000-of-00001", "/checkpoint"])
def test_tf1_checkpoint_every_way_in(given: str, truth: dict[str, Any]) -> None:
    doc = open_document(str(corpus_path("regression-checkpoint")) + given)
    assert doc.format == "tf-checkpoint"
    assert len(doc.nodes) == 128
    assert set(doc.extra["placeholders"]) == {"X", "Y"}  # PROVENANCE: placeholders X, Y
    assert_variables(doc, truth["variables"]["tf1_checkpoint/tf2onnx_regression_checkpoint/model"])
    assert doc.producer["tensorflow_version"] == "1.11.0"


def test_checkpoint_file_lists_every_checkpoint(tmp_path: Path, truth: dict[str, Any]) -> None:
    """A `checkpoint` file naming two checkpoints, one by an absolute path from another
    machine (as copied model dirs have): both are listed and the latest is opened."""
    src = corpus_path("regression-checkpoint")
    for step in (1, 2):
        for suffix in (".index", ".data-00000-of-00001", ".meta"):
            # Copies: a part symlinked out of the folder is refused (issue 22)
            shutil.copyfile(src / f"model{suffix}", tmp_path / f"model.ckpt-{step}{suffix}")
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
    doc = open_document(corpus_path("bad-half-plus-two-checkpoint"))
    assert doc.producer["checkpoint_format"] == "V1"
    assert len(doc.nodes) == 26 and doc.signatures == {}
    assert any("no signatures" in w for w in doc.warnings)
    assert_variables(doc, truth["variables"][
        "tf1_checkpoint/tfserving_bad_half_plus_two/00000123/export"])
    assert {v.name: float(v.read()) for v in doc.variables} == {"Variable": 0.5,
                                                                "Variable_1": 2.0}


def test_tf2_object_checkpoint_tree(truth: dict[str, Any]) -> None:
    doc = open_document(corpus_path("lso-checkpoint-tf2"))
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


@pytest.mark.parametrize("rel", ["tf2_checkpoint/tfkeras_lso_ckpt_tf2.2/ckpt",
                                 "savedmodel/tfnet_keras_chengen_tsai/variables/variables"])
def test_object_graph_as_tensorflow_reads_it(rel: str, truth: dict[str, Any]) -> None:
    """TensorFlow.NET stores the object graph as a uint8 vector, not a string scalar: its
    `variables.index` opened alone once failed with "expected bytes, numpy.uint8 found"."""
    expected = truth["object_graphs"][rel]
    doc = open_document(corpus(rel + ".index"))
    objects = branch(doc, "Object graph")
    assert objects.type == f"{expected['objects']} objects"
    assert [c.name for c in objects.children] == expected["root_children"]
    assert_variables(doc, truth["variables"][rel])


def test_estimator_dir_with_graph_pbtxt(tmp_path: Path, truth: dict[str, Any]) -> None:
    """An estimator model dir: checkpoint file, prefix files and graph.pbtxt (no .meta)."""
    src = corpus_path("lso-checkpoint-tf2")
    for f in src.iterdir():
        shutil.copyfile(f, tmp_path / f.name)  # a part symlinked out is refused (issue 22)
    shutil.copyfile(Path(truth["dir"]) / "multi.pbtxt", tmp_path / "graph.pbtxt")
    doc = open_document(tmp_path)
    assert doc.format == "tf-checkpoint"
    assert {n.name for n in doc.nodes} == set(truth["multi"])
    assert len(doc.variables) == 10


def test_partitioned_variable_put_together(truth: dict[str, Any]) -> None:
    doc = open_document(Path(truth["partitioned"]).parent)
    assert doc.extra["checkpoint"] == truth["partitioned"]
    assert_variables(doc, truth["variables"]["partitioned"])
    emb = next(v for v in doc.variables if v.name == "emb")
    assert emb.shape == (10, 3)
