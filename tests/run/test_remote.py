"""run.remote: a model loaded once in a confined process and run there (the Run page's
runner). Results equal Keras's own; the runner checks feeds before sending them; its process
and folder end with close(), and at exit even while a load is going."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kinspect.errors import InvalidRequest
from kinspect.run.remote import load_confined
from kinspect.safety.confine import confinement
from tests.builders.graph import chain_graph
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif("NOT confined (no Landlock)" in confinement(),
                                 reason="the kernel offers no Landlock here")]


def test_runs_as_keras_does_and_ends_with_close(tmp_path):
    import keras

    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, name="hidden"),
                              keras.layers.Dense(2, activation="softmax", name="probs")])
    model.save(tmp_path / "m.keras")
    runner = load_confined(str(tmp_path / "m.keras"))
    assert runner.alive and runner._child._proc.pid != os.getpid()  # noqa: SLF001
    name = next(iter(runner.inputs))
    x = np.linspace(-1, 1, 15, dtype=np.float32).reshape(3, 5)
    result = runner.run({name: x}, ["hidden"])
    np.testing.assert_allclose(result.outputs["probs"], model(x), atol=1e-6)
    hidden = keras.Model(model.inputs, model.get_layer("hidden").output)(x)
    np.testing.assert_allclose(result.layers["hidden"], hidden, atol=1e-6)
    assert runner.layer_names() == ["hidden", "probs"]
    runner.warm({name: x}, [])
    with pytest.raises(InvalidRequest, match="expects shape"):
        runner.run({name: x[:, :4]})  # refused here, before the process sees it
    second = runner.run({name: x})
    np.testing.assert_array_equal(second.outputs["probs"], result.outputs["probs"])
    folder = runner._finalizer.peek()[2][1]  # noqa: SLF001 - (obj, func, args, kwargs)
    runner.close()
    assert not runner.alive and not os.path.exists(folder)


def test_quitting_while_a_load_goes_on_leaves_no_folder(tmp_path):
    """The window quits while its Run page loads (the loading worker is a daemon thread)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    model = chain_graph(tmp_path / "m.pb", 2)
    script = textwrap.dedent(f"""
        import threading, time
        import kinspect.run.remote as remote
        from tests.ui import run_probe
        remote._load_here = run_probe.endless_load
        threading.Thread(target=remote.load_confined, args=({str(model)!r},),
                         daemon=True).start()
        time.sleep(4)
        import glob; print(len(glob.glob({str(tmp / 'kinspect-run-*')!r})))
    """)
    env = dict(os.environ, TMPDIR=str(tmp))
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=120,
                          capture_output=True, text=True)
    assert proc.stdout.strip() == "1", proc.stderr  # the folder existed while loading
    assert not [p for p in tmp.iterdir() if p.name.startswith("kinspect-run-")]
