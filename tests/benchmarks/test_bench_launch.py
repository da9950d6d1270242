"""Two bars of PRODUCT.md measured in fresh processes:

- the window shown with the tree of InceptionV3 in under 1.5 s from launch, against a bare
  PySide6 window that shows an h5py walk of the same file in a QTreeWidget;
- a 2 GB `.h5` opened (`kinspect info`, and the window) with peak memory under 300 MB, against
  the peak of a bare h5py metadata walk of the same file.

Run with `make bench`."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pytest

from ..conftest import ROOT

WINDOW = """
import sys, time
t0 = float(sys.argv[2])
from kinspect.ui.app import make_app
from kinspect.ui.main_window import MainWindow
app = make_app()
window = MainWindow()
window.show()
def shown(view):
    app.processEvents()
    rows = view.model.rowCount(view.model.index(0, 0))
    print(time.time() - t0, rows)
    app.quit()
window.document_opened.connect(shown)
window.open_path(sys.argv[1])
app.exec()
"""
BARE_WINDOW = """
import json, sys, time
t0 = float(sys.argv[2])
import h5py
from PySide6.QtWidgets import QApplication, QTreeWidget, QTreeWidgetItem
app = QApplication([])
tree = QTreeWidget()
tree.setColumnCount(3)
with h5py.File(sys.argv[1], "r") as f:
    json.loads(f.attrs["model_config"])
    items = {}
    def add(name, obj):
        parent = items.get(name.rpartition("/")[0])
        shape = str(getattr(obj, "shape", ""))
        item = QTreeWidgetItem([name.rpartition("/")[2], type(obj).__name__, shape])
        (parent.addChild(item) if parent else tree.addTopLevelItem(item))
        items[name] = item
    f.visititems(add)
tree.show()
app.processEvents()
print(time.time() - t0, tree.topLevelItemCount())
"""
H5PY_WALK = """
import json, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    json.loads(f.attrs["model_config"])
    found = []
    f.visititems(lambda n, o: found.append((n, o.shape)) if hasattr(o, "shape") else None)
print(len(found))
"""
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="2")


def _launch(script: str, path: str) -> float:
    """Seconds from the moment the process is started to the script's own report."""
    out = subprocess.run([sys.executable, "-c", script, path, repr(time.time())], check=True,
                         capture_output=True, text=True, cwd=ROOT, env=ENV).stdout
    return float(out.split()[0])


PEAK = """
import atexit, runpy, sys
out = sys.argv.pop(1)

def record():
    with open("/proc/self/status") as status, open(out, "w") as f:
        f.write(next(line for line in status if line.startswith("VmHWM")).split()[1])

atexit.register(record)
sys.argv = sys.argv[1:]
if sys.argv[0] == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _peak_mb(args: list[str], tmp: str) -> float:
    """Peak resident memory (VmHWM) of a fresh process running ARGS, in MiB. Not wait4's
    ru_maxrss: that keeps the high-water mark of the forking parent (pytest, with Keras
    loaded) across exec."""
    out = os.path.join(tmp, "peak.txt")
    subprocess.run([sys.executable, "-c", PEAK, out, *args], check=True, cwd=ROOT, env=ENV,
                   capture_output=True)
    with open(out) as f:
        return int(f.read()) / 1024


@pytest.fixture(scope="module")
def inception_h5(tmp_path_factory):
    import keras

    path = tmp_path_factory.mktemp("launch") / "inception_v3.h5"
    keras.applications.InceptionV3(weights=None).save(path)
    return str(path)


@pytest.fixture(scope="module")
def two_gb_h5(tmp_path_factory):
    """A Keras-2 style full model whose four Dense kernels hold 2 GiB of float32."""
    import h5py

    path = tmp_path_factory.mktemp("big") / "two_gb.h5"
    side = 11585  # 11585**2 * 4 bytes = 512 MiB per kernel
    layers = [{"class_name": "Dense", "config": {"name": f"dense_{i}", "units": side,
                                                 **({"batch_input_shape": [None, side]}
                                                    if i == 0 else {})}}
              for i in range(4)]
    config = {"class_name": "Sequential", "config": {"name": "big", "layers": layers}}
    block = np.random.default_rng(0).random((1024, side), dtype=np.float32)
    with h5py.File(path, "w") as f:
        f.attrs.update({"keras_version": "2.15.0", "backend": "tensorflow",
                        "model_config": json.dumps(config)})
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [f"dense_{i}".encode() for i in range(4)]
        for i in range(4):
            group = weights.create_group(f"dense_{i}")
            group.attrs["weight_names"] = [f"dense_{i}/kernel:0".encode(),
                                           f"dense_{i}/bias:0".encode()]
            kernel = group.create_dataset(f"dense_{i}/kernel:0", (side, side), "float32")
            for row in range(0, side, len(block)):  # written for real: 2 GiB on disk
                kernel[row:row + len(block)] = block[:side - row]
            group.create_dataset(f"dense_{i}/bias:0", data=np.zeros(side, np.float32))
    assert os.path.getsize(path) > 2 * 1024**3
    return str(path)


def test_bench_window_shows_inception_tree(inception_h5):
    ours, bare = [], []
    for _ in range(5):  # interleaved, so load changes hit both alike
        ours.append(_launch(WINDOW, inception_h5))
        bare.append(_launch(BARE_WINDOW, inception_h5))
    kinspect_s, bare_s = statistics.median(ours), statistics.median(bare)
    print(f"\nInceptionV3 .h5, launch to tree shown (medians of 5): kinspect {kinspect_s:.2f} s, "
          f"bare PySide6 + h5py tree {bare_s:.2f} s ({kinspect_s / bare_s:.2f}x); bar 1.5 s")
    assert kinspect_s < 1.5


def test_bench_two_gb_h5_peak_memory(two_gb_h5, tmp_path):
    walk_script = tmp_path / "walk.py"
    walk_script.write_text(H5PY_WALK)
    tmp = str(tmp_path)
    walk = _peak_mb([str(walk_script), two_gb_h5], tmp)
    info = _peak_mb(["-m", "kinspect.cli", "info", "--json", two_gb_h5], tmp)
    window = _peak_mb(["-m", "kinspect.cli", "--screenshot", str(tmp_path / "shot.png"),
                       two_gb_h5], tmp)
    print(f"\n2 GiB .h5 peak memory: h5py walk {walk:.0f} MiB, kinspect info {info:.0f} MiB "
          f"({info / walk:.2f}x), window {window:.0f} MiB; bar 300 MB")
    assert (tmp_path / "shot.png").stat().st_size > 0
    assert info < 300 and window < 300
