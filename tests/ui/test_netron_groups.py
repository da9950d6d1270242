"""The Graph page's scope view, drawn by Netron offscreen: big graphs open collapsed by name
scope, a double-click opens a group in place, and selection flows both ways between tree rows
inside closed groups and the groups drawn. Expected names come from the GraphDef parsed with
protobuf; what is drawn is asked of Netron's page."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from kinspect.formats.tf import protos as tf_protos
from kinspect.graph import focus as graph_focus
from kinspect.graph import scopes
from kinspect.ui.netron import js as netron_js
from kinspect.ui.netron import tree as netron_tree
from kinspect.ui.netron.groups import INFERRING, scope_id_of_row

from ..builders.graph import chain_graph
from ..builders.scoped import deep_graph, frozen_inception
from ..builders.shaped import conv_graph, run_shapes
from ..conftest import run_cli
from .test_netron_view import DRAW_MS, drawn_names, js, open_graph, selected


def graph_names(path) -> list[str]:
    return [n.name for n in tf_protos.GraphDef.FromString(path.read_bytes()).node]


def children(names: list[str], scope: str) -> set[str]:
    """What opening `scope` draws in its place: its nodes and its sub-scopes (`x/`)."""
    out = set()
    for name in names:
        if name.startswith(scope):
            head, sep, _rest = name[len(scope):].partition("/")
            out.add(scope + head + sep)
    return out


def on_screen(qtbot, page, name: str) -> dict:
    """Scroll `name` into view (Netron's own select-and-reveal); its centre in the page."""
    assert js(qtbot, page, netron_js.select(name))
    box: dict = {}

    def visible() -> bool:
        box["c"] = json.loads(js(qtbot, page, netron_js.node_center(name)))
        return 0 < box["c"]["y"] < page.web.height() and 0 < box["c"]["x"] < page.web.width()
    qtbot.waitUntil(visible, timeout=5_000)
    qtbot.wait(300)  # Netron scrolls smoothly: let it settle
    return json.loads(js(qtbot, page, netron_js.node_center(name)))


def click(qtbot, page, name: str) -> None:
    """A real click on the title of the drawn node `name`, scrolled into view first."""
    center = on_screen(qtbot, page, name)
    with qtbot.waitSignal(page.node_clicked, timeout=5_000) as clicked:
        QTest.mouseClick(page.web.focusProxy(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         QPoint(round(center["x"]), round(center["y"])))
    assert clicked.args == [name]


def double_click(qtbot, page, name: str) -> None:
    """A real double-click on the title of the drawn node `name` (scrolled into view first);
    waits for the redraw."""
    center = on_screen(qtbot, page, name)
    point = QPoint(round(center["x"]), round(center["y"]))
    proxy, left, none = page.web.focusProxy(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    with qtbot.waitSignal(page.drawn, timeout=DRAW_MS):
        # Two quick clicks: QTest.mouseDClick's events reach Chromium as no DOM event here.
        QTest.mousePress(proxy, left, none, point)
        QTest.mouseRelease(proxy, left, none, point, 10)
        QTest.mousePress(proxy, left, none, point, 10)
        QTest.mouseRelease(proxy, left, none, point, 10)


@pytest.fixture
def deep(tmp_path):
    return deep_graph(tmp_path / "deep.pb", blocks=6, units=20, ops=4)  # 962 nodes


def test_deep_graph_opens_collapsed_and_groups_open_in_place(qtbot, deep):
    names = graph_names(deep)
    view, page = open_graph(qtbot, deep)
    assert page.groups.active and not page.focus_mode and not page.focus_box.isChecked()
    units = {f"net/block_{b}/unit_{u}/" for b in range(6) for u in range(20)}
    assert set(drawn_names(qtbot, page)) == units | {"input", "output"}
    assert "collapsed by name scope" in page.info.text()

    # Double-click a group: exactly its children take its place (its Consts are folded into
    # the MatMuls by Netron, as in the whole view).
    group = "net/block_2/unit_3/"
    double_click(qtbot, page, group)
    inside = children(names, group)
    drawn = set(drawn_names(qtbot, page))
    assert drawn == (units - {group}) | {n for n in inside if "/op_" in n} | {"input", "output"}
    qtbot.waitUntil(lambda: selected(qtbot, page) == [group + "op_0"], timeout=5_000)  # shown
    # A double-click on one of its nodes closes it again.
    double_click(qtbot, page, group + "op_1")
    assert set(drawn_names(qtbot, page)) == units | {"input", "output"}

    # Collapse to depth 1 (blocks), then Expand all.
    with qtbot.waitSignal(page.drawn, timeout=DRAW_MS):
        page.groups.depth.setValue(1)
    assert set(drawn_names(qtbot, page)) == {f"net/block_{b}/" for b in range(6)} | {
        "input", "output"}
    with qtbot.waitSignal(page.drawn, timeout=DRAW_MS):
        qtbot.mouseClick(page.groups.all_button, Qt.MouseButton.LeftButton)
    assert set(drawn_names(qtbot, page)) == {n for n in names if "/w_" not in n}


def test_selection_sync_with_closed_groups(qtbot, deep):
    view, page = open_graph(qtbot, deep)
    doc = view.document
    # Tree -> drawing: a node row inside a closed group selects the group.
    node = "net/block_4/unit_11/op_2"
    view.select_node(netron_tree.tree_row(doc, node, {}))
    view.show_page("Graph")
    qtbot.waitUntil(lambda: selected(qtbot, page) == ["net/block_4/unit_11/"], timeout=5_000)
    # "Expand to selection" opens the path and selects the node itself.
    with qtbot.waitSignal(page.drawn, timeout=DRAW_MS):
        qtbot.mouseClick(page.groups.expand_button, Qt.MouseButton.LeftButton)
    assert node in drawn_names(qtbot, page)
    qtbot.waitUntil(lambda: selected(qtbot, page) == [node], timeout=5_000)
    # Drawing -> tree: clicking a group selects its scope's row under "By name scope".
    click(qtbot, page, "net/block_0/unit_5/")
    row = view.current_node()
    assert row.name == "unit_5/" and scope_id_of_row(row) == "net/block_0/unit_5/"
    # Its contents are told beside the drawing (its box shows only its title).
    assert "unit_5/: 8 nodes (Const 4, MatMul 4), 16 params" in page.groups.label.text()
    # ... and that scope row selected in the tree selects the group again.
    click(qtbot, page, "net/block_1/unit_0/")
    view.select_node(row)
    view.show_page("Graph")
    qtbot.waitUntil(lambda: selected(qtbot, page) == ["net/block_0/unit_5/"], timeout=5_000)


def test_graph_without_scopes_stays_paged_by_focus(qtbot, tmp_path):
    path = chain_graph(tmp_path / "flat.pb", 1_000)  # 2,001 nodes, no scope
    view, page = open_graph(qtbot, path)
    assert not page.groups.active and not page.groups.bar.isVisible()
    assert page.focus_mode and len(drawn_names(qtbot, page)) <= graph_focus.MAX_FOCUS_NODES


@pytest.mark.slow
def test_frozen_inception_opens_collapsed_to_its_layers(qtbot):
    path, keras_facts = frozen_inception()
    names = graph_names(path)
    view, page = open_graph(qtbot, path)
    drawn = set(drawn_names(qtbot, page))
    # One node per Keras layer (InputLayer: the Placeholder), plus the NoOp and the output.
    layers = {"/".join(n.split("/")[:2]) + "/" for n in names if "/" in n}
    assert drawn == layers | {n for n in names if "/" not in n}
    assert len(drawn) == len(keras_facts["layers"]) + 2 <= scopes.MAX_DRAWN
    # The focus view stays available and comes back to the collapsed view.
    conv = next(n for n in names if n.endswith("/convolution"))
    view.select_node(netron_tree.tree_row(view.document, conv, {}))
    view.show_page("Graph")
    page.set_focus_mode(True)
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    assert conv in drawn_names(qtbot, page) and len(drawn_names(qtbot, page)) < 50
    page.set_focus_mode(False)
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    assert set(drawn_names(qtbot, page)) == drawn


def group_border_pixels(path) -> int:
    """Pixels of the groups' dashed border colour (#1565c0, js.BOOTSTRAP): none in a drawing
    without groups (Netron's own blues are darker)."""
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    count = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            color = image.pixelColor(x, y)
            if abs(color.red() - 0x15) < 20 and abs(color.green() - 0x65) < 20 \
                    and abs(color.blue() - 0xC0) < 20:
                count += 1
    return count


def test_screenshot_draws_a_big_graph_collapsed(tmp_path, deep):
    out = tmp_path / "deep.png"
    result = run_cli("--screenshot", str(out), "--view", "netron", str(deep))
    assert result.returncode == 0, result.stderr
    assert group_border_pixels(out) > 100
    # A small graph is drawn as it is: no group borders.
    small = tmp_path / "small.png"
    assert run_cli("--screenshot", str(small), "--view", "netron",
                   str(chain_graph(tmp_path / "small.pb", 20))).returncode == 0
    assert group_border_pixels(small) == 0


# The texts of the edge labels Netron has drawn (its SVG `text.edge-label` elements).
EDGE_LABELS = """JSON.stringify(Array.from(document.querySelectorAll('#canvas .edge-label'))
    .map((e) => e.textContent))"""


def edge_labels(qtbot, page) -> list[str]:
    return json.loads(js(qtbot, page, EDGE_LABELS))


@pytest.mark.slow
def test_group_edges_show_the_shapes_tensorflow_infers(qtbot, tmp_path):
    path = conv_graph(tmp_path / "conv.pb")  # 4 blocks of 20 units, no _output_shapes
    relus = [f"net/block_{b}/unit_{u}/relu" for b in range(4) for u in range(20)]
    ran = run_shapes(path, relus)  # what TensorFlow computes, in its own process
    view, page = open_graph(qtbot, path)
    assert set(page.groups.drawing.groups) == {n.rpartition("/")[0] + "/" for n in relus}
    if page.groups.shape_note == INFERRING:  # drawn first, shapes later
        assert edge_labels(qtbot, page) == []
        assert INFERRING in page.groups.label.text()
    qtbot.waitUntil(lambda: "inferred by TensorFlow" in page.groups.label.text(),
                    timeout=120_000)
    qtbot.waitUntil(lambda: page.is_drawn, timeout=DRAW_MS)
    labels = edge_labels(qtbot, page)
    # Every unit's output edge is labelled with the shape of its relu as TensorFlow ran it:
    # 1×8×8×16 in block 0 down to 1×1×1×16 after three pools.
    expected = ["×".join(str(d) for d in ran[relu]) for relu in relus]
    assert {"1×8×8×16", "1×4×4×16", "1×2×2×16", "1×1×1×16"} == set(expected)
    for shape in set(expected):
        assert labels.count(shape) >= expected.count(shape), (shape, labels)
    assert "1×8×8×16" in labels  # the input's edge too (its Placeholder shape)


def test_no_inference_when_the_scan_reports_findings(qtbot, tmp_path):
    path = conv_graph(tmp_path / "reads.pb", extra="ReadFile")  # reads a file: a finding
    view, page = open_graph(qtbot, path)
    qtbot.waitUntil(lambda: page.groups.shape_note != INFERRING, timeout=60_000)
    assert "recorded only (the safety scan reported 1 finding)" in page.groups.label.text()
    assert page.groups.shapes is None
    assert edge_labels(qtbot, page) == []
