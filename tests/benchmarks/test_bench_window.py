"""The window on a generated 200,000-node graph: view ready, expanding the flat branch (chunked),
Find. Ratios against plain Python doing the same work without Qt, medians of several runs.

Bars (PRODUCT.md): tree ready in under 3 s, search answers in under 100 ms.
"""

from __future__ import annotations

import time

import pytest

from tests.builders.generated import graph_document

from .timing import median_seconds


@pytest.fixture(scope="module")
def app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def test_bench_window_200k_nodes(app, monkeypatch):
    from kinspect.ui import pages
    from kinspect.ui.document_view import DocumentView

    monkeypatch.setattr(pages, "PAGES", [p for p in pages.PAGES if p[0] == "Summary"])
    count = 200_000

    def fresh():
        return graph_document(count)

    def rows_only():  # plain Python: build the 200,000 rows the flat branch holds
        fresh().root.children[0].children  # noqa: B018 - builds the lazy branch

    def view_ready():
        view = DocumentView(fresh())
        view.show()
        app.processEvents()
        view.deleteLater()

    def expanded():
        view = DocumentView(fresh())
        view.show()
        flat = view.model.index(0, 0, view.model.index(0, 0))
        view.tree.expand(flat)
        app.processEvents()
        view.deleteLater()

    build = median_seconds(lambda: fresh(), 3)
    rows = median_seconds(rows_only, 3)
    ready = median_seconds(view_ready, 3)
    expand = median_seconds(expanded, 3)

    doc = fresh()
    view = DocumentView(doc)
    view.show()
    started = time.perf_counter()
    view.search_bar.search("softmax_1999")
    first = time.perf_counter() - started
    names = [gn.name for gn in doc.nodes]
    ops = [gn.op for gn in doc.nodes]
    for query in ("softmax_1999", "relu", "block_1"):
        ours = median_seconds(lambda q=query: view.search_bar.index.find(q))
        plain = median_seconds(lambda q=query: [
            i for i, (n, o) in enumerate(zip(names, ops, strict=True))
            if q in n.lower() or q in o.lower()])
        print(f"\n  find {query!r}: {ours * 1000:.1f} ms vs plain loop {plain * 1000:.1f} ms "
              f"(ratio {ours / plain:.2f})")
        assert ours < 0.1 or ours < plain
    select = median_seconds(lambda: (view.search_bar.next(), app.processEvents()))
    print(f"\n200,000 generated nodes: document {build:.2f} s; rows built {rows:.2f} s; "
          f"view ready (branch closed) {ready - build:.2f} s over the document; flat branch "
          f"expanded {expand:.2f} s (ratio to building its rows {expand / rows:.2f}); first "
          f"Find incl. index {first * 1000:.0f} ms; next + select {select * 1000:.1f} ms")
