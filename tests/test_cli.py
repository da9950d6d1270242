"""The command line contract: JSON fields, exit codes, one-line errors."""

from __future__ import annotations

import json

from .conftest import SAMPLE, corpus_path, run_cli


def test_info_json_fields():
    result = run_cli("info", "--json", str(corpus_path("carnd-h5")))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["format"] == "keras-h5"
    assert info["producer"]["keras_version"] == "2.2.4"
    assert info["params"] == {"total": 252_219, "trainable": 252_219, "non_trainable": 0}
    assert info["layers"][1]["weights"][0] == {"name": "conv2d_1/kernel:0",
                                               "shape": [5, 5, 3, 24], "dtype": "float32"}
    assert isinstance(info["warnings"], list) and info["nodes"] == []


def test_info_human_summary():
    result = run_cli("info", str(SAMPLE))
    assert result.returncode == 0
    assert "Total params:         5,194" in result.stdout
    assert "Non-trainable params: 32" in result.stdout


def test_unreadable_file_exits_2_with_one_line(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not really hdf5" * 10)
    result = run_cli("info", str(junk))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"kinspect: {junk}: not a model file kinspect can read"
    missing = run_cli("info", str(tmp_path / "nope.h5"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"kinspect: {tmp_path / 'nope.h5'}: no such file or directory"


def test_version_and_bad_usage():
    assert run_cli("--version").stdout.startswith("kinspect ")
    bad = run_cli("info")
    assert bad.returncode == 2 and bad.stderr.startswith("kinspect: ")
    assert "Traceback" not in bad.stderr


def test_screenshot(tmp_path):
    out = tmp_path / "shot.png"
    result = run_cli("--screenshot", str(out), str(SAMPLE))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG")
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500


def test_screenshot_of_bad_file_exits_2(tmp_path):
    junk = tmp_path / "junk.pb"
    junk.write_bytes(b"")
    result = run_cli("--screenshot", str(tmp_path / "x.png"), str(junk))
    assert result.returncode == 2
    assert f"{junk}: file is empty" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_output_cut_short_by_a_closed_pipe_is_quiet():
    import subprocess
    import sys

    from .conftest import ROOT

    proc = subprocess.run(
        f"{sys.executable} -m kinspect.cli info --json "
        f"{corpus_path('gru-pb')} | head -c 10",
        shell=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stdout == '{\n "path":'
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
