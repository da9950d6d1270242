"""The Graph page: Netron draws the document offscreen, selection flows both ways, big graphs open
in the focus view, documents without a graph get an explanation, the server stops on close."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import h5py
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from kinspect.formats import open_document
from kinspect.graph import focus as graph_focus
from kinspect.ui.document_view import DocumentView
from kinspect.ui.main_window import MainWindow
from kinspect.ui.netron import js as netron_js
from kinspect.ui.netron import web as netron_web
from kinspect.ui.netron.view import NetronView

from ..builders.graph import chain_graph
from ..conftest import corpus_path

MNIST = "amitpr-mnist-h5"  # tests/corpus/manifest.json id
FC = "fc-layers-pb"  # tests/corpus/manifest.json id
DRAW_MS = 45_000


def js(qtbot, page: NetronView, code: str):
    box: dict = {}
    page.web.page().runJavaScript(code, 0, lambda result: box.setdefault("r", result))
    qtbot.waitUntil(lambda: "r" in box, timeout=5_000)
    return box["r"]


def open_graph(qtbot, path) -> tuple[DocumentView, NetronView]:
    view = DocumentView(open_document(path))
    qtbot.addWidget(view)
    view.resize(1100, 750)
    view.show()
    page = view.show_page("Graph")
    assert isinstance(page, NetronView)
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    return view, page


def select_in_tree(view: DocumentView, node) -> None:
    """What a user does: pick the row in the Tree tab, then come back to the Graph tab."""
    view.select_node(node)
    view.show_page("Graph")


def click(qtbot, page: NetronView, name: str) -> None:
    """A real mouse click on the title of the node called `name` in Netron's drawing."""
    center = json.loads(js(qtbot, page, netron_js.node_center(name)))
    with qtbot.waitSignal(page.node_clicked, timeout=5_000) as clicked:
        QTest.mouseClick(page.web.focusProxy(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         QPoint(round(center["x"]), round(center["y"])))
    assert clicked.args == [name]


def drawn_names(qtbot, page: NetronView) -> list[str]:
    return json.loads(js(qtbot, page, netron_js.DRAWN_NAMES))


def selected(qtbot, page: NetronView) -> list[str]:
    return json.loads(js(qtbot, page, netron_js.selected_names()))


@pytest.fixture(scope="module")
def mnist_layers() -> list[tuple[str, str]]:
    """(name, class) of every layer, straight from the file's model_config with h5py."""
    with h5py.File(corpus_path(MNIST), "r") as f:
        config = json.loads(f.attrs["model_config"])
    return [(la["config"]["name"], la["class_name"]) for la in config["config"]["layers"]]


def test_keras_graph_renders_and_selection_flows_both_ways(qtbot, mnist_layers):
    view, page = open_graph(qtbot, corpus_path(MNIST))
    names = drawn_names(qtbot, page)
    # Every layer but the InputLayer (drawn as the graph input) is a node in Netron.
    assert sorted(names) == sorted(n for n, cls in mnist_layers if cls != "InputLayer")
    text = js(qtbot, page, "document.getElementById('canvas').textContent")
    shown = js(qtbot, page, "document.body.innerText")
    assert "Conv2D" in text and "Please update" not in shown and "uses cookies" not in shown
    assert netron_web.blocked_requests() == []  # Netron did not even try to go outside
    assert "\u3008" not in text and "\u27e8" in text  # shapes in brackets DejaVu Sans draws

    # tree -> Netron: selecting a weight row selects its layer in the drawing.
    conv = view.document.root.find("conv2d_6")
    select_in_tree(view, conv.children[0])
    qtbot.waitUntil(lambda: selected(qtbot, page) == ["conv2d_6"], timeout=5_000)

    # Netron -> tree: a real mouse click on the node's title selects the layer in the tree.
    click(qtbot, page, "dense_2")
    assert view.current_node().name == "dense_2" and view.current_node().kind == "layer"
    assert view.pages.currentWidget() is page  # the graph stays in view


def test_frozen_graph_focus_view_draws_the_neighbourhood(qtbot, monkeypatch):
    view, page = open_graph(qtbot, corpus_path(FC))
    assert not page.focus_mode  # 24 nodes: the whole graph
    whole = set(drawn_names(qtbot, page))
    graph = {n.name: n for n in view.document.nodes}
    assert whole and whole <= set(graph)
    center = next(n.name for n in view.document.nodes if n.op == "BiasAdd")
    select_in_tree(view, view.document.root.find(center))
    page.set_focus_mode(True)
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    focus = set(drawn_names(qtbot, page))
    # 1..2 hops from a BiasAdd in a MatMul/BiasAdd/Relu chain: far fewer nodes, center included.
    assert center in focus and focus <= set(page.focus_names) and len(focus) < len(whole)
    qtbot.waitUntil(lambda: selected(qtbot, page) == [center], timeout=5_000)
    # A click on a neighbour in the focus view selects that graph node's row in the tree.
    other = next(name for name in focus if name != center)
    click(qtbot, page, other)
    assert view.current_node().name == other and view.current_node().kind == "node"

    # "Open in browser" shows the same focus graph, served from this computer.
    opened: list[str] = []
    monkeypatch.setattr("kinspect.ui.netron.view.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toString()))
    qtbot.mouseClick(page.browser_button, Qt.MouseButton.LeftButton)
    index = urllib.request.urlopen(opened[0], timeout=5).read().decode()
    assert f'<meta name="file" content="/data/{page.current_model}">' in index
    served = urllib.request.urlopen(f"{opened[0]}data/{page.current_model}", timeout=5).read()
    from kinspect.formats.tf import protos as tf_protos
    assert {n.name for n in tf_protos.GraphDef.FromString(served).node} == page.focus_names


def test_ancestors_of_picked_outputs(qtbot):
    view, page = open_graph(qtbot, corpus_path(FC))
    whole = set(drawn_names(qtbot, page))
    relus = [n.name for n in view.document.nodes if n.op == "Relu"]
    assert page.show_ancestors([f"{relus[0]}:0"])
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    drawn = set(drawn_names(qtbot, page))
    # The first Relu needs the first layer only: no node of the later layers is drawn.
    graph = {n.name: n for n in view.document.nodes}
    assert relus[0] in drawn and drawn < whole and relus[1] not in drawn
    assert all(graph[name].op != "Relu" or name == relus[0] for name in drawn)
    assert "ancestors of" in page.info.text()


def test_big_graph_opens_in_focus_view_and_any_node_shows_fast(qtbot, tmp_path):
    path = chain_graph(tmp_path / "big.pb", 100_000)  # 200,000 nodes
    view, page = open_graph(qtbot, path)
    assert page.focus_mode and page.focus_box.isChecked()
    assert len(drawn_names(qtbot, page)) <= graph_focus.MAX_FOCUS_NODES
    for k in (54_321, 99_998, 7):
        start = time.perf_counter()
        assert page.refocus(f"add_{k}")
        qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
        elapsed = time.perf_counter() - start
        names = set(drawn_names(qtbot, page))
        assert f"add_{k}" in names and f"add_{k - 1}" in names and f"add_{k + 5}" not in names
        print(f"focus on add_{k}: {elapsed:.2f} s")
        assert elapsed < 2.0, f"add_{k} took {elapsed:.2f} s"
    # Quick navigation (arrow keys in the tree): only the last request is drawn.
    for k in range(1000, 1010):
        page.refocus(f"add_{k}")
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    names = set(drawn_names(qtbot, page))
    assert "add_1009" in names and "add_1000" not in names
    qtbot.waitUntil(lambda: selected(qtbot, page) == ["add_1009"], timeout=5_000)
    assert len(page.server.content.extra) <= 3  # 13 focus models served, 3 kept at most


def test_weights_only_file_explains_instead_of_drawing(qtbot):
    view = DocumentView(open_document(corpus_path("credit-fraud-weights")))
    qtbot.addWidget(view)
    view.show()
    page = view.show_page("Graph")
    assert page.web is None and page.server is None
    assert "weights only" in page.message.text()
    assert page.stack.currentWidget() is page.message and page.message.isVisible()


def test_without_webengine_open_in_browser_serves_the_model(qtbot, monkeypatch):
    monkeypatch.setenv("KINSPECT_NO_WEBENGINE", "1")
    opened: list[str] = []
    monkeypatch.setattr("kinspect.ui.netron.view.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toString()))
    path = corpus_path(FC)
    view = DocumentView(open_document(path))
    qtbot.addWidget(view)
    view.show()
    page = view.show_page("Graph")
    assert page.web is None and "QtWebEngine" in page.message.text()
    qtbot.mouseClick(page.browser_button, Qt.MouseButton.LeftButton)
    assert opened and opened[0].startswith("http://127.0.0.1:")
    index = urllib.request.urlopen(opened[0], timeout=5).read().decode()
    assert '<meta name="file" content="/data/frozen.pb">' in index
    data = urllib.request.urlopen(opened[0] + "data/frozen.pb", timeout=5).read()
    assert data == path.read_bytes()
    page.stop()


def test_server_keeps_only_the_last_focus_models(tmp_path):
    """Every refocus serves a new model with its weights; 50 of them kept 16 MB."""
    from kinspect.ui.netron.server import KEEP_EXTRA, NetronServer

    server = NetronServer(str(tmp_path / "m.pb"), b"graph")
    try:
        urls = [server.add_file(f"focus-{i}.pb", bytes([i]) * 100_000) for i in range(50)]
        assert list(server.content.extra) == [f"focus-{i}.pb" for i in range(47, 50)]
        assert KEEP_EXTRA == 3
        with urllib.request.urlopen(urls[-1]) as reply:
            assert reply.read() == bytes([49]) * 100_000
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(urls[0])
    finally:
        server.stop()


def test_server_stops_when_the_document_closes(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.document_opened, timeout=20_000) as opened:
        window.open_path(str(corpus_path(FC)))
    page = opened.args[0].show_page("Graph")
    qtbot.waitUntil(lambda: page.server is not None and page.server.alive, timeout=10_000)
    url = page.server.url
    window.close_tab(window.tabs.currentIndex())
    qtbot.waitUntil(lambda: not page_alive(url), timeout=5_000)


def page_alive(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).read()
    except OSError:
        return False
    return True


def test_cli_screenshot_shows_the_drawn_graph(tmp_path):
    from PySide6.QtGui import QColor, QImage

    from ..conftest import run_cli

    out = tmp_path / "graph.png"
    # As root, Chromium aborts unless --no-sandbox is given: the app must add it by itself.
    env = {"QTWEBENGINE_CHROMIUM_FLAGS": ""} if os.geteuid() == 0 else None
    result = run_cli("--screenshot", str(out), "--view", "netron", str(corpus_path(FC)), env=env,
                     timeout=120)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert not image.isNull() and image.width() > 400
    # Netron fills the header of "layer" ops (MatMul/BiasAdd here) with rgb(51, 85, 136).
    step = 2
    layer_blue = sum(
        1 for y in range(0, image.height(), step) for x in range(0, image.width(), step)
        if QColor(image.pixel(x, y)).getRgb()[:3] == (51, 85, 136))
    assert layer_blue > 200


OLD_DATE = '<meta name="date" content="2020-01-02 03:04:05">'


def _serve_old_page(monkeypatch) -> None:
    """Serve Netron's index.html as if the bundled page were years old."""
    import re

    from kinspect.ui.netron import server as netron_server

    write = netron_server._Handler._write

    def old_write(self, status_code, content_type, content):
        if content and self.path.split("?")[0] in ("/", "/index.html"):
            content = re.sub(rb'<meta name="date" content="[^"]*">', OLD_DATE.encode(), content)
        write(self, status_code, content_type, content)
    monkeypatch.setattr(netron_server._Handler, "_write", old_write)


def _page_text(qtbot, path) -> tuple[DocumentView, NetronView]:
    view = DocumentView(open_document(path))
    qtbot.addWidget(view)
    view.show()
    page = view.show_page("Graph")
    qtbot.waitUntil(lambda: page.web is not None, timeout=5_000)
    return view, page


@pytest.mark.parametrize("old", [True, False])
def test_netron_blocks_without_our_script_and_draws_with_it(qtbot, monkeypatch, old):
    """Control: without the bootstrap script Netron stops at "Please update" (old page) or at
    the cookie consent screen; with it, the same page draws the graph."""
    if old:
        _serve_old_page(monkeypatch)
    _view, page = open_graph(qtbot, corpus_path(FC))
    assert page.is_drawn and drawn_names(qtbot, page)

    monkeypatch.setattr(netron_js, "BOOTSTRAP", "")
    # A fresh profile: the consent cookie our script set for 127.0.0.1 must not carry over.
    monkeypatch.setattr(netron_web, "_profile", None)
    monkeypatch.setattr(netron_web, "_interceptor", None)
    _view, blocked = _page_text(qtbot, corpus_path(FC))
    expected = "Please update" if old else "uses cookies"
    qtbot.waitUntil(lambda: expected in (js(qtbot, blocked, "document.body.innerText") or ""),
                    timeout=DRAW_MS)
    assert not blocked.is_drawn


AFTER_NETRON = r"""
import sys
from PySide6.QtCore import QTimer
from kinspect.formats import open_document
from kinspect.ui.app import make_app
from kinspect.ui.document_view import DocumentView

app = make_app()
view = DocumentView(open_document(sys.argv[1]))
view.show()
page = view.show_page("Graph")

def drawn():
    assert page.is_drawn, "Netron did not draw"
    import tensorflow as tf  # what Convert / Freeze do later in the same process
    print("sum", float(tf.reduce_sum(tf.constant([1.5, 2.5]))))
    app.quit()

page.when_drawn(drawn, timeout=60)
QTimer.singleShot(120_000, app.quit)
app.exec()
"""


def test_tensorflow_still_imports_after_netron_has_drawn(tmp_path):
    """GPU compositing loaded Mesa's libLLVM, and `import tensorflow` then crashed the app."""
    import subprocess
    import sys

    from ..conftest import ROOT

    result = subprocess.run([sys.executable, "-c", AFTER_NETRON, str(corpus_path(FC))],
                            capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "sum 4.0" in result.stdout


def test_switching_a_big_graph_to_the_whole_view_asks_first(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(graph_focus, "BIG_GRAPH", 10)  # the 24-node graph counts as big
    view, page = open_graph(qtbot, corpus_path(FC))
    assert page.focus_mode and "Focus view" in page.info.text()
    focus = set(drawn_names(qtbot, page))
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: answers.pop(0))
    page.focus_box.click()  # No: stays in the focus view
    assert page.focus_mode and page.focus_box.isChecked() and page.is_drawn
    page.focus_box.click()  # Yes: the whole graph
    assert not page.focus_mode
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    whole = set(drawn_names(qtbot, page))
    assert focus < whole and whole <= {n.name for n in view.document.nodes}
