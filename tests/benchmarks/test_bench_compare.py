"""Compare benchmarks (`make bench`), bars from PRODUCT.md / issue 19:
- layer by layer, InceptionV3 `.h5` against its frozen `.pb` (about 300 layer outputs): at most
  3x the two models' plain predictions on the same batch (models loaded once, medians);
- weights only, two ~100 MB files: peak memory under 300 MB (a fresh `kinspect compare`).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

RUNS = 5
BAR_LAYERS = 3.0
BAR_MEMORY_MB = 300


@pytest.fixture(scope="module")
def inception(tmp_path_factory) -> tuple[Path, Path]:
    import keras
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    folder = tmp_path_factory.mktemp("bench_compare")
    model = keras.applications.InceptionV3(weights=None)
    model.save(folder / "inception.h5")
    fn = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec([None, 299, 299, 3], tf.float32, name="x"))
    frozen = convert_variables_to_constants_v2(fn)
    tf.io.write_graph(frozen.graph.as_graph_def(), str(folder), "inception.pb", as_text=False)
    return folder / "inception.h5", folder / "inception.pb"


def test_layer_by_layer_within_3x_of_two_predictions(inception):
    from kinspect.compare.comparison import open_side
    from kinspect.compare.layers import compare_runs, pair_layers
    from kinspect.compare.structure import compare_structure
    from kinspect.compare.tolerance import Tolerance
    from kinspect.run import load

    h5, pb = inception
    a, b = load(str(h5)), load(str(pb))
    structure = compare_structure(open_side(str(h5), None), open_side(str(pb), None))
    pairs = pair_layers(structure, a.layer_names(), b.layer_names())
    x = np.random.default_rng(0).standard_normal((2, 299, 299, 3)).astype(np.float32)
    feeds_a, feeds_b = {next(iter(a.inputs)): x}, {next(iter(b.inputs)): x}

    def plain() -> None:
        a.run(feeds_a)
        b.run(feeds_b)

    def layered() -> None:
        compare_runs(a, b, feeds_a, structure, Tolerance())

    plain(), layered()  # warm: graph tracing, the probe model with every layer output
    plain_t, ours_t = [], []
    for i in range(RUNS):
        for fn, out in ((plain, plain_t), (layered, ours_t))[:: 1 if i % 2 else -1]:
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    p, o = statistics.median(plain_t), statistics.median(ours_t)
    outputs, layers = compare_runs(a, b, feeds_a, structure, Tolerance())
    print(f"\ncompare layer by layer, InceptionV3 .h5 vs frozen .pb, batch 2: "
          f"{len(pairs)} layer outputs; two plain predictions {p:.2f} s, comparison "
          f"{o:.2f} s, ratio {o / p:.2f} (bar {BAR_LAYERS})")
    assert len(layers) >= 280 and all(d.ok for d in outputs)
    assert o / p <= BAR_LAYERS


@pytest.fixture(scope="module")
def big_weights(tmp_path_factory) -> tuple[Path, Path]:
    """Two weights-only files of ~100 MB (25 M float32 values), the second trained a bit."""
    import keras

    folder = tmp_path_factory.mktemp("bench_compare_weights")
    inp = keras.Input((2500,))
    h = keras.layers.Dense(5000, name="big")(inp)
    out = keras.layers.Dense(2500, name="big_2")(h)
    model = keras.Model(inp, out)
    model.save_weights(folder / "a.weights.h5")
    w = model.get_weights()
    w[0][::7] += 1e-3
    model.set_weights(w)
    model.save_weights(folder / "b.weights.h5")
    return folder / "a.weights.h5", folder / "b.weights.h5"


def test_weights_only_compare_of_two_100mb_files_in_bounded_memory(big_weights):
    a, b = big_weights
    sizes = [p.stat().st_size / 2**20 for p in (a, b)]
    # VmHWM, not ru_maxrss: a child forked from this big test process inherits its maxrss
    # across exec (measured: 1083 MB reported for a compare that peaks at ~110 MB alone).
    code = ("import sys\n"
            "from kinspect.cli import main\n"
            "rc = main(['compare', sys.argv[1], sys.argv[2], '--json'])\n"
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
            "print(hwm.split()[1], file=sys.stderr)\n"
            "sys.exit(rc)\n")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(a), str(b)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 1, proc.stderr[-2000:]
    peak_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
    report = json.loads(proc.stdout)
    print(f"\ncompare weights only, {sizes[0]:.0f} MB vs {sizes[1]:.0f} MB: peak RSS "
          f"{peak_mb:.0f} MB (bar {BAR_MEMORY_MB}), {seconds:.1f} s")
    assert report["weights"]["compared"] == 4
    (diff,) = report["weights"]["differing"]
    assert diff["max_abs"] == pytest.approx(1e-3, rel=1e-3)
    assert peak_mb < BAR_MEMORY_MB
