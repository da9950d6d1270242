"""The details pane: tensor statistics, histogram and values table read on a worker, the
config pretty-printed, copy actions, and error rows with an icon."""

from __future__ import annotations

import json
import threading
import time

import h5py
import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QMenu

from kinspect.formats import open_document
from kinspect.model import Document, GraphNode, Kind, Node, TensorInfo
from kinspect.ui.details import copy_menu, copy_names
from kinspect.ui.document_view import DocumentView
from kinspect.ui.tensor_view import is_dark
from kinspect.ui.tree_model import NAME

from ..builders.generated import broken_document
from ..conftest import corpus_path


def _view(qtbot, doc: Document) -> DocumentView:
    view = DocumentView(doc)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    return view


def _select_and_wait(qtbot, view: DocumentView, node: Node) -> None:
    view.select_node(node)
    tensor_view = view.details.tensor_view
    qtbot.waitUntil(lambda: tensor_view.stats is not None, timeout=20_000)


def test_weight_statistics_histogram_and_values_from_a_real_file(qtbot):
    path = corpus_path("carnd-h5")
    doc = open_document(path)
    view = _view(qtbot, doc)
    kernel = doc.root.find("conv2d_1/kernel:0")
    _select_and_wait(qtbot, view, kernel)
    with h5py.File(path, "r") as f:  # the values as h5py itself reads them
        expected = f["model_weights/conv2d_1/conv2d_1/kernel:0"][()].astype(np.float64)
    tv = view.details.tensor_view
    assert view.details.lower.currentWidget() is tv
    labels = {k: float(v.text()) for k, v in tv.stat_labels.items()}
    assert labels["min"] == pytest.approx(expected.min(), rel=1e-5)
    assert labels["max"] == pytest.approx(expected.max(), rel=1e-5)
    assert labels["mean"] == pytest.approx(expected.mean(), rel=1e-4, abs=1e-7)
    assert labels["std"] == pytest.approx(expected.std(), rel=1e-4)
    counts, _edges = np.histogram(expected, bins=50)
    assert tv.histogram_counts() == counts.astype(float).tolist()
    # (5, 5, 3, 24): the table shows kernel[i, j] as 3 x 24 with a spin box per leading axis
    assert len(tv.spins) == 2
    model = tv.table_model
    assert (model.rowCount(), model.columnCount()) == (3, 24)
    tv.spins[0].setValue(4)
    tv.spins[1].setValue(2)
    assert float(model.data(model.index(1, 7))) == pytest.approx(expected[4, 2, 1, 7], rel=1e-5)


def test_one_dimensional_tensor_is_a_column(qtbot):
    doc = open_document(corpus_path("cryptoann-h5"))
    view = _view(qtbot, doc)
    bias = next(n for n in doc.root.walk() if n.kind == Kind.WEIGHT and "bias" in n.name)
    _select_and_wait(qtbot, view, bias)
    model = view.details.tensor_view.table_model
    values = bias.tensor.read()
    assert (model.rowCount(), model.columnCount()) == (values.shape[0], 1)
    assert float(model.data(model.index(0, 0))) == pytest.approx(float(values[0]), rel=1e-5)


def test_big_tensor_is_read_on_a_worker_and_sampled(qtbot, tmp_path):
    """64 MB of float32 written with h5py; the event loop keeps turning while it is read."""
    path = tmp_path / "big.h5"
    data = np.arange(16_000_000, dtype=np.float32).reshape(4000, 4000)
    with h5py.File(path, "w") as f:
        f["w"] = data
    expected_mean = float(data.astype(np.float64).mean())
    del data

    def slow_load() -> np.ndarray:
        time.sleep(0.5)  # a slow disk: the window must not wait for it
        with h5py.File(path, "r") as f:
            return f["w"][()]

    tensor = TensorInfo("w", (4000, 4000), "float32", loader=slow_load)
    root = Node(Kind.MODEL, "m", "Model")
    weight = root.add(Node(Kind.WEIGHT, "w", "weight", tensor=tensor))
    view = _view(qtbot, Document(str(path), "keras-weights-h5", root))
    ticks = []
    timer = QTimer(interval=20, timeout=lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    view.select_node(weight)
    assert time.monotonic() - started < 0.3  # select_node returned before the read finished
    tv = view.details.tensor_view
    qtbot.waitUntil(lambda: tv.stats is not None, timeout=30_000)
    timer.stop()
    assert len(ticks) >= 10
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 0.4
    assert tv.stats.sampled and tv.stats.size == 16_000_000
    assert float(tv.stat_labels["mean"].text()) == pytest.approx(expected_mean, rel=1e-3)
    assert "sample" in tv.status.text()
    assert (tv.table_model.rowCount(), tv.table_model.columnCount()) == (4000, 4000)


def test_a_tensor_over_64_mib_is_sampled_and_sliced_from_the_file(qtbot, tmp_path):
    """81 MB (3 x 2600 x 2600 float32) through the HDF5 reader's slicer: never read whole."""
    from kinspect.formats.keras import h5_weights

    path = tmp_path / "big3d.h5"
    rng = np.random.default_rng(7)
    with h5py.File(path, "w") as f:
        data = f.create_dataset("w", shape=(3, 2600, 2600), dtype="float32")
        for i in range(3):
            data[i] = rng.normal(i, 1.0, size=(2600, 2600)).astype(np.float32)
    with h5py.File(path, "r") as f:
        tensor = h5_weights.tensor_info(str(path), f["w"], "w")
        full = f["w"][()]
    calls = []
    tensor.loader = lambda: calls.append("whole") or full  # must not be used
    root = Node(Kind.MODEL, "m", "Model")
    weight = root.add(Node(Kind.WEIGHT, "w", "weight", tensor=tensor))
    view = _view(qtbot, Document(str(path), "keras-weights-h5", root))
    _select_and_wait(qtbot, view, weight)
    tv = view.details.tensor_view
    assert calls == [] and tv.values is None
    assert tv.stats.sampled and tv.stats.size == full.size and tv.stats.count <= 1_000_000
    as64 = full.astype(np.float64)
    assert tv.stats.mean == pytest.approx(as64.mean(), abs=0.01)
    assert tv.stats.std == pytest.approx(as64.std(), rel=0.01)
    assert "first 2,000 x 2,000" in tv.status.text()
    model = tv.table_model
    assert (model.rowCount(), model.columnCount()) == (2000, 2000)
    assert float(model.data(model.index(1999, 3))) == pytest.approx(full[0, 1999, 3], rel=1e-5)
    tv.spins[0].setValue(2)  # read on a worker
    qtbot.waitUntil(lambda: float(model.data(model.index(10, 20))) ==
                    pytest.approx(full[2, 10, 20], rel=1e-5), timeout=20_000)


def test_other_slices_are_read_on_a_worker_and_a_failed_read_says_so(qtbot, tmp_path):
    """A gzip-chunked weight took about a second per step of an axis spin box, on the GUI
    thread; a moved file left the previous slice in the table and only a traceback."""
    import threading

    shape = (4, 3000, 3000)  # 144 MB of float32: read by parts
    base = np.broadcast_to(np.arange(4, dtype=np.float32).reshape(4, 1, 1), shape)
    reads = []
    gone = []

    def slicer(index):
        reads.append((index[0], threading.current_thread()))
        time.sleep(0.4)
        if gone:
            raise FileNotFoundError(2, "No such file or directory", "w.h5")
        return np.array(base[index])

    tensor = TensorInfo("w", shape, "float32", loader=lambda: base, slicer=slicer)
    root = Node(Kind.MODEL, "m", "Model")
    weight = root.add(Node(Kind.WEIGHT, "w", "weight", tensor=tensor))
    view = _view(qtbot, Document(str(tmp_path / "w.h5"), "keras-weights-h5", root))
    _select_and_wait(qtbot, view, weight)
    tv = view.details.tensor_view
    model = tv.table_model
    assert float(model.data(model.index(5, 5))) == 0.0
    started = time.perf_counter()
    tv.spins[0].setValue(1)
    tv.spins[0].setValue(3)  # while 1 is read: 3 is read next, 1's result is dropped
    assert time.perf_counter() - started < 0.2
    qtbot.waitUntil(lambda: float(model.data(model.index(5, 5))) == 3.0, timeout=20_000)
    assert all(thread is not threading.main_thread() for _, thread in reads)
    assert [at for at, _ in reads][-2:] == [1, 3]

    gone.append(True)
    tv.spins[0].setValue(2)
    qtbot.waitUntil(lambda: "Cannot read slice [2]" in tv.status.text(), timeout=20_000)
    assert "No such file" in tv.status.text()
    assert model.rowCount() == 0  # not the slice of axis 0 = 3 any more


def test_a_late_result_for_a_previous_selection_is_ignored(qtbot):
    connected = threading.Event()  # the slow read reports only once this test listens
    slow = TensorInfo("slow", (3,), "float32", loader=lambda: (
        connected.wait(10), time.sleep(0.4), np.ones(3, np.float32))[2])
    fast = TensorInfo("fast", (2,), "float32", loader=lambda: np.array([5, 7], np.float32))
    root = Node(Kind.MODEL, "m", "Model")
    a = root.add(Node(Kind.WEIGHT, "slow", "weight", tensor=slow))
    b = root.add(Node(Kind.WEIGHT, "fast", "weight", tensor=fast))
    view = _view(qtbot, Document("x.h5", "keras-h5", root))
    view.select_node(a)
    task = view.details.tensor_view.task
    ended = []
    task.signals.cancelled.connect(lambda: ended.append("cancelled"))
    task.signals.finished.connect(lambda _r: ended.append("finished"))
    connected.set()
    view.select_node(b)
    qtbot.waitUntil(lambda: view.details.tensor_view.stats is not None, timeout=10_000)
    qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    assert ended == ["cancelled"]  # moving on cancelled the slow read
    qtbot.wait(50)
    assert view.details.tensor_view.tensor is fast
    assert view.details.tensor_view.stat_labels["mean"].text() == "6"


def test_layer_config_is_pretty_printed(qtbot):
    doc = open_document(corpus_path("carnd-h5"))
    view = _view(qtbot, doc)
    conv = doc.root.find("conv2d_1")
    view.select_node(conv)
    text = view.details.text.toPlainText()
    assert view.details.lower.currentWidget() is view.details.text
    assert json.loads(text) == conv.ref.config
    assert "\n  " in text  # indented, one key per line
    strides = conv.ref.config["strides"]
    assert f'"strides": {json.dumps(strides)}' in text  # short lists stay on one line
    assert dict(view.details.node_rows)["type"] == "Conv2D"


def test_graph_node_details_show_inputs_and_outputs(qtbot):
    gn = GraphNode("dense_1/Softmax", "Softmax", ["dense_1/BiasAdd"], ["dense_1/Softmax:0"])
    root = Node(Kind.MODEL, "g", "GraphDef")
    row = root.add(Node(Kind.GRAPH_NODE, gn.name, gn.op, ref=gn))
    view = _view(qtbot, Document("g.pb", "tf-graphdef", root, nodes=[gn]))
    view.select_node(row)
    shown = json.loads(view.details.text.toPlainText())
    assert shown["inputs"] == ["dense_1/BiasAdd"] and shown["outputs"] == ["dense_1/Softmax:0"]


def test_copy_name_and_tensor_name(qtbot):
    node = Node(Kind.GRAPH_NODE, "dense_1/Softmax", "Softmax")
    assert copy_names(node) == [("Copy name", "dense_1/Softmax"),
                                ("Copy tensor name (:0)", "dense_1/Softmax:0")]
    weight = Node(Kind.WEIGHT, "kernel", "weight",
                  tensor=TensorInfo("dense/kernel:0", (2, 2), "float32"))
    assert ("Copy stored name", "dense/kernel:0") in copy_names(weight)
    # a Keras layer has no `:0` tensor: `kinspect convert m.h5 m.pb --outputs probs` names
    # its output Identity:0, so probs:0 is not in the frozen graph
    layer = Node(Kind.LAYER, "probs", "Dense")
    assert copy_names(layer) == [("Copy name", "probs")]
    menu = QMenu()
    copy_menu(menu, node)
    actions = {a.text(): a for a in menu.actions()}
    actions["Copy tensor name (:0)"].trigger()
    assert QGuiApplication.clipboard().text() == "dense_1/Softmax:0"
    actions["Copy name"].trigger()
    assert QGuiApplication.clipboard().text() == "dense_1/Softmax"


def test_broken_parts_are_rows_with_an_error_icon(qtbot):
    doc = broken_document()
    view = _view(qtbot, doc)
    model = view.model
    top = model.index(0, 0)
    rows = {model.data(model.index(r, NAME, top)): model.index(r, NAME, top)
            for r in range(model.rowCount(top))}
    bad = rows["dense/bias:0"]
    assert model.data(bad, 1) is not None  # DecorationRole: the error icon
    assert model.data(rows["dense/kernel:0"], 1) is None
    assert "bad checksum" in model.data(bad, 3)  # ToolTipRole carries the message
    optimizer = rows["Optimizer state"]
    view.tree.expand(optimizer)
    error_row = model.index(0, NAME, optimizer)
    assert model.data(error_row) == "error"
    assert model.data(error_row, 1) is not None
    assert "truncated dataset" in model.data(error_row, 3)
    view.tree.setCurrentIndex(error_row)
    assert "truncated dataset" in dict(view.details.node_rows)["error"]


def test_histogram_follows_a_dark_palette(qtbot):
    doc = broken_document()
    view = _view(qtbot, doc)
    tv = view.details.tensor_view
    dark = QPalette(tv.palette())
    roles = QPalette.ColorRole
    for role, color in ((roles.Window, "#202124"), (roles.Base, "#181818"),
                        (roles.WindowText, "#e8eaed")):
        dark.setColor(role, color)
    tv.setPalette(dark)
    assert is_dark(tv.palette())
    assert tv.chart.theme() == tv.chart.ChartTheme.ChartThemeDark
    assert tv.chart.backgroundBrush().color().name() == "#181818"


def test_closing_a_document_while_its_values_are_read(qtbot):
    from kinspect.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    connected = threading.Event()  # the read reports only once this test listens
    slow = TensorInfo("slow", (3,), "float32", loader=lambda: (
        connected.wait(10), time.sleep(0.3), np.ones(3, np.float32))[2])
    root = Node(Kind.MODEL, "m", "Model")
    weight = root.add(Node(Kind.WEIGHT, "slow", "weight", tensor=slow))
    view = DocumentView(Document("x.h5", "keras-h5", root))
    window.tabs.addTab(view, "x")
    view.select_node(weight)
    task = view.details.tensor_view.task
    ended = []
    task.signals.cancelled.connect(lambda: ended.append("cancelled"))
    task.signals.finished.connect(lambda _r: ended.append("finished"))
    connected.set()
    window.close_tab(0)
    qtbot.waitUntil(lambda: bool(ended), timeout=5_000)
    qtbot.wait(50)  # a late slot on the deleted view would raise here (pytest-qt reports it)
    assert window.tabs.count() == 0


def test_ctrl_c_on_the_tree_copies_the_selected_name(qtbot):
    from PySide6.QtCore import Qt as QtKeys

    doc = broken_document()
    view = _view(qtbot, doc)
    view.select_node(doc.root.find("dense/kernel:0"))
    view.tree.setFocus()
    qtbot.keyClick(view.tree, QtKeys.Key.Key_C, QtKeys.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "dense/kernel:0"


def test_ctrl_c_in_filter_mode_copies_the_name_only(qtbot):
    from PySide6.QtCore import Qt as QtKeys

    doc = broken_document()
    view = _view(qtbot, doc)
    view.open_search()
    view.search_bar.search("dense")
    view.search_bar.filter_button.setChecked(True)
    model = view.match_list.model()
    row = next(r for r in range(model.rowCount())
               if model.data(model.index(r, 0)).split()[0] == "dense/kernel:0")
    assert model.data(model.index(row, 0)) != "dense/kernel:0"  # shown with its kind
    view.match_list.setCurrentIndex(model.index(row, 0))
    view.match_list.setFocus()
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(view.match_list, QtKeys.Key.Key_C, QtKeys.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "dense/kernel:0"
    assert view.match_list.contextMenuPolicy() == QtKeys.ContextMenuPolicy.CustomContextMenu


def test_unexpected_error_names_the_file_and_error_boxes_are_deleted(qtbot):
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from kinspect.ui.main_window import MainWindow
    from kinspect.ui.workers import Task, start

    def broken(_progress):
        raise ValueError("bad header")

    task = Task(broken, "/models/m.h5")
    with qtbot.waitSignal(task.signals.failed, timeout=10_000) as failed:
        start(task)
    assert failed.args[0] == "/models/m.h5: unexpected error: ValueError: bad header"

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.show_error(failed.args[0])
    box = window.error_dialog
    assert "/models/m.h5" in box.text()
    box.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.error_dialog is None and not shiboken6.isValid(box)


@pytest.mark.parametrize(("values", "labels"), [([3.0], ["0", "1"]),
                                                ([1.0, 2.0, 2.0], ["0", "1", "2"]),
                                                ([1.0] * 5, ["0", "2", "4", "6"])])
def test_histogram_count_axis_reads_whole_counts(qtbot, values, labels):
    """A tensor of few values: the count axis has whole, distinct ticks ("0 0 0 1" was shown
    for a tensor of one value)."""
    from PySide6.QtCharts import QValueAxis

    from kinspect.ui.tensor_view import TensorView

    view = TensorView()
    qtbot.addWidget(view)
    array = np.asarray(values, dtype=np.float32)
    view.load(TensorInfo("t", array.shape, "float32", loader=lambda: array))
    qtbot.waitUntil(lambda: view.stats is not None, timeout=10_000)
    (axis,) = [a for a in view.chart.axes() if isinstance(a, QValueAxis)
               and a.alignment() == Qt.AlignmentFlag.AlignLeft]
    step = (axis.max() - axis.min()) / (axis.tickCount() - 1)
    ticks = [axis.min() + i * step for i in range(axis.tickCount())]
    assert [f"{t:g}" for t in ticks] == labels  # whole numbers, as "%d" prints them


def test_histogram_value_ticks_are_told_apart():
    """Five ticks over a narrow range read five different numbers."""
    from kinspect.ui.tensor_view import value_format

    for low, high in ((0.000997, 0.001004), (100.0, 100.5), (-1.0, 1.0), (0.0, 5e6)):
        ticks = [low + i * (high - low) / 4 for i in range(5)]
        assert len({value_format(low, high) % t for t in ticks}) == 5, (low, high)
