"""File > Save As driven end to end with the real converter: pick, freeze, verify, open."""

from __future__ import annotations

import json
import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from kinspect.convert.registry import exporters_for
from kinspect.formats import open_document
from kinspect.ui.save_as.dialog import SaveAsDialog

from ..conftest import corpus_path
from .conftest import open_view

SOUP = "alphabet-soup-h5"
LAMBDA = "carnd-h5"


def open_corpus(qtbot, window, rel):
    return open_view(qtbot, window, corpus_path(rel))


def layer_index(view, name):
    model = view.model
    top = model.index(0, 0)
    layers = next(model.index(r, 0, top) for r in range(model.rowCount(top))
                  if model.data(model.index(r, 0, top)) == "Layers")
    return next(model.index(r, 0, layers) for r in range(model.rowCount(layers))
                if model.data(model.index(r, 0, layers)) == name)


def run_export(qtbot, dialog, timeout=120_000):
    with qtbot.waitSignal(dialog.converted, timeout=timeout,
                          raising=True) as blocker:
        dialog.export_button.click()
    return blocker.args[0]


def test_pick_layer_in_tree_freeze_verify_and_open(qtbot, window, tmp_path):
    view = open_corpus(qtbot, window, SOUP)
    index = layer_index(view, "dense_1")
    assert view.model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable
    assert view.model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert view.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert view.page("Outputs").rows() == [("dense_1", "dense_1:0")]  # named so when frozen

    window.save_as()
    dialog = window.save_as_dialog
    assert isinstance(dialog, SaveAsDialog)
    # exactly the registry's targets, the freeze target chosen because something is picked
    assert dialog.targets() == [e.id for e in exporters_for(str(corpus_path(SOUP)))]
    assert dialog.exporter.id == "tf-graphdef"
    assert dialog.values()["outputs"] == ["dense_1"]
    dialog.set_option("verify", True)
    dst = tmp_path / "cut.pb"
    dialog.destination.setText(str(dst))
    report = run_export(qtbot, dialog)

    assert report.verified and max(report.max_abs_diff.values()) <= 1e-5
    result = window.save_as_result
    text = result.verification.text()
    assert "max abs diff" in text
    for name, diff in report.max_abs_diff.items():
        assert name in text and f"{diff:.3g}" in text
    shown = {w.text() for w in result.findChildren(QLabel)}
    assert set(report.inputs + report.outputs) <= shown
    assert report.inputs == ["dense_input:0"]
    # the frozen output is named after the pick, with its shape (Dense(8), PROVENANCE #8)
    assert report.outputs == ["dense_1:0"] and report.output_aliases == {"dense_1": "dense_1:0"}
    assert report.output_shapes == {"dense_1": [None, 8]} and "shape [None, 8]" in shown

    # the file, read back with kinspect's own graph reader: two Dense layers, no sigmoid head
    frozen = open_document(str(dst))
    ops = [n.op for n in frozen.nodes]
    assert ops.count("MatMul") == 2 and "Sigmoid" not in ops
    assert report.outputs[0].split(":")[0] in {n.name for n in frozen.nodes}

    with qtbot.waitSignal(window.document_opened, timeout=30_000) as opened:
        result.open_button.click()
    assert opened.args[0].document.path == str(dst)
    assert opened.args[0].document.format == "tf-graphdef"


def test_overwrite_asks_and_no_keeps_the_file(qtbot, window, tmp_path):
    view = open_corpus(qtbot, window, SOUP)
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("keras-json")
    dst = tmp_path / "arch.json"
    dst.write_text("keep me")
    dialog.destination.setText(str(dst))
    dialog.export_button.click()
    box = dialog.overwrite_box
    assert box is not None and box.isVisible()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.No).click()
    assert dst.read_text() == "keep me"
    assert "kept" in dialog.status.text()
    assert dialog.task is None

    dialog.export_button.click()
    with qtbot.waitSignal(dialog.converted, timeout=60_000):
        dialog.overwrite_box.button(QMessageBox.StandardButton.Yes).click()
    config = json.loads(dst.read_text())
    assert [la["config"]["name"] for la in config["config"]["layers"]][-1] == \
        view.document.layers[-1].name


def test_cancel_leaves_nothing(qtbot, window, tmp_path, monkeypatch):
    # Hold the freeze until Cancel is clicked: with TensorFlow warm the whole conversion can
    # otherwise finish before the click, and then there is nothing left to cancel.
    from kinspect.convert import freeze

    gate = threading.Event()
    unfrozen = freeze.from_keras
    monkeypatch.setattr(freeze, "from_keras",
                        lambda *args, **kw: (gate.wait(60), unfrozen(*args, **kw))[1])
    open_corpus(qtbot, window, SOUP)
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("tf-graphdef")
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "frozen.pb"
    dialog.destination.setText(str(dst))
    dialog.export_button.click()
    # converting loads the model: first the trust check (a scan unless Safety has one)
    qtbot.waitUntil(lambda: dialog.task is not None, timeout=30_000)
    with qtbot.waitSignal(dialog.task.signals.cancelled, timeout=60_000):
        dialog.cancel_button.click()
        gate.set()
    assert not dst.exists()
    assert list(out.iterdir()) == []  # no temporary left beside it either
    assert "nothing was written" in dialog.status.text()
    assert dialog.export_button.isEnabled()


def test_trust_prompt_names_the_lambda_and_defaults_to_no(qtbot, window, tmp_path):
    view = open_corpus(qtbot, window, LAMBDA)
    window.save_as()
    dialog = window.save_as_dialog
    # without trust, architecture JSON still works and asks nothing
    dialog.select_target("keras-json")
    dialog.set_option("verify", False)  # verifying builds the model with Keras: Lambda code
    arch = tmp_path / "arch.json"
    dialog.destination.setText(str(arch))
    run_export(qtbot, dialog, 60_000)
    assert dialog.trust_box is None
    layers = json.loads(arch.read_text())["config"]["layers"]
    assert layers[0]["class_name"] == "Lambda" and len(layers) == 12

    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("tf-graphdef")
    frozen = tmp_path / "frozen.pb"
    dialog.destination.setText(str(frozen))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.trust_box is not None, timeout=30_000)
    box = dialog.trust_box
    assert box.isVisible()
    assert "lambda_1" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert view.document.layers[0].class_name == "Lambda"
    box.button(QMessageBox.StandardButton.No).click()
    assert dialog.task is None and not frozen.exists()
    assert "not trusted" in dialog.status.text() and "keras-json" in dialog.status.text()


def test_savedmodel_result_shows_serving_request(qtbot, window, tmp_path):
    open_corpus(qtbot, window, SOUP)
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("tf-savedmodel")
    dialog.set_option("version", 3)
    dialog.set_option("signature_name", "charity")
    dst = tmp_path / "soup"
    dialog.destination.setText(str(dst))
    report = run_export(qtbot, dialog)
    assert (dst / "3" / "saved_model.pb").is_file()
    serving = window.save_as_result.serving.toPlainText()
    assert "http://localhost:8501/v1/models/soup:predict" in serving
    request = dst / "request.json"  # one example beside the version folder, sent with -d @
    assert f"-d @{request}" in serving and "-d '" not in serving
    body = json.loads(request.read_text())
    assert serving.rstrip().endswith(json.dumps(body))
    assert body["signature_name"] == "charity"
    assert len(body["instances"][0]) == 43  # PROVENANCE: input (None, 43)
    assert "The given SavedModel SignatureDef contains the following output(s):" in serving
    assert report.inputs and report.outputs


def test_weights_ask_for_trust_only_when_the_model_must_be_loaded(qtbot, window, tmp_path):
    """A full-model .h5 to a Keras 2 weights file is a copy (no question); to Keras 3's
    `.weights.h5` layout the model is loaded, so its Lambda needs trust first."""
    import h5py

    open_corpus(qtbot, window, LAMBDA)
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("keras-weights-h5")
    dialog.set_option("verify", False)
    copied = tmp_path / "w.h5"
    dialog.destination.setText(str(copied))
    run_export(qtbot, dialog, 60_000)
    assert dialog.trust_box is None
    with h5py.File(copied) as f:
        assert "lambda_1" in [n.decode() for n in f.attrs["layer_names"]]

    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("keras-weights-h5")
    dialog.set_option("verify", False)
    loaded = tmp_path / "w.weights.h5"
    dialog.destination.setText(str(loaded))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.trust_box is not None, timeout=30_000)
    assert "lambda_1" in dialog.trust_box.text()
    dialog.trust_box.button(QMessageBox.StandardButton.No).click()
    assert not loaded.exists() and "not trusted" in dialog.status.text()
