"""`kinspect info` on the InceptionV3 `.h5` (~92 MB), each in a fresh process, against a bare
h5py metadata walk and against Keras `load_model` + `summary()`. Bars (PRODUCT.md): within
1.5x of the h5py walk, and 15x faster than load_model. Medians of several runs; ratios printed.
Run with `make bench` (`pytest --run-bench`)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import pytest

from ..conftest import ROOT

H5PY_WALK = """
import json, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    json.loads(f.attrs["model_config"])
    found = []
    f.visititems(lambda n, o: found.append((n, o.shape, o.dtype))
                 if isinstance(o, h5py.Dataset) else None)
print(len(found))
"""
LOAD_MODEL = """
import sys, keras
model = keras.saving.load_model(sys.argv[1], compile=False)
model.summary()
"""


def _medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time per command; rounds interleave the commands so that a change of load
    on a shared machine hits all of them alike."""
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, args in commands.items():
            start = time.perf_counter()
            subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in times.items()}


@pytest.fixture(scope="module")
def inception_h5(tmp_path_factory):
    import keras

    path = tmp_path_factory.mktemp("bench") / "inception_v3.h5"
    keras.applications.InceptionV3(weights=None).save(path)
    return path


def test_bench_kinspect_info(inception_h5):
    p = str(inception_h5)
    py = sys.executable
    fast = _medians({"walk": [py, "-c", H5PY_WALK, p],
                     "info": [py, "-m", "kinspect.cli", "info", p],
                     "json": [py, "-m", "kinspect.cli", "info", "--json", p]}, 9)
    walk, info, info_json = fast["walk"], fast["info"], fast["json"]
    load = _medians({"load": [py, "-c", LOAD_MODEL, p]}, 3)["load"]
    print(f"\nInceptionV3 .h5 ({inception_h5.stat().st_size / 2**20:.1f} MiB), medians, "
          f"fresh processes:\n"
          f"  h5py metadata walk      {walk:6.2f} s\n"
          f"  kinspect info           {info:6.2f} s   {info / walk:5.2f}x the h5py walk "
          "(bar <= 1.5x)\n"
          f"  kinspect info --json    {info_json:6.2f} s   {info_json / walk:5.2f}x\n"
          f"  load_model + summary()  {load:6.2f} s   kinspect info is {load / info:5.1f}x "
          "faster (bar >= 15x)")
    assert info / walk <= 1.5
    assert load / info >= 15
