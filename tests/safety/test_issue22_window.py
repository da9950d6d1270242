"""Issue 22's unbounded and outside-reading files in the window: each gives the error dialog with
its one line, in bounded time, and the window goes on opening files (the 88 MB JSON of a million
layers used to abort it with "Fatal Python error"; here 600,000 layers, over the container
limit, stand in for it)."""

from __future__ import annotations

import time

import pytest

from tests.builders import hostile_io as h
from tests.conftest import corpus_path

pytest.importorskip("PySide6")
from tests.ui.conftest import window  # noqa: E402,F401 - the shared fixture

BUILDERS = {"many_layers_json": h.many_layers_json, "deep_json": h.deep_json,
            "deep_yaml": h.deep_yaml,
            "external_link": lambda tmp: h.external_link_h5(tmp).path}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_window_refuses_with_a_dialog_and_goes_on(qtbot, window, tmp_path, name):  # noqa: F811
    path = BUILDERS[name](tmp_path)
    start = time.perf_counter()
    with qtbot.waitSignal(window.open_failed, timeout=20_000) as blocker:
        window.open_path(str(path))
    assert time.perf_counter() - start < 10
    assert str(path) in blocker.args[0]
    assert window.error_dialog is not None and str(path) in window.error_dialog.text()
    assert window.tabs.count() == 0
    window.error_dialog.close()
    with qtbot.waitSignal(window.document_opened, timeout=20_000):
        window.open_path(str(corpus_path("cryptoann-h5")))
