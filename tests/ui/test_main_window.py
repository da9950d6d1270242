"""The window opens files on a worker and shows layers and `:0` weight rows in the tree."""

from __future__ import annotations

from kinspect.ui.tree_model import NAME, PARAMS, SHAPE, TYPE

from ..conftest import corpus_path
from .conftest import open_view


def _rows(model, parent):
    return [model.index(r, 0, parent) for r in range(model.rowCount(parent))]


def _detail_rows(view) -> dict[str, str]:
    table = view.details.table
    return {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}


def test_open_shows_layers_and_weights(qtbot, window):
    path = corpus_path("carnd-h5")
    with qtbot.waitSignal(window.document_opened, timeout=20_000) as blocker:
        window.open_path(str(path))
    view = blocker.args[0]
    model = view.model
    (top,) = _rows(model, view.tree.rootIndex())
    assert model.data(top.siblingAtColumn(TYPE)) == "Sequential"
    assert model.data(top.siblingAtColumn(PARAMS)) == "252,219"
    layers = next(i for i in _rows(model, top) if model.data(i) == "Layers")
    layer_rows = _rows(model, layers)
    assert [model.data(i) for i in layer_rows][:2] == ["lambda_1", "conv2d_1"]
    assert len(layer_rows) == 12
    conv = layer_rows[1]
    weights = _rows(model, conv)
    assert [model.data(i) for i in weights] == ["conv2d_1/kernel:0", "conv2d_1/bias:0"]
    assert model.data(weights[0].siblingAtColumn(SHAPE)) == "(5, 5, 3, 24)"
    view.tree.setCurrentIndex(weights[0])
    props = _detail_rows(view)
    assert props["stored name"] == "conv2d_1/kernel:0"
    assert props["dtype"] == "float32"
    view.tree.setCurrentIndex(top)
    assert _detail_rows(view)["total params"] == "252,219"  # printed as the tree prints it
    assert "keras-h5" in window.statusBar().currentMessage()
    assert "2.2.4" in window.statusBar().currentMessage()
    assert model.data(conv.siblingAtColumn(NAME)) == "conv2d_1"


def test_layer_output_shapes_fit_their_column(qtbot, window, tmp_path):
    import json

    arch = {"class_name": "Sequential", "keras_version": "2.1.2", "backend": "tensorflow",
            "config": [{"class_name": "Conv2D", "config": {
                "name": "conv", "filters": 1024, "kernel_size": [3, 3], "strides": [1, 1],
                "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1],
                "use_bias": True, "batch_input_shape": [None, 1024, 1024, 3]}}]}
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(arch))
    view = open_view(qtbot, window, path)
    model = view.model
    layers = next(i for i in _rows(model, _rows(model, view.tree.rootIndex())[0])
                  if model.data(i) == "Layers")
    (conv,) = _rows(model, layers)
    shape = model.data(conv.siblingAtColumn(SHAPE))
    assert shape == "(None, 1022, 1022, 1024)"  # 1024 - 3 + 1, valid padding
    width = view.tree.header().sectionSize(SHAPE)
    assert width >= view.tree.fontMetrics().horizontalAdvance(shape)


def test_bad_file_gives_a_dialog_and_the_app_goes_on(qtbot, window, tmp_path):
    junk = tmp_path / "broken.h5"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    with qtbot.waitSignal(window.open_failed, timeout=20_000) as blocker:
        window.open_path(str(junk))
    assert str(junk) in blocker.args[0]
    assert window.error_dialog is not None and window.error_dialog.isVisible()
    assert str(junk) in window.error_dialog.text()
    assert window.tabs.count() == 0
    window.error_dialog.close()
    with qtbot.waitSignal(window.document_opened, timeout=20_000):
        window.open_path(str(corpus_path("cryptoann-h5")))
    assert window.tabs.count() == 1
