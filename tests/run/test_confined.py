"""`kinspect run` and `kinspect compare` load and run models in a confined child (issue 22,
kinspect.safety.confine): a trusted graph that writes or reads a file outside the model and its
inputs is refused by the kernel, with one line and exit 2; inputs named on the command line
are still read, and --save still writes where asked (by the parent)."""

from __future__ import annotations

import numpy as np
import pytest

from kinspect.safety.confine import confinement
from tests.conftest import run_cli

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif("NOT confined (no Landlock)" in confinement(),
                                 reason="the kernel offers no Landlock here")]


def _graph(path, write_to=None, read_from=None) -> None:
    """y = 2x, with a WriteFile / ReadFile under a control dependency (it runs with y)."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        deps = []
        if write_to is not None:
            deps.append(tf.io.write_file(str(write_to), "hello"))
        y = x * 2.0
        if read_from is not None:  # feeds y (0 x its length): y stays the one output
            y = y + 0.0 * tf.cast(tf.strings.length(tf.io.read_file(str(read_from))),
                                  tf.float32)
        with tf.control_dependencies(deps):
            tf.identity(y, name="y")
    path.write_bytes(graph.as_graph_def().SerializeToString())


def _one_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_run_graph_that_writes_outside_is_refused_by_the_kernel(tmp_path):
    model_dir, outside = tmp_path / "model", tmp_path / "outside"
    model_dir.mkdir()
    outside.mkdir()
    target = outside / "written_by_graph.txt"
    _graph(model_dir / "g.pb", write_to=target)
    args = ("run", str(model_dir / "g.pb"), "--outputs", "y", "-i", "[[1, 2]]")
    line = _one_line(run_cli(*args))  # not trusted: the scan stops it first
    assert "touches the file system" in line and "--trust-code" in line
    line = _one_line(run_cli(*args, "--trust-code"))  # trusted: the kernel stops the write
    assert line.startswith(f"kinspect: {model_dir / 'g.pb'}: ")
    assert "confinement refused WriteFile" in line and str(target) in line
    assert "Permission denied" in line
    assert not target.exists() and list(outside.iterdir()) == []


def test_run_graph_that_reads_a_secret_beside_the_model_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("api key")
    (tmp_path / "model").mkdir()
    model = tmp_path / "model" / "g.pb"
    _graph(model, read_from=secret)
    line = _one_line(run_cli("run", str(model), "--outputs", "y", "-i", "[[1, 2]]",
                             "--trust-code"))
    assert "confinement refused ReadFile" in line and str(secret) in line


def test_inputs_from_other_folders_are_read_and_save_writes_outside_the_child(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "inputs").mkdir()
    (tmp_path / "results").mkdir()
    model = tmp_path / "model" / "g.pb"
    _graph(model)
    x = np.array([[1.5, -2.0], [3.0, 0.25]], np.float32)
    np.savez(tmp_path / "inputs" / "feeds.npz", a=x)
    saved = tmp_path / "results" / "out.npz"
    proc = run_cli("run", str(model), "--outputs", "y", "-i",
                   f"x:0={tmp_path / 'inputs' / 'feeds.npz'}:a", "--save", str(saved), "--json")
    assert proc.returncode == 0, proc.stderr
    with np.load(saved) as arrays:
        np.testing.assert_array_equal(arrays["inputs/x:0"], x)
        np.testing.assert_array_equal(next(arrays[k] for k in arrays if k.startswith(
            "outputs/")), x * 2.0)
    assert list((tmp_path / "results").iterdir()) == [saved]  # atomic: no temporary left


def test_compare_of_a_graph_that_reads_outside_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("api key")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _graph(tmp_path / "a" / "g.pb", read_from=secret)
    _graph(tmp_path / "b" / "g.pb")
    line = _one_line(run_cli("compare", str(tmp_path / "a" / "g.pb"),
                             str(tmp_path / "b" / "g.pb"), "--trust-code"))
    assert "confinement refused ReadFile" in line and str(secret) in line
