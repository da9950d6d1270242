"""`kinspect compare` on corpus files and on file pairs the tests make with TensorFlow/Keras:
a weights-only file and its full model, an .h5 and kinspect's .keras conversion, two
checkpoints of one training, JSON and YAML of one architecture, float and quantized .tflite."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import yaml

from tests.compare.builders import mlp, tflite_pair, two_checkpoints
from tests.conftest import corpus_path, run_cli


def compare_json(*args: str) -> tuple[int, dict]:
    proc = run_cli("compare", *args, "--json")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def test_weights_only_file_against_its_full_model():
    weights = corpus_path("alphabet-soup-weights")
    full = corpus_path("alphabet-soup-h5")
    rc, report = compare_json(str(weights), str(full))
    assert rc == 0 and report["equal"] is True
    assert report["ran"] is False and "weights only" in report["not_run"]
    w = report["weights"]
    assert w["compared"] == 6 and w["identical"] == 6 and w["differing"] == []
    # PROVENANCE: 849 params; h5py agrees value by value
    with h5py.File(weights) as fw, h5py.File(full) as ff:
        total = 0
        for layer in ("dense", "dense_1", "dense_2"):
            for var in ("kernel:0", "bias:0"):
                a = fw[f"{layer}/{layer}/{var}"][()]
                b = ff[f"model_weights/{layer}/{layer}/{var}"][()]
                assert np.array_equal(a, b)
                total += a.size
    assert total == 849
    assert report["structure"]["counts"] == {"equal": 3, "changed": 0, "added": 0,
                                             "removed": 0}


@pytest.mark.slow
def test_keras2_h5_against_kinspects_keras_conversion(tmp_path):
    src = corpus_path("alphabet-soup-h5")
    dst = tmp_path / "soup.keras"
    conv = run_cli("convert", str(src), str(dst))
    assert conv.returncode == 0, conv.stderr[-2000:]
    rc, report = compare_json(str(src), str(dst))
    assert rc == 0 and report["equal"] is True, report
    assert [row["a"] for row in report["layers"]] == ["dense", "dense_1", "dense_2"]
    assert all(row["ok"] and row["max_abs"] == 0.0 for row in report["layers"])
    assert report["weights"]["identical"] == 6
    assert report["inputs"]["dense_input"]["shape"] == [2, 43]  # PROVENANCE: (None, 43)


@pytest.mark.slow
def test_two_checkpoints_of_one_training(tmp_path):
    import tensorflow as tf

    one, two = two_checkpoints(tmp_path)
    rc, report = compare_json(one, two)
    assert rc == 1 and report["ran"] is False
    assert report["structure"]["counts"]["changed"] == 0
    assert report["weights"]["only_a"] == [] and report["weights"]["only_b"] == []
    ra, rb = tf.train.load_checkpoint(one), tf.train.load_checkpoint(two)
    differing = {d["a"]: d for d in report["weights"]["differing"]}
    names = [n for n in ra.get_variable_to_shape_map() if n != "_CHECKPOINTABLE_OBJECT_GRAPH"]
    changed = 0
    for name in names:
        a, b = ra.get_tensor(name), rb.get_tensor(name)
        want = float(np.abs(np.float64(a) - b).max())
        if want == 0:
            assert name not in differing
        else:
            changed += 1
            assert differing[name]["max_abs"] == want and not differing[name]["ok"]
    assert report["weights"]["compared"] == len(names)
    assert changed == 7  # six weights moved by SGD, the iteration counter 1 -> 2


def test_json_and_yaml_of_one_architecture(tmp_path):
    pytest.importorskip("keras")
    text = mlp().to_json()
    (tmp_path / "m.json").write_text(text)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(json.loads(text)))
    rc, report = compare_json(str(tmp_path / "m.json"), str(tmp_path / "m.yaml"))
    assert rc == 0 and report["equal"] is True
    assert report["structure"]["counts"] == {"equal": 4, "changed": 0, "added": 0,
                                             "removed": 0}
    config = json.loads(text)
    config["config"]["layers"][2]["config"]["units"] = 9
    (tmp_path / "m9.yaml").write_text(yaml.safe_dump(config))
    rc, report = compare_json(str(tmp_path / "m.json"), str(tmp_path / "m9.yaml"))
    assert rc == 1
    changed = {row["a"]: row["changes"] for row in report["structure"]["changed"]}
    assert set(changed) == {"dense_1", "probs"}  # the next layer's kernel follows
    assert "units: 8 -> 9" in changed["dense_1"]
    assert "weight kernel shape (8, 3) -> (9, 3)" in changed["probs"]


@pytest.mark.slow
def test_float_tflite_against_dynamic_range_quantized(tmp_path):
    f, q = tflite_pair(tmp_path)
    rc, report = compare_json(str(f), str(q))
    assert rc == 1 and report["equal"] is False
    (out,) = report["outputs"].values()
    assert not out["ok"] and out["max_abs"] > 1e-4
    names = [row["a"] for row in report["layers"]]
    assert len(names) == 3 and "wide" in names[0]
    first = report["first_divergence"]
    assert first["a"] == names[0] and set(first["inputs_max_abs"].values()) == {0.0}
    quantized = [d for d in report["weights"]["differing"] if "int8" in d.get("problem", "")]
    assert len(quantized) == 2  # the two 64-wide kernels; the 64x4 head stays float


def test_unreadable_file_exits_2(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a model")
    proc = run_cli("compare", str(bad), str(corpus_path("alphabet-soup-h5")))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith(f"kinspect: {bad}:")
    assert "Traceback" not in proc.stderr
