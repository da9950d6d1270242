"""Damaged and oddly written files say what is wrong in their own tool's words (issue 15)."""

from __future__ import annotations

import json

from ..conftest import corpus_path, run_cli


def test_truncated_h5_says_what_h5py_says(tmp_path) -> None:
    """A download cut at 1 MB of the 3,092,832-byte CarND model (PROVENANCE #1): h5py names
    the truncation and the size the file should have; kinspect passes that on."""
    whole = corpus_path("carnd-h5").read_bytes()
    assert len(whole) == 3_092_832
    cut = tmp_path / "model.h5"
    cut.write_bytes(whole[:1_000_000])
    result = run_cli("info", str(cut))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"kinspect: {cut}: ")
    assert "truncated file" in line
    assert "eof = 1000000" in line and "stored_eof = 3092832" in line
    assert "without Keras model" not in line


def test_tf1_git_version_is_not_a_bytes_repr() -> None:
    """TF 1.11 under Python 3 wrote "b'v1.11.0-…'" (quotes and all) into the meta graph."""
    result = run_cli("info", "--json", str(corpus_path("regression-checkpoint")))
    assert result.returncode == 0, result.stderr
    producer = json.loads(result.stdout)["producer"]
    assert producer["tensorflow_version"] == "1.11.0"
    git = producer["tensorflow_git_version"]
    assert git.startswith("v1.11.0") and not git.startswith("b'") and not git.endswith("'")
