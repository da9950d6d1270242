"""Single instance: a second `kinspect FILE` (a real second process, as a file manager starts it)
hands FILE to the window that is already running; `--screenshot` never does."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kinspect.ui import single_instance
from kinspect.ui.main_window import MainWindow
from kinspect.ui.single_instance import InstanceServer

from ..conftest import ROOT, corpus_path

# keras_version 2.10.0, Sequential [InputLayer, 3xDense], 849 params (PROVENANCE.md #8).
H5 = "alphabet-soup-h5"  # tests/corpus/manifest.json id


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_RUNTIME_DIR (short path: socket paths are limited to ~100 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="ki-run-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


@pytest.fixture
def running(qtbot, runtime_dir: Path) -> tuple[MainWindow, InstanceServer, list[str]]:
    """A window that is the running instance, and the paths it was sent."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    server = InstanceServer(window)
    assert server.name == str(runtime_dir / "kinspect.sock")
    assert server.listen()
    received: list[str] = []
    server.file_requested.connect(received.append)
    yield window, server, received
    server.close()


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kinspect", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))


def _finish(qtbot, proc: subprocess.Popen[str], timeout_ms: int) -> tuple[str, str]:
    """Wait for `proc` while this process keeps serving Qt events (and thus the socket)."""
    try:
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=timeout_ms)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.communicate()


def test_second_process_opens_file_in_running_window(qtbot, running) -> None:
    window, _server, received = running
    path = corpus_path(H5)
    with qtbot.waitSignal(window.document_opened, timeout=60_000) as opened:
        proc = _start(str(path))
        _out, err = _finish(qtbot, proc, 60_000)
    assert proc.returncode == 0, err
    assert received == [str(path)]
    view = opened.args[0]
    assert view.document.path == str(path)
    assert view.document.summary.total == 849
    assert window.tabs.count() == 1


def test_second_process_without_file_only_raises_the_window(qtbot, running) -> None:
    _window, server, received = running
    with qtbot.waitSignal(server.raise_requested, timeout=60_000):
        proc = _start()
        _out, err = _finish(qtbot, proc, 60_000)
    assert proc.returncode == 0, err
    assert received == []


def test_screenshot_never_hands_off(qtbot, running, tmp_path: Path) -> None:
    window, _server, received = running
    out = tmp_path / "shot.png"
    proc = _start("--screenshot", str(out), str(corpus_path(H5)))
    _out, err = _finish(qtbot, proc, 120_000)
    assert proc.returncode == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert received == []
    assert window.tabs.count() == 0


def test_stale_socket_is_replaced_and_live_one_kept(qtbot, runtime_dir: Path) -> None:
    stale = runtime_dir / "kinspect.sock"
    stale.write_bytes(b"")  # left behind by a crashed instance: nobody answers
    window = MainWindow()
    qtbot.addWidget(window)
    first = InstanceServer(window)
    assert first.listen()
    second = InstanceServer(window)
    assert not second.listen()  # the first one is alive: do not steal its socket
    first.close()


def test_no_running_instance_means_open_own_window(runtime_dir: Path) -> None:
    assert not single_instance.send_to_running(str(corpus_path(H5)))


def test_serve_takes_macos_file_open_events(qtbot, runtime_dir: Path) -> None:
    """Finder's double-click arrives as a QFileOpenEvent; serve() routes it to the window."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    window = MainWindow()
    qtbot.addWidget(window)
    server = single_instance.serve(window, platform="darwin")
    assert server is not None and server.name == str(runtime_dir / "kinspect.sock")
    path = corpus_path(H5)
    with qtbot.waitSignal(window.document_opened, timeout=60_000) as opened:
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(path)))
    assert opened.args[0].document.path == str(path)
    assert single_instance.serve(window) is None  # a second instance in the same session
    QApplication.instance().removeEventFilter(server.file_open_filter)
    server.close()


def test_no_application_wide_event_filter_off_macos(qtbot, runtime_dir: Path) -> None:
    """Issue 15 defect 1: an app-wide Python event filter on Linux made the Graph tab segfault
    (tests/frontdoor walks the real Graph tab); only macOS sends QFileOpenEvents, so only there
    is one installed."""
    window = MainWindow()
    qtbot.addWidget(window)
    server = single_instance.serve(window, platform="linux")
    assert server is not None
    assert server.file_open_filter is None
    server.close()
    assert not single_instance.takes_file_open_events("linux")
    assert not single_instance.takes_file_open_events("win32")
    assert single_instance.takes_file_open_events("darwin")


def test_end_to_end_two_kinspect_processes(qtbot, runtime_dir: Path) -> None:
    """The real run_app path: a first `kinspect` keeps running; a second `kinspect FILE`
    exits 0 by itself (it would otherwise sit in its own event loop) and leaves A running."""
    first = _start()
    try:
        socket_path = runtime_dir / "kinspect.sock"
        qtbot.waitUntil(lambda: socket_path.exists() or first.poll() is not None, timeout=60_000)
        assert first.poll() is None, first.communicate()[1]
        second = _start(str(corpus_path(H5)))
        try:
            second.wait(timeout=60)
        finally:
            if second.poll() is None:
                second.kill()
        assert second.returncode == 0, second.communicate()[1]
        assert first.poll() is None  # still running, now with the file in a tab
    finally:
        first.terminate()
        first.communicate(timeout=30)


def test_files_opened_together_end_in_one_window(qtbot, runtime_dir: Path) -> None:
    """Opening three files at once starts three processes at the same moment: exactly one
    becomes the window, the other two hand their file over and exit 0."""
    files = [corpus_path(H5), corpus_path("churn-keras3-h5"),
             corpus_path("half-plus-two-tflite")]
    procs = [_start(str(f)) for f in files]
    try:
        qtbot.waitUntil(lambda: sum(p.poll() is not None for p in procs) >= 2, timeout=90_000)
        qtbot.wait(1500)  # the remaining one must stay up: it is the window
        done = [p for p in procs if p.poll() is not None]
        assert len(done) == 2
        assert [p.returncode for p in done] == [0, 0], [p.communicate()[1] for p in done]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
            proc.communicate(timeout=30)
