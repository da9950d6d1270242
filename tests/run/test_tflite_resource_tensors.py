"""A .tflite with resource variables (VAR_HANDLE / READ_VARIABLE ops): its resource tensors have
no values, and reading one with the interpreter's get_tensor segfaulted the process as soon as
`--layers all` asked for every tensor (the window would have died with it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import run_cli

BUILD = """
import json
import sys

import numpy as np
import tensorflow as tf

class Counter(tf.Module):
    def __init__(self):
        self.v = tf.Variable([1.0, 2.0])

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def f(self, x):
        self.v.assign_add(x)
        return x * self.v

m = Counter()
conv = tf.lite.TFLiteConverter.from_concrete_functions([m.f.get_concrete_function()], m)
conv.experimental_enable_resource_variables = True
open(sys.argv[1], "wb").write(conv.convert())
it = tf.lite.Interpreter(sys.argv[1])
print(json.dumps(sorted(d["name"] for d in it.get_tensor_details()
                        if np.dtype(d["dtype"]).kind == "O")))
"""


@pytest.mark.slow
def test_layers_all_skips_resource_tensors(tmp_path):
    model = tmp_path / "counter.tflite"
    built = subprocess.run([sys.executable, "-c", BUILD, str(model)], capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    resources = json.loads(built.stdout.strip().splitlines()[-1])
    assert resources  # the model really has a resource tensor
    proc = run_cli("run", str(model), "--input", "random", "--layers", "all", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert not set(report["layers"]) & set(resources)
    assert "StatefulPartitionedCall:0" in report["layers"]
