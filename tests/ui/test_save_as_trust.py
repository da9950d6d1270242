"""Save As asks before a conversion the converter would refuse without trust: code in the file,
and ops that touch files when Verify runs the graph; the scan never runs on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QMessageBox

from kinspect.formats import open_document
from kinspect.formats.tf import protos as tf_protos
from kinspect.ui.save_as import trust as save_as_trust
from kinspect.ui.save_as.dialog import SaveAsDialog

from .conftest import open_view


def reads_a_file(tmp_path, target=None):
    """y = Identity(x), plus a ReadFile of a harmless file that nothing consumes (TARGET, by
    default data.txt beside the model)."""
    (tmp_path / "data.txt").write_text("hello")
    graph = tf_protos.GraphDef()
    x = graph.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    for size in (1, 3):
        x.attr["shape"].shape.dim.add().size = size
    name = graph.node.add(name="fname", op="Const")
    name.attr["dtype"].type = 7
    name.attr["value"].tensor.dtype = 7
    name.attr["value"].tensor.string_val.append(str(target or tmp_path / "data.txt").encode())
    graph.node.add(name="read", op="ReadFile", input=["fname"])
    y = graph.node.add(name="y", op="Identity", input=["x"])
    y.attr["T"].type = 1
    path = tmp_path / "reads.pb"
    path.write_bytes(graph.SerializeToString())
    return path


def freeze_dialog(dialog, dst, verify):
    dialog.select_target("tf-graphdef")
    dialog.set_option("outputs", ["y"])
    dialog.set_option("verify", verify)
    dialog.destination.setText(str(dst))


def _freeze_with_verify(qtbot, window, tmp_path):
    """Save As a frozen graph with Verify on, once the Safety page has scanned the file."""
    view = open_view(qtbot, window, reads_a_file(tmp_path))
    safety = view.page("Safety")
    qtbot.waitUntil(lambda: safety.done, timeout=30_000)
    window.save_as()
    dialog = window.save_as_dialog
    dst = tmp_path / "out.pb"
    freeze_dialog(dialog, dst, verify=True)
    dialog.export_button.click()
    return dialog, dst


def test_verify_of_a_graph_that_reads_files_asks_and_no_saves_nothing(qtbot, window, tmp_path):
    dialog, dst = _freeze_with_verify(qtbot, window, tmp_path)
    box = dialog.trust_box  # at once: the Safety page's report is reused
    assert box is not None and box.isVisible()
    assert "read" in box.text() and "read or write files" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.No).click()
    assert dialog.task is None and not dst.exists()
    assert "not trusted" in dialog.status.text()
    assert "--trust-code" not in dialog.status.text()


def test_yes_passes_trust_to_the_converter(qtbot, window, tmp_path):
    dialog, dst = _freeze_with_verify(qtbot, window, tmp_path)
    with qtbot.waitSignal(dialog.converted, timeout=120_000) as done:
        dialog.trust_box.button(QMessageBox.StandardButton.Yes).click()
    assert done.args[0].verified and dst.is_file()


def test_without_verify_a_graph_that_reads_files_asks_nothing(qtbot, tmp_path):
    src = reads_a_file(tmp_path)
    dialog = SaveAsDialog(open_document(str(src)), ["y"], "tf-graphdef")
    qtbot.addWidget(dialog)
    dst = tmp_path / "out.pb"
    freeze_dialog(dialog, dst, verify=False)
    with qtbot.waitSignal(dialog.converted, timeout=120_000):
        dialog.export_button.click()
    assert dialog.trust_box is None and dst.is_file()


def test_without_a_safety_report_the_scan_runs_on_a_worker(qtbot, tmp_path, monkeypatch):
    threads = []

    def scan(path):
        threads.append(threading.current_thread())
        return real_scan(path)

    real_scan = save_as_trust.scan
    monkeypatch.setattr(save_as_trust, "scan", scan)
    dialog = SaveAsDialog(open_document(str(reads_a_file(tmp_path))), ["y"], "tf-graphdef")
    qtbot.addWidget(dialog)
    freeze_dialog(dialog, tmp_path / "out.pb", verify=True)
    dialog.export_button.click()
    assert dialog.trust_box is None and "Checking" in dialog.status.text()
    assert not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.trust_box is not None, timeout=30_000)
    assert threads and threads[0] is not threading.main_thread()
    assert dialog.export_button.isEnabled()
