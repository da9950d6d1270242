"""A frozen .pb says what to feed and what to fetch on its Summary page (issue 15, defect 5),
with the facts PROVENANCE.md gives for the tf2onnx graphs."""

from __future__ import annotations

from ..conftest import corpus_path
from .conftest import open_view


def _io(qtbot, window, doc_id) -> str:
    view = open_view(qtbot, window, corpus_path(doc_id))
    page = view.show_page("Summary")
    qtbot.waitUntil(lambda: "finding" not in page.io.text(), timeout=30_000)
    assert page.io.isVisible()
    return page.io.text()


def test_frozen_pb_lists_inputs_and_outputs(qtbot, window):
    text = _io(qtbot, window, "fc-layers-pb")  # input X:0 [1,784] (stored [None, 784]) -> output:0
    assert "X:0 (float32, [None, 784])" in text
    assert "<b>Outputs:</b> output:0" in text


def test_two_inputs_and_a_training_graph(qtbot, window):
    text = _io(qtbot, window, "gru-pb")  # inputs X:0, keep_prob:0; output output:0
    assert "X:0" in text and "keep_prob:0" in text and "output:0" in text
    text = _io(qtbot, window, "regression-checkpoint")  # X, Y placeholders; --outputs pred:0
    assert "<b>Outputs:</b> pred:0" in text
