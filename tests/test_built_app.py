"""The PyInstaller app in dist/kinspect/ (built by `make app`), run as a user runs it.

Building takes many minutes and >1 GB, too slow for CI: these tests run only when
dist/kinspect/kinspect exists (`make app && scripts/check_app.sh`), and skip otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, corpus_path

APP = ROOT / "dist" / "kinspect" / ("kinspect.exe" if os.name == "nt" else "kinspect")
H5 = "alphabet-soup-h5"  # 849 params, 4 layers

pytestmark = pytest.mark.skipif(not APP.is_file(), reason="no built app: run `make app`")


def _run(*args: str, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(APP), *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})), cwd=ROOT, check=False)


def test_version() -> None:
    done = _run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kinspect ")


def test_info_reads_a_corpus_file() -> None:
    done = _run("info", str(corpus_path(H5)), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["format"] == "keras-h5"
    assert info["params"]["total"] == 849
    assert info["producer"]["keras_version"] == "2.10.0"


def test_info_reads_a_frozen_graph() -> None:
    """Graph readers load TensorFlow's *_pb2 sources from the bundle (tf_protos)."""
    done = _run("info", str(corpus_path("regression-pb")), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["format"] == "tf-graphdef"
    nodes = {n["name"]: n for n in info["nodes"]}
    assert len(nodes) == 8  # PROVENANCE.md #45: 8 nodes, X:0 -> pred:0
    assert "X:0" in nodes["X"]["outputs"] and "pred:0" in nodes["pred"]["outputs"]


def test_bad_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "model.h5"
    bad.write_bytes(b"not a model at all")
    done = _run("info", str(bad))
    assert done.returncode == 2
    assert done.stderr.startswith("kinspect: ") and "Traceback" not in done.stderr


def test_screenshot_of_the_tree(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    out = tmp_path / "tree.png"
    done = _run("--screenshot", str(out), str(corpus_path(H5)),
                env={"QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert image.width() >= 800 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 17)
               for y in range(0, image.height(), 17)}
    assert len(colours) > 20  # a drawn window, not a blank grab


def test_screenshot_of_the_netron_view(tmp_path: Path) -> None:
    """QtWebEngine's helper process and netron's static files made it into the bundle."""
    out = tmp_path / "netron.png"
    done = _run("--screenshot", str(out), "--view", "netron", str(corpus_path(H5)),
                env={"QT_QPA_PLATFORM": "offscreen",
                     "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"})
    assert done.returncode == 0, done.stderr
    tree = tmp_path / "tree.png"
    assert _run("--screenshot", str(tree), str(corpus_path(H5)),
                env={"QT_QPA_PLATFORM": "offscreen"}).returncode == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.read_bytes() != tree.read_bytes()  # the graph page, not the tree again


def test_conversion_imports_tensorflow_inside_the_bundle(tmp_path: Path) -> None:
    """Converting needs TensorFlow/Keras, imported lazily: they must be in the bundle."""
    dst = tmp_path / "model.keras"
    done = _run("convert", str(corpus_path(H5)), str(dst), "--verify", "--json", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    diff = report["max_abs_diff"]  # one number, or one per output tensor
    assert (max(diff.values()) if isinstance(diff, dict) else diff) < 1e-5
    assert report["verified"] is True
    assert dst.is_file()


def test_run_in_a_confined_child_of_the_bundle(tmp_path: Path) -> None:
    """`kinspect run` loads the model in a confined child that the bundle's own executable
    starts (the Run page's process is started the same way); its outputs are the model's."""
    done = _run("run", str(corpus_path(H5)), "--input", "random", "--json", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    (output,) = report["outputs"].values()
    assert output["shape"][-1] == 1  # AlphabetSoupCharity: one sigmoid unit


def test_install_desktop_points_at_the_bundle(tmp_path: Path) -> None:
    if shutil.which("xdg-mime") is None:
        pytest.skip("xdg-mime not installed")
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CURRENT_DESKTOP": ""}
    done = _run("--install-desktop", env=env)
    assert done.returncode == 0, done.stderr
    entry = (tmp_path / "data" / "applications" / "kinspect.desktop").read_text()
    assert f"Exec={APP} %f" in entry.splitlines()
    query = subprocess.run(["xdg-mime", "query", "default", "application/x-hdf5"],
                           capture_output=True, text=True, env=dict(os.environ, **env),
                           check=False)
    assert query.stdout.strip() == "kinspect.desktop"


def test_second_launch_hands_the_file_to_the_first(tmp_path: Path) -> None:
    """Double-click while the app runs: the second process exits 0, the first keeps going."""
    import time

    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    first = subprocess.Popen([str(APP)], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "kinspect.sock").exists() and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()[1]
            time.sleep(0.2)
        second = subprocess.run([str(APP), str(corpus_path(H5))], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert second.returncode == 0, second.stderr
        assert first.poll() is None
    finally:
        first.terminate()
        first.communicate(timeout=30)
