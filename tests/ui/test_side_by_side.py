"""Tree and graph side by side (issue 15): the Graph page shows the tree with its details at
its left, in a splitter whose layout is remembered; the other pages keep the whole width."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from ..conftest import corpus_path
from .conftest import open_view

MNIST = "amitpr-mnist-h5"  # functional, 10 layers (PROVENANCE #6)


def _outer(view) -> QSplitter:
    holder = view.pages.holder(view.pages.currentIndex())
    assert isinstance(holder, QSplitter)
    return holder


def test_graph_page_shows_the_tree_and_details_beside_it(qtbot, window):
    window.resize(1400, 900)
    view = open_view(qtbot, window, corpus_path(MNIST))
    graph = view.show_page("Graph")
    assert type(graph).__name__ == "NetronView"  # page() still answers the page itself
    outer = _outer(view)
    assert outer.indexOf(view.browser) == 0 and outer.indexOf(graph) == 1
    assert view.browser.orientation() == Qt.Orientation.Vertical  # tree over details
    qtbot.waitUntil(lambda: view.tree.isVisible() and view.details.isVisible()
                    and graph.isVisible(), timeout=5000)
    tree_width, graph_width = outer.sizes()
    assert 0 < tree_width < graph_width
    # a selection in the tree stays on the Graph page (the drawing follows it)
    layers = view.model.index(0, 0, view.model.index(0, 0))
    view.tree.setCurrentIndex(view.model.index(3, 0, layers))
    view.select_node(view.current_node())
    assert view.pages.currentWidget() is graph
    view.open_search()  # Ctrl+F too: the find bar is above the tree shown here
    assert view.pages.currentWidget() is graph and view.search_bar.isVisible()
    # pages that need the whole width keep it
    view.show_page("Summary")
    assert not view.tree.isVisible()
    view.show_page("Tree")
    assert view.browser.orientation() == Qt.Orientation.Horizontal
    assert view.tree_page.layout().indexOf(view.browser) >= 0 and view.tree.isVisible()


def test_graph_layout_is_remembered(qtbot, window):
    window.resize(1400, 900)
    first = open_view(qtbot, window, corpus_path(MNIST))
    first.show_page("Graph")
    outer = _outer(first)
    outer.setSizes([600, 700])
    first.browser.setSizes([300, 500])
    first.save_layout()
    wanted = outer.sizes()
    window.close_tab(0)
    second = open_view(qtbot, window, corpus_path(MNIST))
    second.show_page("Graph")
    assert _outer(second).sizes() == wanted
    tree, details = second.browser.sizes()
    assert tree < details  # as the user left it (300 over 500), not the default
