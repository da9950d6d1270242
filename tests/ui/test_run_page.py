"""The Run page: load, set a source, Run, and the shown top-1 and statistics equal what Keras
computes on the same image; a second run reuses the loaded model; flagged files ask first."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from kinspect.ui.pages.run import RunPage

from .conftest import open_view
from .test_save_as_trust import reads_a_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    import keras
    from PIL import Image

    out = tmp_path_factory.mktemp("run_page")
    keras.utils.set_random_seed(5)
    model = keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
        keras.layers.Dense(6, activation="softmax", name="probs"),
    ])
    model.save(out / "cnn.h5")
    pixels = (np.indices((20, 20)).sum(axis=0)[..., None] * [9, 5, 2] % 256).astype(np.uint8)
    Image.fromarray(pixels).save(out / "in.png")
    (out / "labels.txt").write_text("\n".join(f"class_{i}" for i in range(6)))
    img = keras.utils.img_to_array(keras.utils.load_img(out / "in.png", target_size=(16, 16)))
    expected = np.asarray(keras.models.load_model(out / "cnn.h5", compile=False)(
        img[None] / 255.0))
    return out, expected


def _run(qtbot, page: RunPage) -> None:
    page.run_button.click()
    qtbot.waitUntil(lambda: page.task is None and page.last is not None and
                    page.run_button.isEnabled(), timeout=120_000)


def test_run_shows_keras_answer(qtbot, window, cnn, tmp_path):
    folder, expected = cnn
    view = open_view(qtbot, window, folder / "cnn.h5")
    page = view.show_page("Run")
    assert isinstance(page, RunPage)
    _run(qtbot, page)  # loads, then runs on random values
    assert list(page.rows) == [next(iter(page.runner.inputs))]
    (row,) = page.rows.values()
    row.source.setText(str(folder / "in.png"))
    page.preprocess.setCurrentText("unit")
    page.labels.setText(str(folder / "labels.txt"))
    runner = page.runner
    page.last = None
    _run(qtbot, page)
    assert page.runner is runner  # kept loaded
    page.last = None
    qtbot.keyClick(page.labels, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Ctrl+R
    qtbot.waitUntil(lambda: page.task is None and page.last is not None, timeout=120_000)
    best = int(np.argmax(expected[0]))
    assert page.summary() == f"probs: top-1 {best} class_{best} {expected[0, best]:.6g}"
    assert "preprocess unit" in page.status.text()
    assert [e["index"] for e in page.chart.entries] == list(np.argsort(-expected[0])[:5])
    qtbot.waitUntil(lambda: page.tensor_view.stats is not None, timeout=30_000)
    stats = page.tensor_view.stats
    assert stats.max == pytest.approx(float(expected.max()), abs=1e-6)
    assert stats.mean == pytest.approx(float(expected.mean()), abs=1e-6)
    assert row.preview.pixmap() is not None and not row.preview.pixmap().isNull()
    page.save_results(str(tmp_path / "r.npz"))
    with np.load(tmp_path / "r.npz", allow_pickle=False) as saved:
        np.testing.assert_allclose(saved["outputs/probs"], expected, atol=1e-6)


def test_flagged_file_asks_and_no_runs_nothing(qtbot, window, tmp_path):
    view = open_view(qtbot, window, reads_a_file(tmp_path))
    page = view.show_page("Run")
    page.run_button.click()
    qtbot.waitUntil(lambda: page.trust_box is not None, timeout=60_000)
    box = page.trust_box
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert "read" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert page.runner is None and "not trusted" in page.status.text()


def _trust_and_run(qtbot, page: RunPage) -> None:
    page.run_button.click()
    qtbot.waitUntil(lambda: page.trust_box is not None, timeout=60_000)
    page.trust_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.trusted and page.task is None and page.run_button.isEnabled(),
                    timeout=120_000)


def test_yes_runs_the_trusted_file(qtbot, window, tmp_path):
    """After Yes the graph runs in its confined process, file read included (it reads the
    model file itself, which the process may read): y = Identity(x) gives back x."""
    model = tmp_path / "reads.pb"
    view = open_view(qtbot, window, reads_a_file(tmp_path, target=model))
    page = view.show_page("Run")
    _trust_and_run(qtbot, page)
    assert page.runner is not None and page.last is not None, page.status.text()
    result = page.last["result"]
    x = page.last["inputs"]["x:0"].array
    np.testing.assert_array_equal(result.outputs["y:0"], x)
    assert result.outputs["read:0"] == model.read_bytes()


def test_trusted_file_cannot_read_beside_the_model(qtbot, window, tmp_path):
    """Trust lets the model run, not read outside it (issue 22): the confined process is
    refused data.txt by the kernel, and the page says so in one line."""
    view = open_view(qtbot, window, reads_a_file(tmp_path))
    page = view.show_page("Run")
    _trust_and_run(qtbot, page)
    text = page.status.text()
    assert page.last is None
    assert "the confinement refused read access to " + str(tmp_path / "data.txt") in text, text
    assert "Traceback" not in text and "\n" not in text


@pytest.fixture
def probe_readable(monkeypatch):
    """The confined child may read tests/ (to import run_probe's functions by name)."""
    import kinspect.convert.trust as trust
    from tests.conftest import ROOT

    real_sources = trust.confined_sources
    monkeypatch.setattr(trust, "confined_sources",
                        lambda *a: [*real_sources(*a), str(ROOT / "tests")])


def _cancel_at_probe_step(qtbot, page: RunPage) -> None:
    from . import run_probe

    page.run_button.click()
    qtbot.waitUntil(lambda: page.progress.format() == run_probe.STEP, timeout=60_000)
    assert page.cancel_button.isEnabled() and not page.run_button.isEnabled()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.task is None, timeout=30_000)
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()


def test_cancel_while_loading(qtbot, window, cnn, monkeypatch, probe_readable):
    """Cancel ends the model's confined process while it loads; nothing is kept, and Run
    loads again (for real) and runs."""
    import kinspect.run.remote as remote

    from . import run_probe

    folder, _ = cnn
    real_load = remote._load_here
    monkeypatch.setattr(remote, "_load_here", run_probe.endless_load)
    view = open_view(qtbot, window, folder / "cnn.h5")
    page = view.show_page("Run")
    before = set(run_probe.live_children())
    _cancel_at_probe_step(qtbot, page)
    assert page.status.text() == "Cancelled." and page.runner is None
    assert not set(run_probe.live_children()) - before  # the loading child has ended
    monkeypatch.setattr(remote, "_load_here", real_load)
    _run(qtbot, page)
    assert page.runner is not None and page.runner.alive


def test_cancel_while_running_ends_the_process(qtbot, window, cnn, monkeypatch,
                                               probe_readable):
    """A run cancelled half way ends the model's process (TensorFlow cannot be interrupted);
    the page says Run loads it again, and it does."""
    import kinspect.run.remote as remote

    from . import run_probe

    folder, _ = cnn
    view = open_view(qtbot, window, folder / "cnn.h5")
    page = view.show_page("Run")
    _run(qtbot, page)
    runner = page.runner
    assert runner is not None and runner.alive
    page.last = None
    real_run = remote._run_here
    monkeypatch.setattr(remote, "_run_here", run_probe.endless_run)
    _cancel_at_probe_step(qtbot, page)
    assert page.last is None and not runner.alive
    assert page.status.text() == "Cancelled: the model's process was stopped; Run loads it again."
    monkeypatch.setattr(remote, "_run_here", real_run)
    _run(qtbot, page)
    assert page.runner is not runner and page.runner.alive


def test_closing_the_document_ends_the_process(qtbot, window, cnn, tmp_path):
    """Closing the tab ends the Run page's process and the one kept for Save As."""
    from kinspect.convert import convert
    from kinspect.safety import confine_pool

    folder, _ = cnn
    view = open_view(qtbot, window, folder / "cnn.h5")
    page = view.show_page("Run")
    _run(qtbot, page)
    runner = page.runner
    assert runner.alive
    convert(str(folder / "cnn.h5"), str(tmp_path / "c.keras"), keep_process=True)
    kept = [c for c, _ in confine_pool._kept.values()]  # noqa: SLF001
    assert kept and all(c.alive for c in kept)
    window.close_tab(window.tabs.indexOf(view))
    assert not runner.alive and not any(c.alive for c in kept)


def test_layer_activations_show_in_the_tree(qtbot, window, cnn):
    """After a run with every layer's activations: the tree's Activation column gives each
    layer's statistics, and selecting the layer shows its activation as a weight is shown;
    both equal Keras's own sub-model outputs on the same image."""
    import keras

    folder, _expected = cnn
    view = open_view(qtbot, window, folder / "cnn.h5")
    page = view.show_page("Run")
    _run(qtbot, page)  # load
    (row,) = page.rows.values()
    row.source.setText(str(folder / "in.png"))
    page.preprocess.setCurrentText("unit")
    page.with_layers.setChecked(True)
    page.last = None
    _run(qtbot, page)
    model = keras.models.load_model(folder / "cnn.h5", compile=False)
    img = keras.utils.img_to_array(keras.utils.load_img(folder / "in.png",
                                                        target_size=(16, 16)))[None] / 255.0
    conv = np.asarray(keras.Model(model.inputs, model.get_layer("conv").output)(img))
    from kinspect.ui.tree_model import ACTIVATION

    assert not view.tree.isColumnHidden(ACTIVATION)
    layer_row = view.document.root.find("conv")
    index = view.model.index_of(layer_row).siblingAtColumn(ACTIVATION)
    text = view.model.data(index)
    assert text.startswith(f"mean {conv.mean():.4g} ± {conv.std():.4g}")
    view.show_page("Tree")
    view.select_node(layer_row)
    qtbot.waitUntil(lambda: view.details.tensor_view.stats is not None, timeout=30_000)
    stats = view.details.tensor_view.stats
    assert stats.mean == pytest.approx(float(conv.mean()), abs=1e-5)
    assert stats.max == pytest.approx(float(conv.max()), abs=1e-5)


def test_the_safety_pages_scan_is_used_not_repeated(qtbot, window, tmp_path, monkeypatch):
    """Once the Safety page has scanned the file, Run asks from that report (the file is not
    scanned a second time)."""
    import kinspect.safety as safety

    view = open_view(qtbot, window, reads_a_file(tmp_path))
    qtbot.waitUntil(lambda: view.scan_report() is not None, timeout=30_000)

    def no_second_scan(path):
        raise AssertionError(f"scanned {path} again")

    monkeypatch.setattr(safety, "scan", no_second_scan)
    page = view.show_page("Run")
    page.run_button.click()
    qtbot.waitUntil(lambda: page.trust_box is not None, timeout=60_000)
    assert "read" in page.trust_box.text()
    page.trust_box.button(QMessageBox.StandardButton.No).click()
