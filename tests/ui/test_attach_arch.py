"""File > Attach architecture…: a weights-only document plus its JSON opens as the combined
model in a new tab (facts from the corpus PROVENANCE.md)."""

from __future__ import annotations

from kinspect.ui.tree_model import PARAMS, TYPE

from ..conftest import corpus_path
from .conftest import open_view


def test_attach_architecture_opens_the_pair(qtbot, window):
    weights = corpus_path("credit-fraud-weights")
    arch = corpus_path("credit-fraud-json")
    view = open_view(qtbot, window, weights)
    assert view.document.format == "keras-weights-h5"
    assert window.attach_action.isEnabled()
    with qtbot.waitSignal(window.document_opened, timeout=20_000) as blocker:
        window.attach_architecture(str(arch))
    paired = blocker.args[0]
    assert window.tabs.count() == 2
    assert window.tabs.currentWidget() is paired
    assert window.tabs.tabText(1) == "model.h5 + model.json"
    assert paired.document.extra["pairing"]["counts"]["matched"] == 5
    model = paired.model
    top = model.index(0, 0, paired.tree.rootIndex())
    assert model.data(top.siblingAtColumn(TYPE)) == "Sequential"
    assert model.data(top.siblingAtColumn(PARAMS)) == "1,711"
    # A layer now has its class from the architecture: Dropout at position 3 (clf.py).
    assert [la.class_name for la in paired.document.layers][2] == "Dropout"


def test_attach_is_only_for_weights_documents(qtbot, window):
    open_view(qtbot, window, corpus_path("cryptoann-h5"))
    assert not window.attach_action.isEnabled()


def test_attach_bad_architecture_shows_dialog(qtbot, window, tmp_path):
    open_view(qtbot, window, corpus_path("battery-weights"))
    junk = tmp_path / "arch.json"
    junk.write_text("{\"class_name\": \"Sequential\", \"config\": ")
    with qtbot.waitSignal(window.open_failed, timeout=20_000) as blocker:
        window.attach_architecture(str(junk))
    assert str(junk) in blocker.args[0]
    assert window.error_dialog is not None and window.error_dialog.isVisible()
    assert window.tabs.count() == 1
