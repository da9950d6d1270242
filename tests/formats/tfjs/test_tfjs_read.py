"""TF.js readers on the corpus's real models: facts from corpus/tfjs/PROVENANCE.md (computed
there with @tensorflow/tfjs 4.22.0 and numpy), and broken folders as one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kinspect.formats import detect, open_document
from kinspect.model import Kind, Role
from tests.conftest import corpus, run_cli

CELSIUS = "tfjs/layers_albertjqm_celsius"
LINEAR = "tfjs/graph_1010code_linear"
ABUSIVE = "tfjs/layers_aa760_abusive_uint8"


def _weights(doc) -> dict:
    return {w.name: w for layer in doc.all_layers() for w in layer.weights}


@pytest.mark.parametrize("rel", [CELSIUS, CELSIUS + "/model.json"])
def test_celsius_layers_model(rel: str) -> None:
    path = corpus(rel)
    assert detect(path).id == "tfjs-layers"
    doc = open_document(path)
    assert doc.producer["generatedBy"] == "keras v2.15.0"
    assert doc.producer["convertedBy"] == "TensorFlow.js Converter v4.20.0"
    assert doc.producer["keras_version"] == "2.15.0"
    assert [(la.name, la.class_name) for la in doc.layers] == [("input_1", "InputLayer"),
                                                               ("dense", "Dense")]
    assert doc.summary is not None and doc.summary.total == 2
    weights = _weights(doc)
    kernel, bias = weights["dense/kernel"], weights["dense/bias"]
    assert kernel.shape == (1, 1) and bias.shape == (1,)
    assert float(kernel.read().sum()) == pytest.approx(1.8001909255981445, abs=1e-7)
    assert float(bias.read().sum()) == pytest.approx(31.977428436279297, abs=1e-6)


def test_uint8_layers_model_dequantized() -> None:
    doc = open_document(corpus(ABUSIVE))
    assert doc.format == "tfjs-layers"
    assert len(doc.layers) == 10
    assert doc.summary is not None
    assert (doc.summary.total, doc.summary.trainable) == (1_389_254, 1_389_254)
    weights = _weights(doc)
    assert len(weights) == 21
    kernel = weights["bidirectional/forward_lstm/lstm_cell_1/kernel"]
    values = kernel.read()
    assert values.shape == (50, 512) and values.dtype == np.float32
    assert float(values.astype(np.float64).sum()) == pytest.approx(-78.70552877616137, abs=1e-3)
    np.testing.assert_allclose(values.ravel()[:3], [-0.1532229632139206, 0.08938006311655045,
                                                    -0.3830574154853821], rtol=1e-6)
    embedding = weights["embedding/embeddings"].read().astype(np.float64)
    assert embedding.sum() == pytest.approx(-21627.172317359596, rel=1e-6)
    # The kernel hangs under the forward LSTM of the first Bidirectional.
    forward = doc.layer("forward_lstm")
    assert forward is not None and kernel in forward.weights
    assert any("uint8" in w for w in doc.warnings)


def test_linear_graph_model() -> None:
    path = corpus(LINEAR)
    doc = open_document(path)
    assert doc.format == "tfjs-graph"
    assert doc.producer["generatedBy"] == "2.3.1"
    assert doc.producer["graph_producer"] == 440
    ops: dict[str, int] = {}
    for node in doc.nodes:
        ops[node.op] = ops.get(node.op, 0) + 1
    assert ops == {"Const": 3, "AddV2": 1, "Identity": 1, "Mul": 1, "Placeholder": 1, "Sum": 1}
    assert doc.extra["placeholders"] == ["input_1"]
    sig = doc.signatures["serving_default"]
    assert sig.inputs["input_1"].name == "input_1:0"
    assert sig.inputs["input_1"].shape == (None, 2)
    assert sig.outputs["output_1"].name == "Identity:0"
    # Const rows carry the manifest's values (the topology keeps only dtype and shape).
    flat = next(c for c in doc.root.children if c.role == Role.GRAPH_NODES)
    rows = {r.name: r for r in flat.children}
    a = rows["unknown"].tensor.read()
    np.testing.assert_allclose(a, [1.5110626, 0.42292204], rtol=1e-6)
    assert float(a.astype(np.float64).sum()) == pytest.approx(1.9339846670627594, abs=1e-7)
    idx = rows["StatefulPartitionedCall/network/Sum/reduction_indices"].tensor.read()
    assert idx.shape == () and idx.dtype == np.int32 and int(idx) == 1
    np.testing.assert_allclose(rows["unknown_0"].tensor.read(), [1.0668802], rtol=1e-6)
    # The scope view's rows get the values too.
    scopes = next(c for c in doc.root.children if c.role == Role.SCOPES)
    leaf = next(r for r in scopes.children if r.name == "unknown_0")
    assert leaf.kind == Kind.GRAPH_NODE and leaf.tensor.read().tolist() == pytest.approx(
        [1.0668802])


def test_info_json_on_the_corpus() -> None:
    proc = run_cli("info", "--json", str(corpus(LINEAR)))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["format"] == "tfjs-graph"
    assert {w["name"]: w["shape"] for w in info["weights"]} == {
        "unknown": [2], "StatefulPartitionedCall/network/Sum/reduction_indices": [],
        "unknown_0": [1]}


def _copy(tmp_path: Path, rel: str) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(corpus(rel), folder)
    return folder


def _one_line_error(path: Path) -> str:
    proc = run_cli("info", str(path))
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kinspect: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_missing_shard(tmp_path: Path) -> None:
    folder = _copy(tmp_path, ABUSIVE)
    (folder / "group1-shard1of1.bin").unlink()
    line = _one_line_error(folder)
    assert "weight shard 'group1-shard1of1.bin' is missing" in line


def test_truncated_shard(tmp_path: Path) -> None:
    folder = _copy(tmp_path, ABUSIVE)
    shard = folder / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:1_000_000])
    line = _one_line_error(folder / "model.json")
    assert "weight shard 'group1-shard1of1.bin' is short" in line
    assert "1,389,254" in line and "1,000,000" in line


def test_manifest_sizes_disagree(tmp_path: Path) -> None:
    folder = _copy(tmp_path, CELSIUS)
    model = json.loads((folder / "model.json").read_text())
    model["weightsManifest"][0]["weights"][0]["shape"] = [1, 3]  # 12 bytes more than stored
    (folder / "model.json").write_text(json.dumps(model))
    line = _one_line_error(folder)
    assert "group1-shard1of1.bin" in line and "need 16 bytes" in line and "hold 8" in line
    model["weightsManifest"][0]["weights"][0]["shape"] = [0, 1]  # 4 bytes fewer than stored
    (folder / "model.json").write_text(json.dumps(model))
    line = _one_line_error(folder)
    assert "disagree" in line and "need 4 bytes" in line and "hold 8" in line
