"""TF1 files of every age convert through the CLI, and the frozen results are run by
TensorFlow itself on known answers: y = 0.5 x + 2 gives [2.5, 3, 4.5] for x = [1, 2, 5],
y2 = 0.5 x + 3 gives [3.5, 4, 5.5]. Sources (tests/builders/tf1.py, written by TF 2.21): V1
checkpoints (one file, sharded, two devices), a SessionBundle export, and a TF1 SavedModel
whose regress signature makes `tf.saved_model.load` fail on the whole model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.builders import tf1
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

X = np.array([1.0, 2.0, 5.0], dtype=np.float32)
Y = [2.5, 3.0, 4.5]  # 0.5 x + 2
Y2 = [3.5, 4.0, 5.5]  # 0.5 x + 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tf1")
    tf1.v1_checkpoint(out / "plain", sharded=False)
    tf1.v1_checkpoint(out / "two", sharded=True, devices=2)
    tf1.session_bundle(out / "serving")
    tf1.tf1_multi_signature_savedmodel(out / "sm")
    return out


def _run_frozen(path: Path, feeds: dict[str, Any], outputs: list[str]) -> list[np.ndarray]:
    """The frozen .pb run by TensorFlow in a v1 session (not by kinspect)."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    assert not [n.name for n in graph_def.node
                if n.op in ("Variable", "VariableV2", "VarHandleOp")], "not frozen"
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return list(sess.run(outputs, feed_dict=feeds))


def _convert(*args: str) -> str:
    proc = run_cli("convert", *args, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("src,outputs,expected", [
    ("plain/model.ckpt", "y", Y),  # a V1 file with no suffix
    ("plain/model.ckpt.meta", "y2", Y2),
    ("two", "y", Y),  # sharded over two devices, `checkpoint` names the shard pattern
    ("two/model.ckpt.meta", "y2", Y2),  # the .meta alone: its shards found by pattern
])
def test_v1_checkpoint_to_frozen_pb(built: Path, tmp_path: Path, src: str, outputs: str,
                                    expected: list[float]) -> None:
    dst = tmp_path / "frozen.pb"
    out = _convert(str(built / src), str(dst), "--outputs", outputs, "--verify")
    assert f"outputs: {outputs}:0" in out and "verified" in out
    (got,) = _run_frozen(dst, {"x:0": X}, [f"{outputs}:0"])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("given", ["serving", "serving/00000123/export.meta"])
def test_session_bundle_outputs_by_default(built: Path, tmp_path: Path, given: str) -> None:
    """No --outputs: the export's default (regression) signature names y."""
    dst = tmp_path / "bundle.pb"
    out = _convert(str(built / given), str(dst), "--verify")
    assert "outputs: y:0" in out
    assert "warning: outputs from the SessionBundle signatures: y:0" in out
    (got,) = _run_frozen(dst, {"x:0": X}, ["y:0"])
    np.testing.assert_allclose(got, Y, rtol=1e-6)


def test_tf2_loader_rejects_the_savedmodel(built: Path) -> None:
    """The premise: TF 2.21's loader fails on the whole model."""
    import tensorflow as tf

    with pytest.raises(ValueError, match="Shapes must be equal rank"):
        tf.saved_model.load(str(built / "sm"))


@pytest.mark.parametrize("signature,output,expected", [
    (None, "y:0", Y), ("serving_default", "y:0", Y), ("predict_y2", "y2:0", Y2)])
def test_tf1_savedmodel_any_signature(built: Path, tmp_path: Path, signature: str | None,
                                      output: str, expected: list[float]) -> None:
    dst = tmp_path / "sm.pb"
    args = ["--signature", signature] if signature else []
    out = _convert(str(built / "sm"), str(dst), "--verify", *args)
    assert "loaded with: TF1 loader (tf.compat.v1.saved_model.loader.load)" in out
    assert "tf.saved_model.load failed (Shapes must be equal rank, but are 2 and 1)" in out
    assert f"outputs: {output}" in out and "verified" in out
    (got,) = _run_frozen(dst, {"x:0": X}, [output])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_tf1_savedmodel_regress_signature(built: Path, tmp_path: Path) -> None:
    """The ParseExample signature freezes too; fed serialized tf.Example protos."""
    import tensorflow as tf

    dst = tmp_path / "regress.pb"
    out = _convert(str(built / "sm"), str(dst), "--signature", "regress_x_to_y")
    assert "inputs:  tf_example:0" in out and "outputs: y_reg:0" in out
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[float(v)]))}))
        .SerializeToString() for v in X]
    (got,) = _run_frozen(dst, {"tf_example:0": examples}, ["y_reg:0"])
    np.testing.assert_allclose(got.ravel(), Y, rtol=1e-6)


def test_tf1_savedmodel_unknown_signature(built: Path, tmp_path: Path) -> None:
    proc = run_cli("convert", str(built / "sm"), str(tmp_path / "x.pb"), "--signature", "nope",
                   timeout=600)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"kinspect: {built / 'sm'}: no signature 'nope'; it has: predict_y2, regress_x_to_y, "
        "serving_default"]
