"""File menu, recent files, geometry, drag and drop, tabs, Find, and a responsive Loading tab."""

from __future__ import annotations

import time

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication

from kinspect.errors import FormatError
from kinspect.model import Document, Kind, Node
from kinspect.ui import main_window as main_window_module
from kinspect.ui import settings
from kinspect.ui.main_window import LoadingPage, MainWindow, dropped_paths

from ..conftest import corpus_path
from .conftest import open_view

CARND = "carnd-h5"  # tests/corpus/manifest.json id
CRYPTO = "cryptoann-h5"  # tests/corpus/manifest.json id


def test_menu_shortcuts(window):
    assert window.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.save_as_action.shortcut() == QKeySequence("Ctrl+Shift+S")
    assert window.find_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    titles = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert titles[:3] == ["&Open…", "Open &Folder…", "Open &Recent"]
    assert {"Save &As…", "&Close"} <= set(titles) and titles[-1] == "&Quit"
    assert not window.save_as_action.isEnabled()  # nothing open yet


def test_several_documents_in_tabs_and_recent_files_persist(qtbot, window):
    first, second = corpus_path(CARND), corpus_path(CRYPTO)
    open_view(qtbot, window, first)
    open_view(qtbot, window, second)
    assert window.tabs.count() == 2
    assert window.current_view().document.path == str(second)
    window.tabs.setCurrentIndex(0)
    assert window.current_view().document.path == str(first)
    assert settings.recent_files() == [str(second), str(first)]
    open_view(qtbot, window, first)  # reopening moves it to the front, no duplicate
    assert settings.recent_files() == [str(first), str(second)]
    later = MainWindow()  # a new session reads the same settings
    qtbot.addWidget(later)
    later._fill_recent()
    assert [a.text() for a in later.recent_menu.actions()][:2] == [str(first), str(second)]
    with qtbot.waitSignal(later.document_opened, timeout=20_000):
        later.recent_menu.actions()[1].trigger()
    assert later.current_view().document.path == str(second)
    later._fill_recent()
    clear = next(a for a in later.recent_menu.actions() if a.text() == "Clear Recent")
    clear.trigger()
    assert settings.recent_files() == []
    later._fill_recent()
    assert not later.recent_menu.isEnabled()
    window.close_tab(0)
    assert window.tabs.count() == 2


def test_geometry_is_remembered(qtbot, isolated_settings):
    win = MainWindow()
    qtbot.addWidget(win)
    win.setGeometry(QRect(30, 40, 700, 500))  # inside the offscreen screen (800 x 600)
    win.show()
    win.close()
    assert (isolated_settings / "kinspect.ini").exists()
    again = MainWindow()
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)


def test_save_as_calls_the_hook_for_the_current_document(qtbot, window, monkeypatch):
    calls = []
    from kinspect.ui.save_as import hook

    monkeypatch.setattr(hook, "open_save_as", lambda win, view: calls.append((win, view)))
    view = open_view(qtbot, window, corpus_path(CRYPTO))
    assert window.save_as_action.isEnabled()
    window.save_as_action.trigger()
    assert calls == [(window, view)]


def test_open_folder_opens_a_savedmodel(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    folder = corpus_path("half-plus-two-tf1")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(window.document_opened, timeout=20_000) as blocker:
        window.open_folder_action.trigger()
    doc = blocker.args[0].document
    assert doc.format == "tf-savedmodel"
    # PROVENANCE: serving_default maps x:0 -> y:0
    sig = doc.signatures["serving_default"]
    assert [s.name for s in sig.inputs.values()] == ["x:0"]
    assert [s.name for s in sig.outputs.values()] == ["y:0"]


def test_dropping_files_and_folders_opens_them(qtbot, window, tmp_path):
    model = corpus_path(CRYPTO)
    folder = corpus_path("half-plus-two-tf1")
    urls = [QUrl.fromLocalFile(str(model)), QUrl("https://example.com/x.h5"),
            QUrl.fromLocalFile(str(folder) + "/"), QUrl.fromLocalFile(str(tmp_path / "gone"))]
    assert dropped_paths(urls) == [str(model), str(folder)]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(model))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.document_opened, timeout=20_000):
        window.dropEvent(event)
    assert window.current_view().document.path == str(model)
    assert window.acceptDrops()


def test_find_selects_matches_next_and_previous(qtbot, window):
    view = open_view(qtbot, window, corpus_path(CARND))
    window.find_action.trigger()
    bar = view.search_bar
    assert bar.isVisible() and bar.edit.hasFocus()
    # PROVENANCE: five Conv2D layers, each with a kernel and a bias
    assert bar.search("Conv2D") == 15
    assert view.current_node().name == "conv2d_1"
    bar.next()
    assert view.current_node().name == "conv2d_1/kernel:0"
    bar.previous()
    bar.previous()
    assert view.current_node().name == "conv2d_5/bias:0"  # wraps around
    assert bar.count_label.text() == "15 of 15"
    assert bar.search("flatten") == 1 and view.current_node().type == "Flatten"
    assert bar.search("zzz-none") == 0 and bar.count_label.text() == "no match"


def test_find_in_a_200000_node_graph(qtbot, window, monkeypatch):
    from kinspect.ui import pages

    from ..builders.generated import graph_document

    # Only the tree: this times Find, not the Graph page's own preparation.
    monkeypatch.setattr(pages, "PAGES", [p for p in pages.PAGES if p[0] == "Summary"])
    doc = graph_document(200_000)
    view = main_window_module.DocumentView(doc)
    window.tabs.addTab(view, "big")
    window.tabs.setCurrentWidget(view)
    window.find()
    started = time.perf_counter()
    count = view.search_bar.search("softmax_19999")
    elapsed = time.perf_counter() - started
    expected = [gn.name for gn in doc.nodes if "softmax_19999" in gn.name]
    assert count == len(expected) == 3  # softmax_19999, softmax_199991, softmax_199999
    assert view.current_node().name == expected[0]
    assert view.tree.currentIndex().isValid()
    view.search_bar.next()
    assert view.current_node().name == expected[1]
    assert elapsed < 5.0  # generous: index build + first query + selecting, on a busy machine


def _slow_open(path, progress, steps=40, pause=0.05):
    for i in range(steps):
        time.sleep(pause)
        progress.step(i / steps, f"step {i}")
    root = Node(Kind.MODEL, "slow", "Model")
    return Document(path, "keras-h5", root)


def test_loading_tab_stays_responsive_and_cancel_works(qtbot, window, monkeypatch):
    monkeypatch.setattr(main_window_module, "open_document",
                        lambda path, progress: _slow_open(path, progress, steps=200))
    ticks = []
    timer = QTimer(interval=20, timeout=lambda: ticks.append(time.monotonic()))
    timer.start()
    task = window.open_path("/data/slow-model.h5")
    page = window.tabs.currentWidget()
    assert isinstance(page, LoadingPage)
    qtbot.waitUntil(lambda: page.bar.value() > 0, timeout=10_000)
    qtbot.wait(300)
    with qtbot.waitSignal(task.signals.cancelled, timeout=10_000):
        page.cancel_button.click()
        assert not page.cancel_button.isEnabled()
    timer.stop()
    assert len(ticks) >= 10
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 0.3
    qtbot.waitUntil(lambda: window.tabs.count() == 0, timeout=5_000)
    assert settings.recent_files() == []


def test_closing_a_loading_tab_cancels_the_read(qtbot, window, monkeypatch):
    monkeypatch.setattr(main_window_module, "open_document",
                        lambda path, progress: _slow_open(path, progress, steps=200))
    task = window.open_path("/data/slow-model.h5")
    qtbot.waitUntil(lambda: window.tabs.currentWidget().bar.value() > 0, timeout=10_000)
    with qtbot.waitSignal(task.signals.cancelled, timeout=10_000):
        window.close_tab(0)
    assert window.tabs.count() == 0


def test_a_slow_open_shows_progress_then_the_document(qtbot, window, monkeypatch):
    monkeypatch.setattr(main_window_module, "open_document",
                        lambda path, progress: _slow_open(path, progress, steps=10))
    with qtbot.waitSignal(window.document_opened, timeout=10_000) as blocker:
        window.open_path("/data/slow-model.h5")
        page = window.tabs.currentWidget()
        assert page.bar.maximum() == 0  # busy until the first step
    assert blocker.args[0].document.root.name == "slow"


def test_a_failing_reader_gives_one_dialog_per_file(qtbot, window, monkeypatch):
    def fail(path, progress):
        raise FormatError("HDF5 file has no 'model_config': not a full Keras model", path)

    monkeypatch.setattr(main_window_module, "open_document", fail)
    with qtbot.waitSignal(window.open_failed, timeout=10_000) as blocker:
        window.open_path("/data/weights.h5")
    assert blocker.args[0] == ("/data/weights.h5: HDF5 file has no 'model_config': "
                               "not a full Keras model")
    assert window.error_dialog.text() == blocker.args[0]
    assert "FormatError" in window.error_dialog.detailedText()
    window.error_dialog.close()
    assert QApplication.instance() is not None and window.isVisible()


def test_drag_enter_accepts_only_local_urls(window):
    from PySide6.QtGui import QDragEnterEvent

    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/model.h5")])
    event = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(event)
    assert not event.isAccepted()
    mime.setUrls([QUrl.fromLocalFile("/tmp")])
    event = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(event)
    assert event.isAccepted()


def test_filter_lists_only_the_matches(qtbot, window):
    view = open_view(qtbot, window, corpus_path(CARND))
    window.find()
    bar = view.search_bar
    # PROVENANCE: four Dense layers (dense_1..dense_4), each with a kernel and a bias
    assert bar.search("dense_") == 12
    bar.filter_button.setChecked(True)
    assert view.match_list.isVisible() and not view.tree.isVisible()
    model = view.match_list.model()
    labels = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert labels[0].split()[0] == "dense_1" and labels[0].split()[1] == "Dense"
    assert sum(label.split()[1] == "Dense" for label in labels) == 4
    view.match_list.clicked.emit(model.index(4, 0))
    picked = labels[4].split()[0]
    assert view.current_node().name == picked
    assert view.details.node_rows[0] == ("name", picked)
    assert bar.count_label.text() == "5 of 12"
    bar.close_bar()
    assert view.tree.isVisible() and not view.match_list.isVisible()
    assert view.current_node().name == picked
