"""A large Keras .h5 written here with h5py opens on a worker through the real reader while
the event loop keeps turning."""

from __future__ import annotations

import json
import time

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QTimer

from kinspect.ui.main_window import MainWindow

LAYERS = 1500
UNITS = 8


@pytest.fixture(scope="module")
def big_h5(tmp_path_factory):
    """A Keras-2 style Sequential of LAYERS Dense layers (8 -> 8), with a 64 MB extra weight."""
    path = tmp_path_factory.mktemp("big") / "big_model.h5"
    layers = [{"class_name": "Dense", "config": {"name": f"dense_{i}", "units": UNITS,
                                                 "batch_input_shape": [None, UNITS]}}
              for i in range(LAYERS)]
    config = {"class_name": "Sequential", "config": {"name": "big", "layers": layers}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.4.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [f"dense_{i}".encode() for i in range(LAYERS)]
        for i in range(LAYERS):
            group = weights.create_group(f"dense_{i}")
            names = [f"dense_{i}/kernel:0", f"dense_{i}/bias:0"]
            group.attrs["weight_names"] = [n.encode() for n in names]
            shape = (4000, 4000) if i == 0 else (UNITS, UNITS)
            group.create_dataset(names[0], shape=shape, dtype="float32")
            group.create_dataset(names[1], data=np.zeros(UNITS, np.float32))
    return path


def test_large_file_opens_on_a_worker_and_the_window_keeps_turning(qtbot, big_h5):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    ticks: list[float] = []
    timer = QTimer(interval=20, timeout=lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    with qtbot.waitSignal(window.document_opened, timeout=60_000) as blocker:
        window.open_path(str(big_h5))
    elapsed = time.monotonic() - started
    timer.stop()
    doc = blocker.args[0].document
    assert len(doc.layers) == LAYERS
    expected = 4000 * 4000 + UNITS + (LAYERS - 1) * (UNITS * UNITS + UNITS)
    assert doc.summary.total == expected
    # the loop turned all along: at least a tick per 150 ms of loading, no long stall
    assert len(ticks) >= elapsed / 0.15 - 2
    gaps = [b - a for a, b in zip([started, *ticks], ticks, strict=False)]
    assert max(gaps) < 0.5


def test_cancel_while_the_real_reader_runs(qtbot, big_h5):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    task = window.open_path(str(big_h5))
    page = window.tabs.currentWidget()
    with qtbot.waitSignal(task.signals.cancelled, timeout=60_000):
        page.cancel_button.click()
    qtbot.waitUntil(lambda: window.tabs.count() == 0, timeout=5_000)
    assert window.current_view() is None
