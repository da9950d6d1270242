"""Contracts of the graph readers: no TensorFlow import, JSON, CLI errors, detection by content,
damaged files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kinspect.errors import FormatError
from kinspect.formats import detect, open_document
from kinspect.model import Kind
from tests.conftest import ROOT, corpus, corpus_path, run_cli
from tests.formats.tf.helpers import SAVEDMODELS


def test_graph_formats_never_import_tensorflow() -> None:
    paths = [corpus_path(p) for p in (
        "gru-pb", "tfcr-pbtxt",
        "half-plus-two-tf2", "tfnet-savedmodel",
        "regression-checkpoint", "lso-checkpoint-tf2",
        "bad-half-plus-two-checkpoint",
        "regression-tflite", "churn-onnx")]
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
    frozen = corpus_path("regression-pb")
    proc = run_cli("info", "--json", str(frozen))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["format"] == "tf-graphdef"
    assert {"name": "pred", "op": "Identity", "inputs": ["Add"], "outputs": ["pred:0"]} \
        in data["nodes"]
    prefix = str(corpus_path("regression-checkpoint")) + "/model"
    proc = run_cli("info", "--json", prefix)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["format"] == "tf-checkpoint"
    assert [v["name"] for v in data["variables"]] == ["W", "b"]


def test_broken_graph_files_are_one_line_errors(tmp_path: Path) -> None:
    data = corpus_path("fc-layers-pb").read_bytes()
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
    misnamed.write_bytes(corpus_path("regression-pb").read_bytes())
    assert detect(misnamed).id == "tf-graphdef"
    lite = tmp_path / "weights.pb"
    lite.write_bytes(corpus_path("regression-tflite").read_bytes())
    assert detect(lite).id == "tflite"
    assert detect(corpus_path("regression-checkpoint-meta")).id \
        == "tf-checkpoint"
    assert detect(corpus_path("regression-savedmodel-pb")).id \
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
