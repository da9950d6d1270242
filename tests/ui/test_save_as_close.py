"""Closing Save As (Esc, the title bar's close button) while it converts cancels the
conversion, leaves nothing at the destination, and a failure still reaches the user."""

from __future__ import annotations

import time

from kinspect.errors import ConvertError
from kinspect.ui.save_as import dialog as save_as_dialog

from ..conftest import corpus_path
from .conftest import open_view

SOUP = "alphabet-soup-h5"  # tests/corpus/manifest.json id


def start_freeze(qtbot, window, dst):
    open_view(qtbot, window, corpus_path(SOUP))
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("tf-graphdef")
    dialog.destination.setText(str(dst))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.task is not None, timeout=30_000)
    return dialog


def test_esc_while_converting_cancels_and_leaves_nothing(qtbot, window, tmp_path, monkeypatch):
    real_convert = save_as_dialog.convert

    def convert_once_cancelled(src, dst, target, values, progress, keep_process=False):
        # The real converter, started once Cancel is asked (a warm TensorFlow can otherwise
        # finish the freeze before reject() runs): it must stop and leave nothing.
        for _ in range(200):
            if progress.cancelled:
                break
            time.sleep(0.05)
        return real_convert(src, dst, target, values, progress, keep_process=keep_process)

    monkeypatch.setattr(save_as_dialog, "convert", convert_once_cancelled)
    out = tmp_path / "out"
    out.mkdir()
    dialog = start_freeze(qtbot, window, out / "frozen.pb")
    task = dialog.task
    with qtbot.waitSignal(task.signals.cancelled, timeout=60_000):
        dialog.reject()  # what Esc and the close button call
        assert not dialog.isVisible()
        assert task.progress.cancelled
    assert list(out.iterdir()) == []
    qtbot.waitUntil(lambda: window.save_as_dialog is None, timeout=5_000)


def test_failure_after_close_is_shown_by_the_window(qtbot, window, tmp_path, monkeypatch):
    def failing_convert(src, dst, target, values, progress, keep_process=False):
        time.sleep(0.5)  # a stage that does not look at Cancel, then a failure
        raise ConvertError("cannot freeze: no luck", src)

    monkeypatch.setattr(save_as_dialog, "convert", failing_convert)
    dialog = start_freeze(qtbot, window, tmp_path / "frozen.pb")
    dialog.reject()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.error_dialog is not None, timeout=10_000)
    text = window.error_dialog.text()
    assert "no luck" in text and "AlphabetSoupCharity.h5" in text
    qtbot.waitUntil(lambda: window.save_as_dialog is None, timeout=5_000)


def test_verify_without_input_shapes_says_untick_verify(qtbot, window, tmp_path):
    """A graph whose inputs record no shape cannot be verified: the dialog says what to do in
    its own words (untick Verify), and without Verify the file is saved and TensorFlow reads
    it."""
    import tensorflow as tf

    open_view(qtbot, window, corpus_path("gru-pb"))
    window.save_as()
    dialog = window.save_as_dialog
    dialog.select_target("tf-graphdef")
    dialog.set_option("verify", True)
    dst = tmp_path / "gru.pb"
    dialog.destination.setText(str(dst))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.task is None and dialog.export_button.isEnabled(),
                    timeout=120_000)
    text = dialog.status.text()
    assert "has no recorded shape" in text and "untick Verify and save again" in text, text
    assert "--verify" not in text and not dst.exists()
    dialog.set_option("verify", False)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dst.exists(), timeout=120_000)
    graph_def = tf.compat.v1.GraphDef.FromString(dst.read_bytes())
    assert any(n.op == "Placeholder" for n in graph_def.node)
