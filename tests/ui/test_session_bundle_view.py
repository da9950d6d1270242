"""A SessionBundle export opened in the window: its Signatures branch (from the
`serving_signatures` collection) and its V1 variables, values shown when a row is picked."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kinspect.ui.tree_model import SHAPE, TYPE
from tests.builders.tf1 import EMB
from tests.conftest import ROOT

from .conftest import open_view

pytestmark = pytest.mark.slow


def _rows(model, parent):
    return [model.index(r, 0, parent) for r in range(model.rowCount(parent))]


def _named(model, parent, name):
    return next(i for i in _rows(model, parent) if model.data(i) == name)


def test_session_bundle_in_the_window(qtbot, window, tmp_path):
    build = ("import sys; from pathlib import Path; from tests.builders import tf1; "
             "tf1.session_bundle(Path(sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-c", build, str(tmp_path / "serving")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    view = open_view(qtbot, window, tmp_path / "serving")
    model = view.model
    (top,) = _rows(model, view.tree.rootIndex())
    signatures = _named(model, top, "Signatures")
    assert [model.data(i) for i in _rows(model, signatures)] == ["default", "inputs", "outputs"]
    default = _named(model, signatures, "default")
    assert model.data(default.siblingAtColumn(TYPE)) == "regression"
    outputs = _named(model, default, "outputs")
    (output,) = _rows(model, outputs)
    assert (model.data(output), model.data(output.siblingAtColumn(TYPE))) == ("output", "y:0")
    variables = _named(model, top, "Variables")
    emb = _named(model, variables, "emb")
    assert model.data(emb.siblingAtColumn(SHAPE)) == "(10, 3)"
    view.tree.setCurrentIndex(emb)
    table = view.details.table
    details = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert details["dtype"] == "float32"
    tensor_view = view.details.tensor_view
    qtbot.waitUntil(lambda: tensor_view.values is not None, timeout=20_000)
    # The 3 slices put together, as the builder wrote them: emb[i][j] = 3 i + j.
    np.testing.assert_array_equal(tensor_view.values, np.asarray(EMB, dtype=np.float32))
