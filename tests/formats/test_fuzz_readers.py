"""Bounded fuzzing of every reader and of the scan (hypothesis): mutated real files, random
bytes behind each format's magic, random Keras-like JSON. Whatever the bytes, kinspect either
returns a Document / ScanReport or raises one of its typed errors (KinspectError); any other
exception, a hang or a crash is a bug.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinspect.errors import KinspectError
from kinspect.formats import open_document
from kinspect.safety import scan
from tests.conftest import CORPUS, corpus_entry, corpus_path

# Small real files of each format (tests/corpus/manifest.json ids), mutated below.
SEEDS = [
    "regression-pb",
    "tfcr-pbtxt",
    "half-plus-two-tflite",
    "credit-fraud-json",
    "mnist-server-yaml",
    "alphabet-soup-weights",
    "alphabet-soup-h5",
    "nested-container-keras",
    "churn-onnx",
    "regression-checkpoint-meta",
]
SAVEDMODEL = "times-three-savedmodel"

MAGICS = [b"\x89HDF\r\n\x1a\n", b"PK\x03\x04", b"\x1c\x00\x00\x00TFL3", b"\x80\x04\x95",
          b'{"class_name": "Sequential", "config": ', b"class_name: Sequential\nconfig:\n",
          b"node {\n  name: ", b"\x08\x07\x12\x07", b"\x93NUMPY\x01\x00",
          b"version https://git-lfs.github.com/spec/v1\n"]
# KINSPECT_FUZZ_EXAMPLES=2000 KINSPECT_FUZZ_RANDOM=1 for a longer, randomised run by hand.
SUFFIXES = [".h5", ".keras", ".json", ".yaml", ".pb", ".pbtxt", ".tflite", ".onnx", ".meta",
            ".npz", ""]

FUZZ = settings(max_examples=int(os.environ.get("KINSPECT_FUZZ_EXAMPLES", "200")),
                deadline=5000, derandomize=not os.environ.get("KINSPECT_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seed_bytes() -> dict[str, bytes]:
    """Read at import (hypothesis draws from them): a missing seed is reported by
    test_every_seed_is_there, which fails in CI."""
    out = {}
    for entry_id in SEEDS:
        rel = corpus_entry(entry_id)["path"]  # keyed by path: the mutant keeps the file name
        if (CORPUS / rel).is_file():
            out[rel] = (CORPUS / rel).read_bytes()
    return out


SEED_BYTES = _seed_bytes()


def _exercise(path: Path) -> None:
    """Open and browse as a user would, then scan; only typed errors may escape."""
    try:
        doc = open_document(path)
    except KinspectError as exc:
        assert exc.path == str(path)
        assert "\n" not in exc.one_line()
    else:
        json.dumps(doc.to_json(), default=str)
        for _node in doc.root.walk():
            pass
    try:
        scan(path)
    except KinspectError as exc:
        assert exc.path == str(path)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(sorted(SEED_BYTES)))
    data = bytearray(SEED_BYTES[rel])
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[pos:pos + draw(st.integers(1, 4096))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif data:
            end = pos + draw(st.integers(1, 256))
            data[pos:end] = bytes(len(data[pos:end]))
    return rel, bytes(data)


@pytest.mark.parametrize("entry_id", SEEDS)
def test_every_seed_is_there(entry_id):
    assert corpus_path(entry_id).is_file()  # skips when missing, fails in CI


@pytest.fixture(scope="module")
def savedmodel_src() -> Path:
    return corpus_path(SAVEDMODEL)  # skips when missing, fails in CI


@pytest.fixture(scope="module")
def workdir():
    folder = Path(tempfile.mkdtemp(prefix="kinspect-fuzz-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(not SEED_BYTES, reason="corpus missing")
@FUZZ
@given(case=mutated())
def test_mutated_real_files(workdir, case):
    rel, data = case
    path = workdir / Path(rel).name
    path.write_bytes(data)
    _exercise(path)


@FUZZ
@given(magic=st.sampled_from(MAGICS), tail=st.binary(max_size=4096),
       suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_behind_magic(workdir, magic, tail, suffix):
    path = workdir / f"random{suffix}"
    path.write_bytes(magic + tail)
    _exercise(path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["Lambda", "Sequential", "Dense", "Functional"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["class_name", "config", "layers", "name", "layer",
                                       "inbound_nodes", "module", "registered_name",
                                       "function", "build_config", "input_layers"]),
                      inner, max_size=5),
    max_leaves=40)


@FUZZ
@given(config=JSON_VALUES, class_name=st.sampled_from(["Sequential", "Functional", "Model",
                                                      "Lambda", "Bidirectional"]))
def test_random_keras_configs(workdir, config, class_name):
    path = workdir / "model.json"
    path.write_text(json.dumps({"class_name": class_name, "config": config,
                                "keras_version": "2.4.0", "backend": "tensorflow"}))
    _exercise(path)


@settings(max_examples=40, deadline=5000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_savedmodel(workdir, savedmodel_src, data):
    folder = workdir / "sm"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(savedmodel_src, folder)
    pb = bytearray((folder / "saved_model.pb").read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(pb) - 1))
        pb[pos] ^= data.draw(st.integers(1, 255))
    (folder / "saved_model.pb").write_bytes(bytes(pb))
    _exercise(folder)
