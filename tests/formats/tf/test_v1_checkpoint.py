"""V1 checkpoints (TF <= 0.12 and every SessionBundle export) read as data, without TensorFlow:
one file or sharded, given as prefix, file, shard, shard pattern, .meta or folder; sliced
variables put together; a SessionBundle's `serving_signatures` shown as its signatures; the
`checkpoint` state file never leads outside its folder. The files are written by TF 2.21
(tests/builders/tf1.py) and the expected values come from TensorFlow's own checkpoint reader,
both in a subprocess, so this process never imports TensorFlow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kinspect.formats import open_document
from tests.builders.tf1 import EMB
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

_BUILD = """
import json, sys
from pathlib import Path
import numpy as np
import tensorflow as tf
from tests.builders import tf1
out = Path(sys.argv[1])
plain = tf1.v1_checkpoint(out / "plain", sharded=False)
sharded = tf1.v1_checkpoint(out / "sharded", sharded=True)
bundle = tf1.session_bundle(out / "serving")
tf1.v1_checkpoint(out / "elsewhere", sharded=False, b=7.0)
two = tf1.v1_checkpoint(out / "two", sharded=True, devices=2)
def restored(meta, pattern):
    # Every variable as TensorFlow restores it in a session (its checkpoint reader refuses
    # sliced V1 variables: 'Sliced checkpoints are not supported'), slices put in place by
    # their save_slice_info.
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        v1.train.import_meta_graph(meta, clear_devices=True).restore(sess, pattern)
        out = {}
        for var in v1.global_variables():
            info, value = var._save_slice_info, sess.run(var)
            if info is None:
                out[var.op.name] = value
                continue
            full = out.setdefault(info.full_name, np.zeros(info.full_shape, value.dtype))
            full[tuple(slice(o, o + n) for o, n in zip(info.var_offset, info.var_shape))] = value
        return out
def truth(pattern, meta):
    values = restored(meta, pattern)
    listed = dict(tf.train.list_variables(pattern))
    assert sorted(listed) == sorted(values), (listed, values)
    return {name: {"shape": listed[name], "value": values[name].tolist()} for name in listed}
assert sorted(p.name for p in (out / "two").glob("*-of-*")) == [
    "model.ckpt-00000-of-00002", "model.ckpt-00001-of-00002"]
json.dump({"plain": plain, "sharded": sharded, "bundle": str(bundle),
           "variables": {
               "plain": truth(plain, str(out / "plain/model.ckpt.meta")),
               "sharded": truth(sharded, str(out / "sharded/model.ckpt.meta")),
               "two": truth(two, str(out / "two/model.ckpt.meta")),
               "bundle": truth(str(bundle / "export-?????-of-00001"),
                               str(bundle / "export.meta"))}},
          open(out / "truth.json", "w"))
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("v1")
    proc = subprocess.run([sys.executable, "-c", _BUILD, str(out)], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "truth.json").read_text())
    data["dir"] = out
    return data


def _assert_as_tensorflow_reads(doc: Any, expected: dict[str, Any]) -> None:
    assert doc.producer["checkpoint_format"] == "V1"
    assert [v.name for v in doc.variables] == sorted(expected) == ["a", "b", "c", "emb"]
    for var in doc.variables:
        assert list(var.shape) == expected[var.name]["shape"], var.name
        np.testing.assert_array_equal(var.read(), np.asarray(expected[var.name]["value"]))
    # The sliced variable, put together from its 3 slices, against the builder's own values.
    emb = next(v for v in doc.variables if v.name == "emb")
    np.testing.assert_array_equal(emb.read(), np.asarray(EMB, dtype=np.float32))


@pytest.mark.parametrize("kind,given", [
    ("plain", "plain/model.ckpt"),  # a V1 file with no suffix at all
    ("plain", "plain"),
    ("plain", "plain/model.ckpt.meta"),
    ("sharded", "sharded"),  # `checkpoint` names the pattern model.ckpt-?????-of-00001
    ("sharded", "sharded/model.ckpt"),  # the prefix: no such file, its shards are
    ("sharded", "sharded/model.ckpt.meta"),
    ("sharded", "sharded/model.ckpt-00000-of-00001"),
])
def test_every_way_in(files: dict[str, Any], kind: str, given: str) -> None:
    doc = open_document(files["dir"] / given)
    assert doc.format == "tf-checkpoint"
    assert not [w for w in doc.warnings if "checkpoint data" in w or "missing" in w]
    _assert_as_tensorflow_reads(doc, files["variables"][kind])
    assert doc.extra["meta_graph"].endswith("model.ckpt.meta")


@pytest.mark.parametrize("given", ["plain/model.ckpt", "sharded/model.ckpt.meta"])
def test_opening_imports_no_tensorflow(files: dict[str, Any], given: str) -> None:
    """In a fresh process (the test process may have imported TensorFlow for other tests)."""
    code = ("import sys; from kinspect.formats import open_document; "
            "doc = open_document(sys.argv[1]); [v.read() for v in doc.variables]; "
            "print('tensorflow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, str(files["dir"] / given)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("given", ["two", "two/model.ckpt-00001-of-00002"])
def test_variables_from_every_shard(files: dict[str, Any], given: str) -> None:
    """Two shards (a sharded saver over two devices): b, c and one slice of emb are in the
    second shard only; emb is put together across both."""
    doc = open_document(files["dir"] / given)
    assert doc.root.attrs["shards"] == 2
    _assert_as_tensorflow_reads(doc, files["variables"]["two"])


def test_session_bundle_signatures(files: dict[str, Any]) -> None:
    """`kinspect info --json` on the TF Serving model folder, its version folder and the
    export.meta: the Signatures message the builder wrote byte by byte."""
    serving = files["dir"] / "serving"
    for given in (serving, serving / "00000123", serving / "00000123" / "export.meta"):
        proc = run_cli("info", "--json", str(given))
        assert proc.returncode == 0, proc.stderr
        info = json.loads(proc.stdout)
        assert info["format"] == "tf-checkpoint"
        vec = {"dtype": "float32", "shape": [None]}
        assert info["signatures"] == {
            "default": {"method": "regression", "inputs": {"input": {"name": "x:0", **vec}},
                        "outputs": {"output": {"name": "y:0", **vec}}},
            "inputs": {"method": "generic", "inputs": {"x": {"name": "x:0", **vec}},
                       "outputs": {}},
            "outputs": {"method": "generic", "inputs": {},
                        "outputs": {"y": {"name": "y:0", **vec}, "y2": {"name": "y2:0", **vec}}},
        }
        assert not any("no signatures" in w for w in info["warnings"]), info["warnings"]
    # The bare prefix `export` is no file: its shards and its .meta are.
    proc = run_cli("scan", str(serving / "00000123" / "export"))
    assert proc.returncode == 0 and "(tf-checkpoint)" in proc.stdout, proc.stderr
    doc = open_document(serving)
    assert doc.producer["export_format"] == "SessionBundle"
    assert [c.name for c in doc.root.children][:2] == ["Variables", "Signatures"]
    _assert_as_tensorflow_reads(doc, files["variables"]["bundle"])


def test_state_file_never_leads_outside_its_folder(files: dict[str, Any]) -> None:
    """A copied V1 checkpoint whose `checkpoint` names an absolute path that exists on this
    machine (another checkpoint, b = 7) or a relative one climbing out to it: the copy's own
    files are read (b = 2), by base name."""
    other = files["dir"] / "elsewhere"
    copy = files["dir"] / "copy"
    shutil.copytree(files["dir"] / "plain", copy)
    for recorded in (str(other / "model.ckpt"), "../elsewhere/model.ckpt"):
        (copy / "checkpoint").write_text(f'model_checkpoint_path: "{recorded}"\n')
        doc = open_document(copy)
        assert doc.extra["checkpoint"] == str(copy / "model.ckpt")
        assert {v.name: float(v.read()) for v in doc.variables if v.name != "emb"} == \
            {"a": 0.5, "b": 2.0, "c": 3.0}
    assert float(open_document(other).variables[1].read()) == 7.0  # the one not read


def test_missing_and_incomplete(files: dict[str, Any], tmp_path: Path) -> None:
    """A .meta without its data says which files it looked for; a sharded V1 checkpoint with a
    shard missing cannot be converted, and says so before TensorFlow is asked."""
    shutil.copy(files["dir"] / "plain" / "model.ckpt.meta", tmp_path / "lone.meta")
    doc = open_document(tmp_path / "lone.meta")
    assert doc.variables == []
    assert "no checkpoint data for lone (no lone.index, no V1 file lone or " \
        "lone-?????-of-?????)" in doc.warnings
    half = tmp_path / "half"
    half.mkdir()
    shutil.copy(files["dir"] / "sharded" / "model.ckpt.meta", half / "model.ckpt.meta")
    shutil.copy(files["dir"] / "sharded" / "model.ckpt-00000-of-00001",
                half / "model.ckpt-00000-of-00002")
    proc = run_cli("convert", str(half / "model.ckpt.meta"), str(tmp_path / "out.pb"),
                   "--outputs", "y")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"kinspect: {half / 'model.ckpt.meta'}: V1 checkpoint model.ckpt is incomplete: "
        "1 shard file(s) of 00002"]
    assert not (tmp_path / "out.pb").exists()
