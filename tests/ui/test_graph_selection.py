"""The Graph page follows the tree from the first drawing on (issue 15, defect 8): the row
selected before the Graph was ever shown is selected in the first drawing, and the focus view
recentres on a newly selected node even when that node is already drawn."""

from __future__ import annotations

from kinspect.formats import open_document
from kinspect.ui.document_view import DocumentView
from kinspect.ui.netron.view import NetronView

from ..conftest import corpus_path
from .test_netron_view import DRAW_MS, FC, MNIST, drawn_names, selected


def _view(qtbot, doc_id) -> DocumentView:
    view = DocumentView(open_document(corpus_path(doc_id)))
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    return view


def test_first_drawing_selects_what_the_tree_selects(qtbot):
    view = _view(qtbot, MNIST)
    view.select_node(view.document.root.find("conv2d_6"))  # before the Graph tab is opened
    page = view.show_page("Graph")
    assert isinstance(page, NetronView)
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    qtbot.waitUntil(lambda: selected(qtbot, page) == ["conv2d_6"], timeout=10_000)


def test_focus_view_recentres_on_a_node_it_already_draws(qtbot):
    view = _view(qtbot, FC)
    page = view.show_page("Graph")
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    center = next(n.name for n in view.document.nodes if n.op == "BiasAdd")
    view.select_node(view.document.root.find(center))
    page.set_focus_mode(True)
    qtbot.waitUntil(lambda: page.is_drawn and page.focus_center == center, timeout=DRAW_MS)
    first = set(drawn_names(qtbot, page))
    # a neighbour that is drawn already, whose own neighbourhood differs
    graph = {n.name: n for n in view.document.nodes}
    other = next(n for n in sorted(page.focus_names) if n != center and n in graph
                 and graph[n].op in ("MatMul", "Relu"))
    view.select_node(view.document.root.find(other))  # the tree, beside the graph
    qtbot.waitUntil(lambda: page.focus_center == other and page.is_drawn, timeout=DRAW_MS)
    qtbot.waitUntil(lambda: selected(qtbot, page) == [other], timeout=10_000)
    assert set(drawn_names(qtbot, page)) != first
    assert other in page.focus_text
