"""The Outputs page: suggestions, picks shared with the tree, the freeze preview against
TensorFlow's own extract_sub_graph, and the picks going straight to the freeze exporter."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kinspect.ui.pages.outputs import OutputsPage

from ..conftest import corpus_path
from .conftest import open_view

GRU = "gru-pb"


def open_corpus(qtbot, window, rel):
    return open_view(qtbot, window, corpus_path(rel))


def test_graph_pick_preview_matches_tensorflow_and_freezes(qtbot, window, tmp_path):
    import tensorflow as tf
    from google.protobuf import text_format

    view = open_corpus(qtbot, window, GRU)
    page = view.page("Outputs")
    assert isinstance(page, OutputsPage)
    assert len(view.document.nodes) == 548  # PROVENANCE: GraphDef 548 nodes, output output:0
    qtbot.waitUntil(lambda: not page.finding, timeout=30_000)  # suggestions come on a worker
    names = [c.node for c in page.candidates]
    assert "output" in names
    page.pick_suggestion(names.index("output"))
    assert page.rows() == [("output", "output:0")]

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(corpus_path(GRU).read_bytes())
    kept = len(tf.compat.v1.graph_util.extract_sub_graph(graph_def, ["output"]).node)
    qtbot.waitUntil(lambda: page.kept() == (kept, 548), timeout=30_000)  # counted on a worker
    assert f"keeps {kept:,} of 548 nodes" in page.preview.text()

    # the tree's check box shows the same pick, and unticking there removes it here
    row = next(r for r in view.document.root.walk() if r.name == "output"
               and r.kind == "node")
    index = view.model.index_of(row)
    assert view.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    view.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert page.rows() == [] and "No outputs picked" in page.preview.text()
    view.model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert page.suggested.item(names.index("output"), 0).checkState() == Qt.CheckState.Checked

    # Freeze… opens Save As on the frozen graph target with the pick, nothing retyped
    page.freeze_button.click()
    dialog = window.save_as_dialog
    assert dialog.exporter.id == "tf-graphdef"
    assert dialog.values()["outputs"] == ["output"]
    dialog.suffix_box.setCurrentIndex(dialog.suffix_box.findData(".pbtxt"))
    dst = tmp_path / "out.pbtxt"
    dialog.destination.setText(str(dst))
    assert dialog.values()["verify"]  # ticked by default; off here: the GRU's inputs have no
    dialog.set_option("verify", False)  # recorded shape to verify with (tested elsewhere)
    with qtbot.waitSignal(dialog.converted, timeout=120_000) as done:
        dialog.export_button.click()
    assert done.args[0].outputs == ["output:0"]
    written = text_format.Parse(dst.read_text(), tf.compat.v1.GraphDef())
    assert len(written.node) == kept


def test_keras_layers_preview_and_page_absent_for_json(qtbot, window):
    view = open_corpus(qtbot, window, "alphabet-soup-h5")
    page = view.page("Outputs")
    qtbot.waitUntil(lambda: not page.finding, timeout=30_000)
    assert [c.node for c in page.candidates][0] == "dense_2"  # the model's declared output
    page.picks.set_picked("dense_1:0", True)  # a `:0` given anywhere is dropped for freezing
    # the frozen graph names a picked layer's output after it (convert/output_names.py)
    assert page.rows() == [("dense_1", "dense_1:0")]
    assert page.table.item(0, 5).text() == "(None, 8)"  # Dense(8) (PROVENANCE #8)
    assert page.table.cellWidget(0, 1) is not None and page.table.cellWidget(0, 3) is not None
    # Sequential InputLayer -> dense -> dense_1 -> dense_2: dense_1 keeps 3 of 4 layers
    qtbot.waitUntil(lambda: page.kept() == (3, 4), timeout=30_000)
    assert "keeps 3 of 4 layers" in page.preview.text()

    other = open_corpus(qtbot, window, "credit-fraud-json")
    assert other.page("Outputs") is None  # architecture only: nothing to freeze


def test_show_in_graph_draws_what_the_freeze_keeps_and_follows_picks(qtbot, window):
    from kinspect.graph.outputs import kept_nodes

    view = open_corpus(qtbot, window, "regression-checkpoint-meta")
    page = view.page("Outputs")
    page.picks.set_picked("pred", True)
    page.show_in_graph()
    graph = view.page("Graph")
    assert view.pages.currentWidget() is graph
    assert graph.focus_names == kept_nodes(view.document, ["pred"])
    assert len(graph.focus_names) < len(view.document.nodes)
    page.picks.set_picked("truediv", True)  # later picks redraw the ancestors
    assert graph.focus_names == kept_nodes(view.document, ["pred", "truediv"])
    qtbot.waitUntil(lambda: graph.is_drawn, timeout=60_000)


def test_big_graph_suggests_and_counts_on_workers(qtbot, tmp_path):
    """200,001 nodes: building the page and each pick used to block the window about 1 s
    (candidates and the kept count ran on the GUI thread)."""
    import time

    from kinspect.formats import open_document
    from kinspect.ui.document_view import DocumentView
    from kinspect.ui.pages.outputs import FINDING

    from ..builders.graph import chain_graph

    doc = open_document(str(chain_graph(tmp_path / "chain.pb", 100_000)))
    view = DocumentView(doc)
    qtbot.addWidget(view)
    page = view.page("Outputs")
    assert page.candidates == [] and page.suggested.item(0, 1).text() == FINDING
    qtbot.waitUntil(lambda: not page.finding, timeout=60_000)
    assert page.candidates[0].node == "add_99999"
    assert page.suggested.rowCount() == len(page.candidates)

    started = time.perf_counter()
    page.picks.set_picked("add_99999", True)
    page.picks.set_picked("add_49999", True)
    page.picks.set_picked("add_99999", False)  # the count for the first picks is dropped
    assert time.perf_counter() - started < 0.3
    assert "Counting" in page.preview.text()
    # x, then add_k and c_k for k <= 49999
    qtbot.waitUntil(lambda: page.kept() == (100_001, 200_001), timeout=60_000)
    assert "keeps 100,001 of 200,001 nodes" in page.preview.text()
