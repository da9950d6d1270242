"""The app as users start it and use it (issue 15): `kinspect FILE` through its console entry
point in a real X server (Xvfb, xcb), driven by key and mouse events across every page, menu,
dialog and shortcut (tests/frontdoor/driver.py), on the four kinds of file users open most.

The pytest-qt tests and `--screenshot` never install what `kinspect FILE` installs (the single
instance server, its event handling): the Graph tab segfaulted only here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT, corpus_path

DRIVER = Path(__file__).with_name("driver.py")

# (first file, second file opened by a second `kinspect FILE`), by tests/corpus/manifest.json id
CASES = {
    "keras-h5": ("cryptoann-h5", "carnd-h5"),  # both model.h5: tab titles must differ
    "frozen-pb": ("fc-layers-pb", "regression-pb"),  # both frozen.pb
    "savedmodel": ("half-plus-two-tf2", "regression-savedmodel"),
    "checkpoint": ("regression-checkpoint", "bad-half-plus-two-meta"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_walk_every_page_menu_dialog_and_shortcut(case: str, frontdoor_env) -> None:
    first, second = (str(corpus_path(i)) for i in CASES[case])
    proc = subprocess.run([sys.executable, str(DRIVER), first, second], cwd=ROOT,
                          env=frontdoor_env, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    report = f"exit {proc.returncode}\n{out}\n--- stderr (tail)\n{proc.stderr[-4000:]}"
    assert proc.returncode != 139 and proc.returncode != -11, "segfault\n" + report
    assert "ALIVE" in out, "the app died during the walk\n" + report
    failed = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert not failed, report
    steps = {line[3:] for line in out.splitlines() if line.startswith("OK ")}
    for wanted in ("document opened", "focus in the tree", "page Tree", "page Graph",
                   "page Safety", "page Outputs", "find keys", "menus",
                   "open dialog (Ctrl+O)", "save as dialog (Ctrl+Shift+S)",
                   "second kinspect FILE", "switch documents"):
        assert any(s == wanted or s.startswith(wanted + " (") for s in steps), \
            f"step {wanted!r} did not pass\n" + report
    assert proc.returncode == 0, report  # Ctrl+Q quit the app normally
