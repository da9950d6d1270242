"""`kinspect compare` through the front door on models the tests build with Keras / TF, with
answers computed by Keras itself."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.compare.builders import CHANGED_LAYER, LAYERS, activations
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def compare_json(*args: str) -> tuple[int, dict]:
    proc = run_cli("compare", *args, "--json")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("other", ["m.pb", "sm"])
def test_keras_against_its_frozen_graph_and_savedmodel(built, other):
    d = built["dir"]
    rc, report = compare_json(str(d / "m.h5"), str(d / other), "--input", f"x={d / 'x.npy'}")
    assert rc == 0 and report["equal"] is True
    assert [row["a"] for row in report["layers"]] == LAYERS
    assert all(row["ok"] and row["max_abs"] <= 1e-5 for row in report["layers"])
    assert report["first_divergence"] is None
    # every Keras layer found its scope in the graph, and its kernel and bias their constants
    assert {p["a"] for p in report["structure"]["matched"]} >= set(LAYERS)
    assert report["weights"]["compared"] == 6 and report["weights"]["identical"] == 6
    (out,) = report["outputs"].values()
    assert out["ok"] and out["max_abs"] <= 1e-5


def test_changed_kernel_is_the_first_divergence(built):
    d = built["dir"]
    rc, report = compare_json(str(d / "m.h5"), str(d / "m_changed.h5"),
                              "--input", f"x={d / 'x.npy'}")
    assert rc == 1 and report["equal"] is False
    want_a = activations(built["model"], built["x"])
    want_b = activations(built["changed"], built["x"])
    rows = {row["a"]: row for row in report["layers"]}
    for name in LAYERS:
        expected = float(np.abs(want_a[name].astype(np.float64) - want_b[name]).max())
        assert rows[name]["max_abs"] == pytest.approx(expected, rel=1e-5, abs=1e-7)
    first = report["first_divergence"]
    assert first["a"] == CHANGED_LAYER and first["b"] == CHANGED_LAYER
    before = LAYERS[: LAYERS.index(CHANGED_LAYER)]
    assert all(rows[n]["ok"] and rows[n]["max_abs"] == 0.0 for n in before)
    assert first["inputs_max_abs"] == {"dense": 0.0}  # diverges here, not inherited
    (diff,) = report["weights"]["differing"]
    ka = built["model"].get_layer(CHANGED_LAYER).get_weights()[0].astype(np.float64)
    kb = built["changed"].get_layer(CHANGED_LAYER).get_weights()[0]
    assert diff["a"].startswith(f"{CHANGED_LAYER}/kernel")
    assert diff["max_abs"] == float(np.abs(ka - kb).max())
    assert diff["max_rel"] == float((np.abs(ka - kb) / np.maximum(np.abs(ka), np.abs(kb))).max())


def test_no_run_compares_weights_only(built):
    d = built["dir"]
    rc, report = compare_json(str(d / "m.h5"), str(d / "m_changed.h5"), "--no-run")
    assert rc == 1 and report["ran"] is False and report["layers"] == []
    assert report["weights"]["compared"] == 6 and report["weights"]["identical"] == 5


def test_human_text_names_the_first_divergence(built):
    d = built["dir"]
    proc = run_cli("compare", str(d / "m.pb"), str(d / "m_changed.h5"))
    assert "weights: 6 compared, 5 identical" in proc.stdout
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "DIFFERENT" in proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("first divergence"))
    # A is the graph: the divergence is named by A's tensor and matched to the Keras layer
    assert "dense_1" in line and "~ dense_1" in line


def test_atol_loosens(built):
    d = built["dir"]
    rc, report = compare_json(str(d / "m.h5"), str(d / "m_changed.h5"), "--atol", "10")
    assert rc == 0 and report["first_divergence"] is None


def test_unknown_input_name_exits_2(built):
    d = built["dir"]
    proc = run_cli("compare", str(d / "m.h5"), str(d / "m.pb"), "--input", f"y={d / 'x.npy'}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == f"kinspect: {d / 'm.h5'}: input y: the model has no such input; its inputs: x"
