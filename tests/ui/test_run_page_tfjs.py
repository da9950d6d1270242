"""The Run page on a TF.js model: loaded and run by the TensorFlow.js runtime (Node), the
shown output equals corpus/tfjs/PROVENANCE.md's known answer for the same input."""

from __future__ import annotations

import pytest

from kinspect.convert import tfjs_runtime
from kinspect.ui.pages.run import RunPage

from ..conftest import corpus, in_ci
from .conftest import open_view


def _run(qtbot, page: RunPage) -> None:
    page.run_button.click()
    qtbot.waitUntil(lambda: page.task is None and page.last is not None and
                    page.run_button.isEnabled(), timeout=120_000)


def test_celsius_runs_in_tfjs(qtbot, window):
    why = tfjs_runtime.missing()
    if why:
        pytest.fail(why) if in_ci() else pytest.skip(why)
    view = open_view(qtbot, window, corpus("tfjs/layers_albertjqm_celsius"))
    page = view.show_page("Run")
    assert isinstance(page, RunPage)
    _run(qtbot, page)  # loads, then runs on random values
    assert list(page.rows) == ["input_1"]
    page.rows["input_1"].source.setText("[[100]]")
    page.last = None
    _run(qtbot, page)
    (output,) = page.last["result"].outputs.values()
    assert output.tolist() == [[211.99652099609375]]
