"""`kinspect --screenshot OUT --view PAGE FILE`: pictures of each page, and a page that failed
to build is an error (exit 2, one line), not a picture of an error page (the built app once
shipped without its Summary and Safety modules and nobody saw it)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from tests.conftest import SAMPLE, run_cli


@pytest.mark.parametrize("view", ["summary", "safety", "outputs"])
def test_each_page_is_drawn(tmp_path, view):
    out = tmp_path / f"{view}.png"
    proc = run_cli("--screenshot", str(out), "--view", view, str(SAMPLE))
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)


def test_an_error_page_fails_the_screenshot(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Breaker:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'kinspect.ui.pages.summary':\n"
        "            raise ImportError('simulated missing module')\n"
        "sys.meta_path.insert(0, Breaker())\n")
    out = tmp_path / "summary.png"
    proc = run_cli("--screenshot", str(out), "--view", "summary", str(SAMPLE),
                   env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("kinspect:")]
    assert len(lines) == 1 and "summary page: Summary is unavailable" in lines[0]
    assert "simulated missing module" in lines[0]
    assert not out.exists()
