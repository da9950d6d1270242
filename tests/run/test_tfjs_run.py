"""`kinspect run` on the corpus's TF.js models: the known input -> output pairs of
corpus/tfjs/PROVENANCE.md (computed there with tfjs 4.22.0 and cross-checked with numpy),
run by the TensorFlow.js runtime kinspect drives; without Node, one clear line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kinspect.convert import tfjs_runtime
from tests.conftest import corpus, in_ci, run_cli

ABUSIVE = [0.02118196338415146, 5.181961023481563e-05, 0.7020536661148071,
           0.00012581625196617097, 0.009058067575097084, 0.00011865993292303756]


@pytest.fixture(scope="module", autouse=True)
def runtime() -> None:
    why = tfjs_runtime.missing()
    if why:
        pytest.fail(why) if in_ci() else pytest.skip(why)


def _run(path: str, source: str) -> dict:
    proc = run_cli("run", path, "--input", source, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_celsius_layers_model() -> None:
    out = _run(str(corpus("tfjs/layers_albertjqm_celsius")), "[[100]]")
    assert out["outputs"]["dense"]["values"] == [[211.99652099609375]]


def test_linear_graph_model() -> None:
    out = _run(str(corpus("tfjs/graph_1010code_linear/model.json")), "[[0.6, 0.2]]")
    assert out["outputs"]["Identity"]["values"] == [2.0581021308898926]


def test_uint8_lstm_model(tmp_path) -> None:
    ids = tmp_path / "ids.npy"
    np.save(ids, np.arange(100, 200, dtype=np.float32)[None])
    out = _run(str(corpus("tfjs/layers_aa760_abusive_uint8")), str(ids))
    np.testing.assert_array_equal(np.float32(out["outputs"]["dense"]["values"]),
                                  np.float32([ABUSIVE]))


def test_without_node_says_so() -> None:
    proc = run_cli("run", str(corpus("tfjs/layers_albertjqm_celsius")), "--input", "[[1]]",
                   env={"PATH": "/nonexistent"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Node.js is not installed" in lines[0], proc.stderr
