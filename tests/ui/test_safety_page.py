"""The Safety page lists what the scan finds, marks the tab, and leads to the tree row; bad files
give a dialog with one line, and the window stays usable."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from ..conftest import corpus_path
from .conftest import open_view


def _open(qtbot, window, path):
    view = open_view(qtbot, window, path)
    page = view.page("Safety") or next(
        view.pages.widget(i) for i in range(view.pages.count())
        if view.pages.tabText(i).startswith("Safety"))
    qtbot.waitUntil(lambda: page.done, timeout=30_000)
    return view, page


def _tab_title(view, page) -> str:
    return view.pages.tabText(view.pages.indexOf(page))


def test_lambda_in_real_file_listed_and_revealed(qtbot, window):
    # PROVENANCE #1: the first layer, lambda_1, is a Lambda with marshalled bytecode.
    view, page = _open(qtbot, window, corpus_path("carnd-h5"))
    rows = page.rows()
    assert len(rows) == 1
    kind, where, what, runs_code, touches = rows[0]
    assert kind == "lambda-layer" and where.endswith("/lambda_1")
    assert runs_code == "yes" and touches == ""
    assert _tab_title(view, page) == "Safety (1)"
    assert "run code" in page.status.text()
    page.table.cellDoubleClicked.emit(0, 1)
    assert view.pages.currentWidget() is view.tree_page  # the browser sits in it
    assert view.current_node().name == "lambda_1"


def test_clean_file_says_no_findings(qtbot, window):
    view, page = _open(qtbot, window, corpus_path("regression-pb"))
    assert page.rows() == []
    assert page.status.text().startswith("No findings")
    assert _tab_title(view, page) == "Safety"


def test_graph_file_ops_listed_with_node_in_tree(qtbot, window, hostile):
    h = hostile["graphdef"]
    view, page = _open(qtbot, window, h.path)
    by_op = {row[2].split()[0]: row for row in page.rows()}
    assert set(by_op) == {"WriteFile", "MatchingFiles"}
    assert by_op["WriteFile"][4] == "yes"
    row = [r[2].split()[0] for r in page.rows()].index("WriteFile")
    page.table.cellDoubleClicked.emit(row, 1)
    assert view.current_node().name == "write_marker"
    assert not h.marker.exists()


def test_bad_file_gives_one_line_dialog(qtbot, window, tmp_path):
    lfs = tmp_path / "model.h5"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\n"
                   "oid sha256:" + "ab" * 32 + "\nsize 1234\n")
    with qtbot.waitSignal(window.open_failed, timeout=20_000) as blocker:
        window.open_path(str(lfs))
    (message,) = blocker.args
    assert message.startswith(f"{lfs}: Git LFS pointer file") and "\n" not in message
    qtbot.waitUntil(lambda: window.error_dialog is not None, timeout=5_000)
    assert "git lfs pull" in window.error_dialog.text()
    window.error_dialog.close()
    QApplication.processEvents()
    _open(qtbot, window, corpus_path("regression-pb"))


@pytest.mark.parametrize(("name", "words"), [
    ("zip_bomb", "zip bomb"), ("json_deep", "model.json: "), ("savedmodel_garbage", "SavedModel"),
    ("yaml_alias_bomb", "alias"), ("pickle", "pickle"),
])
def test_broken_files_each_one_dialog(qtbot, window, tmp_path, name, words):
    from tests.safety.test_hostile_files import BAD

    path = BAD[name][0](tmp_path)
    with qtbot.waitSignal(window.open_failed, timeout=30_000) as blocker:
        window.open_path(str(path))
    (message,) = blocker.args
    assert message.startswith(f"{path}: ") and "\n" not in message and words in message
    qtbot.waitUntil(lambda: window.error_dialog is not None, timeout=5_000)
    assert window.error_dialog.text() == message
    window.error_dialog.close()


def test_finding_late_in_a_big_graph_is_revealed(qtbot, window, tmp_path):
    """80,003 nodes: the old walk of the tree (built lazily, several rows per node) stopped
    after 200,000 visits (1.4-2.5 s at 200k nodes) and selected nothing; the search index
    finds the row."""
    import time

    from kinspect.formats.tf import protos as tf_protos

    from ..builders.graph import chain_graph

    path = chain_graph(tmp_path / "chain.pb", 40_000)
    graph = tf_protos.GraphDef()
    graph.ParseFromString(path.read_bytes())
    fname = graph.node.add(name="fname", op="Const")
    fname.attr["dtype"].type = 7
    fname.attr["value"].tensor.dtype = 7
    fname.attr["value"].tensor.string_val.append(b"/nonexistent")
    graph.node.add(name="late/read_it", op="ReadFile", input=["fname"])
    path.write_bytes(graph.SerializeToString())

    view, page = _open(qtbot, window, path)
    row = [r[1] for r in page.rows()].index("chain.pb/late/read_it")
    page.table.cellDoubleClicked.emit(row, 1)
    assert view.pages.currentWidget() is view.tree_page  # the browser sits in it
    assert view.current_node().name == "late/read_it"
    view.show_page("Safety")
    started = time.perf_counter()
    page.table.cellDoubleClicked.emit(row, 1)  # the index is built: at once
    assert time.perf_counter() - started < 0.5
    assert view.current_node().name == "late/read_it"
