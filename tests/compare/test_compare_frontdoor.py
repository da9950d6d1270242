"""File > Compare with… in a real X server (Xvfb, xcb) with real mouse and key events:
tests/compare/compare_driver.py clicks the menu, types both paths into Qt's file dialogs, clicks the
layer table and the trees, and writes a screenshot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.frontdoor.conftest import frontdoor_env, xvfb  # noqa: F401 - fixtures

DRIVER = Path(__file__).with_name("compare_driver.py")
SHOT = "/tmp/kinspect_compare_frontdoor.png"

pytestmark = pytest.mark.slow


def test_compare_with_by_mouse_and_keyboard(frontdoor_env, tmp_path):  # noqa: F811
    from tests.compare.builders import build

    built = build(tmp_path)
    proc = subprocess.run([sys.executable, str(DRIVER), str(built["dir"] / "m.h5"),
                           str(built["dir"] / "m_changed.h5"), SHOT], cwd=ROOT,
                          env=frontdoor_env, capture_output=True, text=True, timeout=600)
    report = f"exit {proc.returncode}\n{proc.stdout}\n--- stderr\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, report
    for wanted in ("compare with (menu, file dialogs)", "first divergence highlighted",
                   "click rows (table, trees)", "screenshot", "quit"):
        assert f"OK {wanted}" in proc.stdout, report
    assert Path(SHOT).stat().st_size > 10_000
