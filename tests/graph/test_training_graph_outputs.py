"""Output suggestions for TF1 training graphs: the prediction, not the loss or gradients."""

from __future__ import annotations

from kinspect.formats import open_document
from kinspect.graph.outputs import candidates

from ..conftest import corpus_path


def test_tf1_checkpoint_suggests_pred_first() -> None:
    """tf2onnx's regression checkpoint is used with `--outputs pred:0` (PROVENANCE #53); its
    sinks are the loss (truediv) and gradients/*, and pred feeds the loss."""
    doc = open_document(corpus_path("regression-checkpoint"))
    found = candidates(doc)
    assert found[0].node == "pred" and found[0].tensor == "pred:0"
    assert "prediction" in found[0].reason
    names = [c.node for c in found]
    assert "Y" not in names and "X" not in names
    first_gradient = next(i for i, n in enumerate(names) if n.startswith("gradients"))
    assert names.index("pred") < first_gradient


def test_inference_graph_with_two_placeholders_keeps_its_output() -> None:
    """The GRU frozen graph has X and keep_prob but no training part: output stays first."""
    doc = open_document(corpus_path("gru-pb"))
    assert candidates(doc)[0].node == "output"
