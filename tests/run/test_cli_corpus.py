"""`kinspect run` on more corpus files: a V1 checkpoint (TF <= 0.12) and a GRU graph with two
inputs, against PROVENANCE facts and TensorFlow run directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import corpus, run_cli

pytestmark = pytest.mark.slow


def test_v1_checkpoint_half_plus_two() -> None:
    """tfserving_bad_half_plus_two: Variable=0.5, Variable_1=2.0 (PROVENANCE 56): y=0.5x+2."""
    path = corpus("tf1_checkpoint/tfserving_bad_half_plus_two/00000123")
    proc = run_cli("run", str(path), "-i", "[1, 2, 5]", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["outputs"]["Add:0"]["values"] == [2.5, 3.0, 4.5]
    assert any("outputs guessed: Add:0" in w for w in report["warnings"])


def test_gru_two_inputs_match_a_tensorflow_session(tmp_path: Path) -> None:
    import tensorflow as tf

    path = corpus("frozen_pb/tf2onnx_gru/frozen.pb")
    x = np.linspace(0, 1, 784, dtype=np.float32)[None]
    np.save(tmp_path / "x.npy", x)
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        expected = sess.run("output:0", {"X:0": x, "keep_prob:0": [1.0]})
    proc = run_cli("run", str(path), "-i", f"X:0={tmp_path / 'x.npy'}", "-i",
                   "keep_prob:0=[1.0]", "--save", str(tmp_path / "r.npz"))
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "r.npz", allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["outputs/output:0"], expected)
        np.testing.assert_array_equal(saved["inputs/X:0"], x)
