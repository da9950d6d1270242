"""`kinspect convert` contract: exit codes, one-line errors, --json fields, no overwrite
without --force, nothing left at DST after a failure or a cancel."""

from __future__ import annotations

import json

import pytest

from kinspect.convert import convert
from kinspect.errors import Cancelled, InvalidRequest
from kinspect.progress import Progress

from ..conftest import corpus_path, run_cli


def _graph(data: bytes):
    """A parsed GraphDef (protobuf map order in the bytes may differ between runs)."""
    from kinspect.formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    graph.ParseFromString(data)
    return graph


def _one_error_line(proc) -> str:
    # Exactly one line: TensorFlow's native log (oneDNN, CUDA probes) must not leak.
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("kinspect: "), proc.stderr
    return proc.stderr.strip()


@pytest.mark.slow
def test_cli_json_refuse_overwrite_force_and_failure(tmp_path):
    src = corpus_path("regression-pb")
    dst = tmp_path / "r.pb"
    proc = run_cli("convert", str(src), str(dst), "--verify", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["inputs"] == ["X:0"] and data["outputs"] == ["pred:0"]
    assert data["max_abs_diff"] == {"pred:0": 0.0} and data["target"] == "tf-graphdef"
    before = dst.read_bytes()
    dst.write_bytes(b"keep me")
    proc = run_cli("convert", str(src), str(dst))
    assert proc.returncode == 2 and "exists" in _one_error_line(proc)
    assert dst.read_bytes() == b"keep me"
    proc = run_cli("convert", str(src), str(dst), "--force")
    assert proc.returncode == 0 and _graph(dst.read_bytes()) == _graph(before)
    # A checkpoint without --outputs: exit 2, likely outputs named, nothing at DST.
    meta = corpus_path("regression-checkpoint-meta")
    proc = run_cli("convert", str(meta), str(tmp_path / "c.pb"))
    assert proc.returncode == 2 and "pred" in _one_error_line(proc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pb"]


@pytest.mark.slow
def test_cli_refuses_code_and_bad_requests(tmp_path):
    carnd = corpus_path("carnd-h5")
    proc = run_cli("convert", str(carnd), str(tmp_path / "m.keras"))
    assert proc.returncode == 2 and "--trust-code" in _one_error_line(proc)
    proc = run_cli("convert", str(corpus_path("regression-pb")),
                   str(tmp_path / "m.keras"))
    assert proc.returncode == 2 and "cannot convert tf-graphdef to keras" in _one_error_line(proc)
    proc = run_cli("convert", str(tmp_path / "missing.h5"), str(tmp_path / "x.h5"))
    assert proc.returncode == 2 and "missing.h5" in _one_error_line(proc)
    assert list(tmp_path.iterdir()) == []


def test_cancel_leaves_nothing(tmp_path):
    """The GUI's Cancel: progress.cancel() during the conversion -> Cancelled, DST absent,
    no temporary left in DST's folder."""
    seen = []

    def listener(fraction: float, message: str) -> None:
        seen.append(message)
        if message == "written":
            progress.cancel()

    progress = Progress(listener)
    with pytest.raises(Cancelled):
        convert(corpus_path("regression-pb"), tmp_path / "r.onnx",
                options={"verify": True}, progress=progress)
    assert "written" in seen and list(tmp_path.iterdir()) == []


def test_failed_verification_style_error_leaves_old_dst(tmp_path):
    """--force with a failing conversion keeps the old DST (replaced only at the end)."""
    dst = tmp_path / "out.pb"
    dst.write_bytes(b"old")
    with pytest.raises(InvalidRequest):
        convert(corpus_path("regression-checkpoint-meta"), dst,
                options={"force": True, "outputs": "no_such_node"})
    assert dst.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.pb"]


def test_errors_raised_without_a_path_name_the_source(tmp_path):
    """Errors from inside a conversion (prune, converters, verify) get SRC as their FILE."""
    src = corpus_path("regression-pb")
    proc = run_cli("convert", str(src), str(tmp_path / "o.pb"), "--outputs", "nosuch")
    assert proc.returncode == 2
    assert _one_error_line(proc).startswith(f"kinspect: {src}: no node named nosuch")
    assert list(tmp_path.iterdir()) == []


def test_serving_version_zero_is_kept_and_negative_refused(tmp_path, capsys):
    from kinspect.cli import main

    src = corpus_path("half-plus-two-tf1")
    assert main(["convert", str(src), str(tmp_path / "s0"), "--serving-version", "0"]) == 0
    # The version folder, and the TF Serving example request beside it (issue 15)
    assert sorted(p.name for p in (tmp_path / "s0").iterdir()) == ["0", "request.json"]
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["convert", str(src), str(tmp_path / "neg"), "--serving-version", "-3"])
    assert info.value.code == 2 and "whole number >= 0" in capsys.readouterr().err
    with pytest.raises(InvalidRequest, match=">= 0") as refused:
        convert(src, tmp_path / "neg", options={"version": -3})
    assert refused.value.path == str(src) and not (tmp_path / "neg").exists()


@pytest.mark.parametrize(("content", "expected"), [
    (b"nodes are listed below\nclass_name: x\n", "not a model file"),
    (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.", "pickle"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64 +
     b"\nsize 1234\n", "git lfs pull"),
])
def test_convert_reports_what_info_reports_for_non_models(tmp_path, content, expected):
    """The source's format comes from the readers alone: a text file is not taken for a
    GraphDef, and a pickle or LFS pointer gets info's message, not a generic one."""
    from kinspect.errors import FormatError
    from kinspect.formats import open_document

    src = tmp_path / "model.h5"
    src.write_bytes(content)
    with pytest.raises(FormatError) as info_error:
        open_document(src)
    with pytest.raises(FormatError) as convert_error:
        convert(src, tmp_path / "o.keras")
    assert expected in convert_error.value.message.lower()
    assert convert_error.value.one_line() == info_error.value.one_line()
    assert not (tmp_path / "o.keras").exists()


def test_upper_case_pbtxt_gets_text(tmp_path):
    from google.protobuf import text_format

    from kinspect.formats.tf import protos as tf_protos

    dst = tmp_path / "OUT.PBTXT"
    convert(corpus_path("regression-pb"), dst)
    graph = text_format.Parse(dst.read_text(), tf_protos.GraphDef())
    assert any(n.name == "pred" for n in graph.node)
