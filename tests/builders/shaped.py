"""A scoped graph TensorFlow can run, for the shapes on the scope view's edges: generated as a
GraphDef with protobuf only (no `_output_shapes`), and its tensors' real shapes taken from
TensorFlow running it in a subprocess (so the Qt test process never imports TensorFlow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kinspect.formats.tf import protos as tf_protos

CHANNELS = 16
SIDE = 8


def _const(graph, name: str, dims: list[int]) -> None:
    node = graph.node.add(name=name, op="Const")
    node.attr["dtype"].type = 1  # DT_FLOAT
    node.attr["value"].tensor.dtype = 1  # no values: TensorFlow fills zeros
    for size in dims:
        node.attr["value"].tensor.tensor_shape.dim.add(size=size)


def _op(graph, name: str, op: str, inputs: list[str]) -> object:
    node = graph.node.add(name=name, op=op, input=inputs)
    node.attr["T"].type = 1
    return node


def conv_graph(path: Path, blocks: int = 4, units: int = 20, extra: str = "") -> Path:
    """`input` [1, 8, 8, 16] -> blocks of `units` units `net/block_B/unit_U/{w, conv, b, add,
    relu}` (a 1x1 Conv2D keeping 16 channels), each block but the last ending in a 2x2
    MaxPool `net/block_B/pool` -> `output` (Identity). 5 nodes per unit: 405 in all at
    4 x 20. `extra`: an op added beside the graph (e.g. ReadFile, for a scan finding)."""
    graph = tf_protos.GraphDef()
    placeholder = graph.node.add(name="input", op="Placeholder")
    placeholder.attr["dtype"].type = 1
    for size in (1, SIDE, SIDE, CHANNELS):
        placeholder.attr["shape"].shape.dim.add(size=size)
    previous = "input"
    for b in range(blocks):
        for u in range(units):
            scope = f"net/block_{b}/unit_{u}"
            _const(graph, f"{scope}/w", [1, 1, CHANNELS, CHANNELS])
            conv = _op(graph, f"{scope}/conv", "Conv2D", [previous, f"{scope}/w"])
            conv.attr["strides"].list.i.extend([1, 1, 1, 1])
            conv.attr["padding"].s = b"SAME"
            _const(graph, f"{scope}/b", [CHANNELS])
            _op(graph, f"{scope}/add", "BiasAdd", [f"{scope}/conv", f"{scope}/b"])
            _op(graph, f"{scope}/relu", "Relu", [f"{scope}/add"])
            previous = f"{scope}/relu"
        if b < blocks - 1:
            pool = _op(graph, f"net/block_{b}/pool", "MaxPool", [previous])
            pool.attr["ksize"].list.i.extend([1, 2, 2, 1])
            pool.attr["strides"].list.i.extend([1, 2, 2, 1])
            pool.attr["padding"].s = b"VALID"
            previous = f"net/block_{b}/pool"
    _op(graph, "output", "Identity", [previous])
    if extra:
        graph.node.add(name="side/" + extra.lower(), op=extra, input=["side/name"])
        name = graph.node.add(name="side/name", op="Const")
        name.attr["dtype"].type = 7  # DT_STRING
        name.attr["value"].tensor.dtype = 7
        name.attr["value"].tensor.string_val.append(b"/etc/hostname")
    path.write_bytes(graph.SerializeToString())
    return path


RUN = """
import json, sys
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import graph_pb2
graph_def = graph_pb2.GraphDef.FromString(open(sys.argv[1], "rb").read())
names = json.loads(sys.argv[2])
graph = tf.Graph()
with graph.as_default():
    tf.graph_util.import_graph_def(graph_def, name="")
fetches = [graph.get_tensor_by_name(n + ":0") for n in names]
feed = {graph.get_tensor_by_name("input:0"): np.ones((1, SIDE, SIDE, CHANNELS), np.float32)}
with tf.compat.v1.Session(graph=graph) as session:
    values = session.run(fetches, feed)
if len(sys.argv) > 3:  # also write the graph with the shapes TensorFlow records
    open(sys.argv[3], "wb").write(graph.as_graph_def(add_shapes=True).SerializeToString())
print(json.dumps({n: list(v.shape) for n, v in zip(names, values)}))
""".replace("SIDE, SIDE, CHANNELS", f"{SIDE}, {SIDE}, {CHANNELS}")


def run_shapes(path: Path, names: list[str], recorded: Path | None = None) -> dict[str, list]:
    """The shapes of tensors `name:0` when TensorFlow runs the graph on a ones input (not its
    static shape inference: the arrays it computes). `recorded`: also write the graph there as
    `as_graph_def(add_shapes=True)` records it."""
    args = [sys.executable, "-c", RUN, str(path), json.dumps(names)]
    if recorded is not None:
        args.append(str(recorded))
    result = subprocess.run(args, check=True, timeout=600, capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return json.loads(result.stdout.strip().splitlines()[-1])
