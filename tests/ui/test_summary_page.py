"""The Summary page: model.summary()'s table and totals, op counts for graphs."""

from __future__ import annotations

from kinspect.formats import open_document
from kinspect.ui.document_view import DocumentView
from kinspect.ui.pages.summary import SummaryPage

from ..conftest import corpus_path


def _summary(qtbot, path) -> tuple[DocumentView, SummaryPage]:
    view = DocumentView(open_document(path))
    qtbot.addWidget(view)
    page = view.show_page("Summary")
    assert isinstance(page, SummaryPage)
    return view, page


def test_keras_summary_rows_and_totals(qtbot):
    view, page = _summary(qtbot, corpus_path("carnd-h5"))
    rows = page.rows()
    # PROVENANCE: 12 layers (Lambda, 5 x Conv2D, Dropout, Flatten, 4 x Dense), 252,219 params
    assert len(rows) == 12
    assert [r[1] for r in rows] == ["Lambda"] + ["Conv2D"] * 5 + ["Dropout", "Flatten"] + \
        ["Dense"] * 4
    assert rows[1][0] == "conv2d_1" and rows[1][3] == f"{5 * 5 * 3 * 24 + 24:,}"
    assert sum(int(r[3].replace(",", "")) for r in rows) == 252_219
    assert "Total params: 252,219" in page.totals.text()
    assert "Non-trainable params: 0" in page.totals.text()
    page._reveal(4, 0)
    assert view.show_page("Tree") is not None
    assert view.current_node().name == "conv2d_4"


def test_small_functional_model_totals(qtbot):
    _view, page = _summary(qtbot, corpus_path("amitpr-mnist-h5"))
    assert "Total params: 120,538" in page.totals.text()  # PROVENANCE
    assert len(page.rows()) == 10


def test_graph_summary_counts_ops(qtbot):
    path = corpus_path("regression-pb")
    view, page = _summary(qtbot, path)
    rows = page.rows()
    assert sum(int(count) for _op, count in rows) == 8  # PROVENANCE: 8 nodes
    from kinspect.formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()  # count the ops straight from the protobuf
    graph.ParseFromString(path.read_bytes())
    ops: dict[str, int] = {}
    for node in graph.node:
        ops[node.op] = ops.get(node.op, 0) + 1
    assert {op: int(c) for op, c in rows} == ops


def test_double_clicking_an_op_lists_its_nodes(qtbot):
    path = corpus_path("fc-layers-pb")
    view, page = _summary(qtbot, path)
    view.show()
    rows = page.rows()
    row = next(i for i, (op, _count) in enumerate(rows) if op == "MatMul")
    page._reveal(row, 0)
    bar = view.search_bar
    assert bar.isVisible() and bar.filter_button.isChecked()
    matmuls = [n.name for n in view.document.nodes if n.op == "MatMul"]
    model = view.match_list.model()
    listed = [model.data(model.index(r, 0)).split()[0] for r in range(model.rowCount())]
    assert listed == matmuls and len(matmuls) == int(rows[row][1])


def test_an_op_lists_exactly_its_nodes_not_names_containing_it(qtbot):
    """GRU: 86 Mul nodes; a substring search for "Mul" also listed MatMul nodes and names
    with "mul" (143 rows)."""
    view, page = _summary(qtbot, corpus_path("gru-pb"))
    view.show()
    rows = page.rows()
    row = next(i for i, (op, _count) in enumerate(rows) if op == "Mul")
    assert rows[row][1] == "86"  # PROVENANCE: op counts of tf2onnx_gru/frozen.pb
    page._reveal(row, 0)
    bar = view.search_bar
    model = view.match_list.model()
    assert model.rowCount() == 86 and bar.count_label.text() == "1 of 86"
    listed = [model.data(model.index(r, 0)).split()[0] for r in range(model.rowCount())]
    assert listed == [n.name for n in view.document.nodes if n.op == "Mul"]
    assert view.current_node().name == listed[0]
    qtbot.wait(300)  # the field's debounce must not turn it back into a substring search
    assert model.rowCount() == 86
