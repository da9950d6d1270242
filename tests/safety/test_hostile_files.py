"""Hostile and broken files: kinspect never runs code from a file, and every bad input gives one
clear line naming the file, in bounded time and memory.

The hostile files (tests/builders/hostile.py) each write a marker file when their code runs.
Each test does everything a user can do without trusting the file (open, info, scan, export
to JSON/YAML, the Netron view), asserts the marker is still absent, and then loads the file the
unsafe way to prove the marker does appear, i.e. the file really is hostile.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kinspect import cli
from kinspect.errors import FormatError
from kinspect.formats import open_document
from kinspect.safety import scan
from tests.builders.hostile import garbage_savedmodel, rewrite_keras_zip, zip_bomb_keras
from tests.conftest import corpus_path, run_cli

ALL_HOSTILE = ["pickle_h5", "npz", "yaml", "tf_keras_h5", "keras3", "savedmodel", "graphdef",
               "tflite", "checkpoint_save", "graphdef_save"]
REFUSED = {"pickle_h5", "npz", "yaml"}  # no reader may take these: open says why
KERAS_ARCH = {"tf_keras_h5", "keras3"}  # exportable to JSON / YAML without loading the model


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ALL_HOSTILE)
def test_no_code_runs_on_open_info_scan_export(hostile, tmp_path, name):
    h = hostile[name]
    assert not h.marker.exists()
    if name in REFUSED:
        with pytest.raises(FormatError) as err:
            open_document(h.path)
        assert err.value.path == str(h.path)
    else:
        doc = open_document(h.path)
        # Build every lazy branch, as browsing would.
        assert sum(1 for _ in doc.root.walk()) > 1
    code, out, err = _cli("info", "--json", str(h.path))
    assert code == (2 if name in REFUSED else 0), err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith(f"kinspect: {h.path}: ")
    code, out, _ = _cli("scan", "--json", str(h.path))
    assert code == 1
    report = json.loads(out)
    assert report["findings"]
    if name in KERAS_ARCH:
        for suffix in (".json", ".yaml"):
            dst = tmp_path / f"arch{suffix}"
            code, _, err = _cli("convert", str(h.path), str(dst))
            assert code == 0, err
            assert dst.stat().st_size > 0
    assert not h.marker.exists(), f"{name}: kinspect ran code from the file"
    if h.prove is None:
        return
    h.prove()
    assert h.marker.exists(), f"{name}: the test file is not hostile after all"
    h.marker.unlink()


@pytest.mark.parametrize("name", ["tf_keras_h5", "savedmodel"])
def test_netron_view_runs_no_code(hostile, tmp_path, name):
    h = hostile[name]
    shot = tmp_path / "netron.png"
    result = run_cli("--screenshot", str(shot), "--view", "netron", str(h.path), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 0
    assert not h.marker.exists()


# --- bad input: each a FormatError naming the file, fast and small -------------------------

def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _truncated(src: Path, tmp: Path, name: str, keep: float = 0.5) -> Path:
    data = src.read_bytes()
    return _write(tmp, name, data[:int(len(data) * keep)])


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    return "\n".join(lines) + "\n"


def _keras_with_config(tmp: Path, config: bytes) -> Path:
    src = corpus_path("flownet-keras")
    path = tmp / "broken_config.keras"
    return rewrite_keras_zip(src, path, config)


LFS = ("version https://git-lfs.github.com/spec/v1\n"
       "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
       "size 92345678\n")

# name -> (builder, words the one-line message must contain)
BAD: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "empty": (lambda t: _write(t, "model.h5", b""), ("empty",)),
    "random": (lambda t: _write(t, "model.h5", os.urandom(1 << 16)), ("not a model",)),
    "lfs": (lambda t: _write(t, "inception.h5", LFS), ("Git LFS pointer", "git lfs pull")),
    "pickle": (lambda t: _write(t, "transformer.h5", b"\x80\x04\x95" + bytes(40)),
               ("pickle",)),
    "truncated_h5": (lambda t: _truncated(corpus_path("cryptoann-h5"),
                                          t, "cut.h5"), ()),
    "truncated_keras": (lambda t: _truncated(
        corpus_path("flownet-keras"), t, "cut.keras"), ()),
    "truncated_pb": (lambda t: _truncated(corpus_path("fc-layers-pb"),
                                          t, "cut.pb", 0.3), ()),
    "truncated_tflite": (lambda t: _truncated(
        corpus_path("regression-tflite"), t, "cut.tflite", 0.4), ()),
    "json_not_model": (lambda t: _write(t, "model.json", '{"name": "not a model"}'), ()),
    "json_list": (lambda t: _write(t, "model.json", "[1, 2, 3]"), ()),
    "json_deep": (lambda t: _write(t, "model.json", "[" * 100_000 + "]" * 100_000), ()),
    "json_deep_in_model": (lambda t: _write(
        t, "model.json", '{"class_name": "Sequential", "config": ' + "[" * 100_000
        + "]" * 100_000 + "}"), ()),
    "yaml_not_model": (lambda t: _write(t, "model.yaml", "- just\n- a list\n"), ()),
    "yaml_alias_bomb": (lambda t: _write(t, "model.yaml", _alias_bomb()), ("alias",)),
    "yaml_alias_bomb_in_model": (lambda t: _write(
        t, "model.yaml", _alias_bomb() + "class_name: Sequential\nkeras_version: 2.1.3\n"
        "config:\n- class_name: Dense\n  config: {name: d, units: *a8}\n"), ("alias",)),
    "zip_bomb": (zip_bomb_keras, ("zip bomb",)),
    "keras_garbage_config": (lambda t: _keras_with_config(t, b"\x00\xff garbage"), ()),
    "keras_deep_config": (lambda t: _keras_with_config(
        t, b'{"class_name": "Sequential", "config": {"layers": ' + b"[" * 100_000
        + b"]" * 100_000 + b"}}"), ()),
    "savedmodel_garbage": (garbage_savedmodel, ()),
    "savedmodel_empty_pb": (lambda t: _empty_savedmodel(t), ()),
    "hdf5_not_keras": (lambda t: _plain_hdf5(t), ("HDF5",)),
}


def _empty_savedmodel(tmp: Path) -> Path:
    path = tmp / "empty_savedmodel"
    path.mkdir()
    (path / "saved_model.pb").write_bytes(b"")
    return path


def _plain_hdf5(tmp: Path) -> Path:
    import h5py

    path = tmp / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = [1, 2, 3]
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_clear_error(tmp_path, case):
    build, words = BAD[case]
    path = build(tmp_path)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(FormatError) as err:
            open_document(path)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    line = err.value.one_line()
    assert err.value.path == str(path)
    assert "\n" not in line and line.startswith(f"{path}: ")
    assert "Traceback" not in line and len(line) < 400, line
    for word in words:
        assert word in line, line
    assert elapsed < 10, f"{case}: {elapsed:.1f} s"
    assert peak < 200 << 20, f"{case}: peak {peak >> 20} MiB"


@pytest.mark.parametrize("case", ["lfs", "zip_bomb", "savedmodel_garbage", "json_deep"])
def test_bad_input_cli_exit_2_one_line(tmp_path, case):
    path = BAD[case][0](tmp_path)
    for command in ("info", "scan"):
        result = run_cli(command, str(path), timeout=60)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"kinspect: {path}: "), lines


def test_wrong_extension_opens_by_content(tmp_path):
    src = corpus_path("regression-pb")
    misnamed = _write(tmp_path, "model.h5", src.read_bytes())
    doc = open_document(misnamed)
    assert doc.format == "tf-graphdef"
    assert len(doc.nodes) == 8  # PROVENANCE #45: GraphDef with 8 nodes
    # PROVENANCE #29: a Keras 3 zip, Sequential of 8 layers (InputLayer included), named .h5.
    zipped = _write(tmp_path, "final_model.h5",
                    corpus_path("flownet-keras").read_bytes())
    doc = open_document(zipped)
    assert doc.format == "keras" and doc.summary.total == 10_786
    assert scan(zipped).findings == []


@pytest.mark.parametrize(("name", "args"), [
    ("tf_keras_h5", ["out.keras"]),
    ("keras3", ["out.h5"]),
    ("savedmodel", ["out.pb", "--verify"]),
])
def test_convert_refuses_code_without_trust(hostile, tmp_path, name, args):
    """Conversions that load or run the model ask the scan first and stop without --trust-code."""
    h = hostile[name]
    dst = tmp_path / args[0]
    code, out, err = _cli("convert", str(h.path), str(dst), *args[1:])
    assert code == 2 and out == ""
    assert err.startswith(f"kinspect: {h.path}: ") and "--trust-code" in err
    assert err.count("\n") == 1
    assert not dst.exists()
    assert not h.marker.exists()


@pytest.mark.parametrize("part", ["keras_metadata.pb", "fingerprint.pb",
                                  "variables/variables.index", "saved_model.pb"])
def test_savedmodel_with_garbage_part(tmp_path, part):
    """A SavedModel whose parts are garbage opens with a warning or fails with one line."""
    import shutil

    folder = tmp_path / "sm"
    shutil.copytree(corpus_path("tfnet-savedmodel"), folder)
    (folder / part).parent.mkdir(parents=True, exist_ok=True)
    (folder / part).write_bytes(b"\xff\xfe garbage \x00" * 50)
    for action in (open_document, lambda p: _cli("scan", str(p))):
        try:
            action(folder)
        except FormatError as exc:
            assert exc.path == str(folder) and "\n" not in exc.one_line()


@pytest.mark.parametrize("protocol", range(6))
def test_pickle_of_any_protocol_named_h5(tmp_path, protocol):
    """Told from its opcodes by pickletools (never unpickled), whatever the protocol."""
    import pickle

    import numpy as np

    path = tmp_path / "model.h5"
    path.write_bytes(pickle.dumps({"weights": np.arange(3000.0), "name": "m"},
                                  protocol=protocol))
    with pytest.raises(FormatError) as err:
        open_document(path)
    assert "pickle" in err.value.one_line()
    code, out, _ = _cli("scan", "--json", str(path))
    assert code == 1 and json.loads(out)["findings"][0]["kind"] == "pickle"


def test_zip_entry_lying_about_its_size(tmp_path):
    """A `.keras` whose config.json declares 200 bytes but inflates to 64 MiB: zipfile stops
    at the declared size (the CRC then fails), so memory stays bounded."""
    import struct

    path = tmp_path / "liar.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", b'{"class_name": "Sequential", "config": {"layers": []}}'
                   + b" " * (64 << 20))
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(sig, start)) >= 0:
            name_at = start + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 11] == b"config.json":
                struct.pack_into("<I", data, start + offset, 200)
            start += 4
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("config.json").file_size == 200
    tracemalloc.start()
    try:
        with pytest.raises(FormatError) as err:
            open_document(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.path == str(path) and "\n" not in err.value.one_line()
    assert peak < 16 << 20
    with pytest.raises(FormatError):
        scan(path)
