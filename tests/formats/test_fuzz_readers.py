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
from tests.conftest import CORPUS

# Small real files of each format, mutated below.
SEEDS = [
    "frozen_pb/tf2onnx_regression/frozen.pb",
    "graphdef_pbtxt/fazibear_tfcr_graph/graph.pbtxt",
    "tflite/tfserving_half_plus_two/00000123/model.tflite",
    "keras_arch/daksh_credit_fraud/model.json",
    "keras_arch/meganad_mnist_server/model.yaml",
    "keras_h5_weights/alphabet_soup_ahmadhha/model_weights.h5",
    "keras_h5_full/alphabet_soup_ahmadhha/AlphabetSoupCharity.h5",
    "keras3/keras_pre_pr22362_nested_container/pre_pr22362_nested_container.keras",
    "onnx/deepak_churn_ann/model.onnx",
    "tf1_checkpoint/tf2onnx_regression_checkpoint/model.meta",
]
SAVEDMODEL = "savedmodel/tfjs_node_times_three_float"

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
    out = {}
    for rel in SEEDS:
        path = CORPUS / rel
        if path.is_file():
            out[rel] = path.read_bytes()
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


@pytest.mark.skipif(not (CORPUS / SAVEDMODEL).is_dir(), reason="corpus missing")
@settings(max_examples=40, deadline=5000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_savedmodel(workdir, data):
    folder = workdir / "sm"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(CORPUS / SAVEDMODEL, folder)
    pb = bytearray((folder / "saved_model.pb").read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(pb) - 1))
        pb[pos] ^= data.draw(st.integers(1, 255))
    (folder / "saved_model.pb").write_bytes(bytes(pb))
    _exercise(folder)
