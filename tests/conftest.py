"""Shared fixtures: the corpus of real files, models built with Keras, a tmp work dir."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (ROOT.parent / "shared" / "corpus").resolve()
SAMPLE = ROOT / "resources" / "sample" / "mnist_cnn.h5"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
# Window settings (recent files, geometry) go to a throwaway folder, never the user's.
os.environ.setdefault("KINSPECT_CONFIG_DIR", tempfile.mkdtemp(prefix="kinspect-test-config-"))
# The single-instance socket lives in XDG_RUNTIME_DIR: a private one keeps a `kinspect FILE` run
# by a test from handing its file to a kinspect window the developer has open.
os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="kinspect-test-run-")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-bench", action="store_true", help="run tests/benchmarks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-bench"):
        return
    skip = pytest.mark.skip(reason="benchmark: run with `make bench`")
    for item in items:
        if "benchmarks" in item.path.parts:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """The window switches automatic gc off (kinspect.ui.gc_guard) and collects from a GUI
    timer; tests that never spin the event loop collect here, on the main thread, instead."""
    yield
    if not gc.isenabled():
        gc.collect()


def in_ci() -> bool:
    """True on a CI runner (`CI=true`, as GitHub Actions and most CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def corpus(rel: str) -> Path:
    """A corpus file; the suite needs ../shared/corpus beside the checkout (CI has it). A
    missing file skips the test on a developer's machine and fails it in CI, where a skip
    would hide that the corpus never arrived."""
    path = CORPUS / rel
    if not path.exists():
        message = f"corpus file missing: {path}"
        if in_ci():
            pytest.fail(message + " (CI=true: the corpus must be there)", pytrace=False)
        pytest.skip(message)
    return path


def corpus_entry(entry_id: str) -> dict[str, Any]:
    """The manifest entry (tests/corpus/manifest.json) of a corpus file, by id."""
    from tests.corpus import corpus_entry as entry

    return entry(entry_id)


def corpus_path(entry_id: str) -> Path:
    """The corpus file of a manifest entry, by id (skips or fails as `corpus` does)."""
    return corpus(corpus_entry(entry_id)["path"])


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`kinspect ARGS` in a fresh process, as a user runs it."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "kinspect.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=full_env, cwd=ROOT)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """Hostile model files (tests/builders/hostile.py), each built once on first use."""
    from tests.builders.hostile import HostileSet

    return HostileSet(tmp_path_factory.mktemp("hostile"))
