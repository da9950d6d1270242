"""A real X server for the front-door tests: Xvfb on a free display, one per session.

Skips cleanly when Xvfb is not installed (scripts/sysdeps.sh installs it), and fails in CI
(CI=true), where a skipped front door would hide a broken window."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from ..conftest import in_ci


def _free_display() -> int:
    for number in range(140, 400):
        if not Path(f"/tmp/.X{number}-lock").exists() and \
                not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number between :140 and :399")


@pytest.fixture(scope="session")
def xvfb() -> str:
    """DISPLAY of a running Xvfb (1600x1000, 24 bit), stopped after the session."""
    binary = shutil.which("Xvfb")
    if binary is None:
        message = "Xvfb is not installed (scripts/sysdeps.sh installs it)"
        if in_ci():
            pytest.fail(message + " (CI=true: the front-door tests must run)", pytrace=False)
        pytest.skip(message)
    number = _free_display()
    proc = subprocess.Popen([binary, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 15
    while not socket.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not socket.exists():
        proc.kill()
        pytest.fail(f"Xvfb :{number} did not start", pytrace=False)
    yield f":{number}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def frontdoor_env(xvfb: str, tmp_path) -> dict[str, str]:
    """The environment a user's session gives `kinspect`: a real display (xcb, not
    offscreen), a private runtime dir for the single-instance socket, own settings."""
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    runtime = tempfile.mkdtemp(prefix="ki-fd-")  # short: socket paths are limited
    env.update(DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", XDG_RUNTIME_DIR=runtime,
               KINSPECT_CONFIG_DIR=str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    return env
