"""The Compare view through the window: File > Compare with… on a diverging pair built with
Keras (one kernel changed), the comparison on the real worker, the first divergence row
highlighted, both trees in step, and the difference histogram equal to numpy's."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from tests.compare.builders import CHANGED_LAYER, LAYERS

pytestmark = pytest.mark.slow

SHOT = "/tmp/kinspect_compare_view.png"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from tests.compare.builders import build

    built = build(tmp_path_factory.mktemp("compare_view"))
    return built["dir"] / "m.h5", built["dir"] / "m_changed.h5"


def test_compare_with_shows_the_first_divergence(qtbot, window, pair, monkeypatch):
    from kinspect.ui.compare.layer_table import FIRST_BRUSH
    from kinspect.ui.compare.trees import CHANGED
    from kinspect.ui.compare.view import CompareView

    a, b = pair
    answers = iter([str(a), str(b)])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kw: (next(answers), "")))
    assert window.compare_action.text() == "Compare &with…"
    window.compare_action.trigger()  # no document open: asks for A, then B
    view = window.tabs.currentWidget()
    assert isinstance(view, CompareView)
    with qtbot.waitSignal(view.finished, timeout=180_000) as blocker:
        pass
    c = blocker.args[0]
    assert not c.equal and c.divergence.a == CHANGED_LAYER
    assert view.verdict.text() == "DIFFERENT"

    table = view.layers
    row = table.first_row
    assert table.rows[row].a == CHANGED_LAYER and row == LAYERS.index(CHANGED_LAYER)
    assert table.table.item(row, 1).background().color() == FIRST_BRUSH.color()
    assert table.table.currentRow() == row
    assert table.table.item(0, 5).text() == "ok"  # dense, before it, is equal
    assert "First divergence: dense_1" in table.summary.text()

    # the table's row selected the layer in both trees, and they stay in step
    trees = view.trees
    assert trees.tree_a.currentItem().text(0) == CHANGED_LAYER
    assert trees.tree_b.currentItem().text(0) == CHANGED_LAYER
    index = trees.tree_a.indexOfTopLevelItem(trees.tree_a.currentItem())
    assert trees.status_of_row(index) == CHANGED  # its kernel differs
    trees.tree_a.currentItem().setExpanded(True)
    assert trees.tree_b.currentItem().isExpanded()

    # the histogram of B - A for the selected activation is numpy's
    va, vb = c.values[CHANGED_LAYER]
    want, _ = np.histogram(vb.astype(np.float64) - va, bins=len(view.diff.histogram()))
    assert view.diff.histogram() == [float(x) for x in want]
    assert sum(view.diff.histogram()) == va.size

    window.resize(1400, 850)
    qtbot.wait(200)
    assert window.grab().save(SHOT)


def test_dropping_a_file_compares_with_it(qtbot, window, pair):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from kinspect.ui.compare.hook import open_compare

    a, b = pair
    view = open_compare(window, str(a), str(b))
    with qtbot.waitSignal(view.finished, timeout=180_000) as blocker:
        pass
    assert not blocker.args[0].equal
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(a))])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(view.finished, timeout=180_000) as blocker:
        view.dropEvent(drop)  # A against the dropped file: itself
    assert blocker.args[0].equal and view.verdict.text() == "EQUAL within tolerance"
    assert view.path_b == str(a) and view.layers.first_row is None


def test_save_as_failed_verification_names_the_first_diverging_layer(qtbot, window, tmp_path):
    """Save As with Verify on a model whose Lambda adds fresh noise: the failure message in
    the dialog names the layer where source and result part."""
    from PySide6.QtWidgets import QMessageBox

    from tests.compare.test_verify_divergence import noisy_model
    from tests.ui.conftest import open_view

    src = tmp_path / "noisy.h5"
    noisy_model(src)
    open_view(qtbot, window, src)
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("tf-graphdef")
    dialog.set_option("verify", True)
    dst = tmp_path / "noisy.pb"
    dialog.destination.setText(str(dst))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.trust_box is not None, timeout=30_000)
    with qtbot.waitSignal(dialog.failed, timeout=180_000) as blocker:
        dialog.trust_box.button(QMessageBox.StandardButton.Yes).click()
    message = blocker.args[0]
    assert "verification failed" in message and not dst.exists()
    assert "first diverging layer: noise (result: " in message
    assert "its inputs' max_abs: dense 0;" in message
    assert message in dialog.status.text()


def test_a_row_selects_the_layer_in_the_open_documents(qtbot, window, pair, monkeypatch):
    """Compare with… from an open document (A), B a frozen graph of the changed model: the
    table's row selects the layer in A's tab and the graph node in B's tab."""
    from kinspect.ui.compare.view import CompareView
    from tests.compare.builders import freeze
    from tests.ui.conftest import open_view

    a, b = pair
    import keras

    frozen = b.parent / "changed.pb"
    freeze(keras.models.load_model(b, compile=False), frozen)
    view_b = open_view(qtbot, window, frozen)
    view_a = open_view(qtbot, window, a)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kw: (str(frozen), "")))
    window.compare_action.trigger()  # A is the current document: asks only for B
    compare = window.tabs.currentWidget()
    assert isinstance(compare, CompareView) and compare.path_a == str(a)
    with qtbot.waitSignal(compare.finished, timeout=180_000) as blocker:
        pass
    div = blocker.args[0].divergence
    assert div.a == CHANGED_LAYER and div.b.endswith("/Tanh:0")  # dense_1's output in the graph
    table = compare.layers.table
    table.selectRow(0)
    table.selectRow(compare.layers.first_row)
    assert view_a.current_node().name == CHANGED_LAYER
    node_b = view_b.current_node()
    assert node_b.name == div.b.split(":")[0] and node_b.type == "Tanh"
