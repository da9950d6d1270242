"""File > Save As with the deployment targets: the quantize option offered as a choice, a
float16 TFLite whose result dialog shows the sizes and the per-layer error, and a uint8 TF.js
layers model verified by the TF.js runtime; everything through the real converter."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QComboBox

from kinspect.convert import tfjs_runtime

from ..conftest import corpus_path, in_ci
from .conftest import open_view

SOUP = "alphabet-soup-h5"  # a Keras 2 .h5 of Dense layers (849 parameters)

pytestmark = pytest.mark.slow


def _export(qtbot, window, target: str, quantize: str, dst: str):
    open_view(qtbot, window, corpus_path(SOUP))
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target(target)
    box = dialog.widgets["quantize"]
    assert isinstance(box, QComboBox)
    choices = [box.itemData(i) for i in range(box.count())]
    dialog.set_option("quantize", quantize)
    dialog.set_option("verify", True)
    dialog.destination.setText(dst)
    with qtbot.waitSignal(dialog.converted, timeout=300_000, raising=True) as blocker:
        dialog.export_button.click()
    return blocker.args[0], choices


def test_tflite_float16_result_shows_layers(qtbot, window, tmp_path):
    report, choices = _export(qtbot, window, "tflite", "float16", str(tmp_path / "q.tflite"))
    assert choices == [None, "dynamic", "float16", "int8"]
    assert report.verified
    quant = report.quantization
    assert quant["mode"] == "float16" and quant["size_after"] < quant["size_before"]
    text = window.save_as_result.quantization.toPlainText()
    assert "quantized (float16)" in text
    assert any(row["tensor"] in text for row in quant["layers"])
    assert "layer dense (" in text  # tensors mapped back to the Keras layers


def test_tfjs_layers_uint8_verified_by_tfjs(qtbot, window, tmp_path):
    why = tfjs_runtime.missing()
    if why:
        pytest.fail(why) if in_ci() else pytest.skip(why)
    dst = tmp_path / "web"
    report, choices = _export(qtbot, window, "tfjs-layers", "uint8", str(dst))
    assert choices == [None, "float16", "uint8", "uint16"]
    assert report.verified and 0 < max(report.max_abs_diff.values()) < report.tolerance
    manifest = json.loads((dst / "model.json").read_text())["weightsManifest"][0]
    assert {w["quantization"]["dtype"] for w in manifest["weights"]} == {"uint8"}
    assert "max abs diff" in window.save_as_result.verification.text()
