"""Graphs with name scopes for the scope view: generated GraphDefs (protobuf only) and a frozen
InceptionV3 made by Keras and `kinspect convert`, cached in pytest's cache folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from kinspect.formats.tf import protos as tf_protos

INCEPTION = """
import json, sys
import keras
model = keras.applications.InceptionV3(weights=None)
model.save(sys.argv[1])
layers = [la.name for la in model.layers]
classes = [type(la).__name__ for la in model.layers]
json.dump({"params": model.count_params(), "layers": layers, "classes": classes},
          open(sys.argv[2], "w"))
"""


# Built files kept between runs (the frozen InceptionV3 takes ~30 s to make).
CACHE = Path(os.environ.get("KINSPECT_TEST_CACHE",
                            os.path.join(tempfile.gettempdir(), "kinspect-test-cache")))


def frozen_inception(folder: Path = CACHE / "inception") -> tuple[Path, dict]:
    """InceptionV3(weights=None) saved as .h5 by Keras, frozen by `kinspect convert`; and what
    Keras said about it (count_params, layer names and classes). Built once per cache folder."""
    folder.mkdir(parents=True, exist_ok=True)
    h5, pb, facts = folder / "inception.h5", folder / "inception.pb", folder / "keras.json"
    if not (pb.exists() and facts.exists()):
        subprocess.run([sys.executable, "-c", INCEPTION, str(h5), str(facts)], check=True,
                       timeout=900, capture_output=True)
        subprocess.run([sys.executable, "-m", "kinspect.cli", "convert", str(h5), str(pb),
                        "--force"], check=True, timeout=900, capture_output=True)
    return pb, json.loads(facts.read_text())


def named_graph(path: Path, nodes: list[tuple[str, str, list[str]]]) -> Path:
    """A GraphDef of (name, op, inputs); float Consts get a [4] value (4 parameters)."""
    graph = tf_protos.GraphDef()
    for name, op, inputs in nodes:
        node = graph.node.add(name=name, op=op, input=inputs)
        node.attr["T" if op != "Const" else "dtype"].type = 1  # DT_FLOAT
        if op == "Const":
            node.attr["value"].tensor.dtype = 1
            node.attr["value"].tensor.tensor_shape.dim.add(size=4)
    path.write_bytes(graph.SerializeToString())
    return path


def deep_graph(path: Path, blocks: int, units: int, ops: int) -> Path:
    """`net/block_B/unit_U/{w_K Const, op_K MatMul}` chained through every unit: scopes three
    deep (net, block, unit), 2 * ops nodes per unit, plus `input` and `output` at the top."""
    nodes: list[tuple[str, str, list[str]]] = [("input", "Placeholder", [])]
    previous = "input"
    for b in range(blocks):
        for u in range(units):
            scope = f"net/block_{b}/unit_{u}"
            for k in range(ops):
                nodes.append((f"{scope}/w_{k}", "Const", []))
                nodes.append((f"{scope}/op_{k}", "MatMul", [previous, f"{scope}/w_{k}"]))
                previous = f"{scope}/op_{k}"
    nodes.append(("output", "Identity", [previous, "^input"]))
    return named_graph(path, nodes)


def big_scoped_graph(path: Path, count: int) -> Path:
    """`count` nodes named `block_B/unit_U/op_I` (200 blocks of 100 units at 200,000), each
    reading the previous one: the 200,000-node graph of the bench, with scopes."""
    graph = tf_protos.GraphDef()
    previous = None
    for i in range(count):
        name = f"block_{i // 1000}/unit_{(i // 10) % 100}/op_{i}"
        graph.node.add(name=name, op="Relu" if i % 2 else "AddV2",
                       input=[previous] if previous else [])
        previous = name
    path.write_bytes(graph.SerializeToString())
    return path


def call_graph(path: Path) -> Path:
    """`input` -> StatefulPartitionedCall `model` (function `body_fn`: `dense/MatMul` of its
    argument `x` and Const `w`, then `dense/Relu`, returned as `y`) -> `out`; and a While
    `loop` on `out` whose `cond` and `body` functions hold one node each."""
    graph = tf_protos.GraphDef()
    lib = graph.library
    fn = lib.function.add()
    fn.signature.name = "body_fn"
    fn.signature.input_arg.add(name="x", type=1)
    fn.signature.output_arg.add(name="y", type=1)
    w = fn.node_def.add(name="w", op="Const")
    w.attr["dtype"].type = 1
    w.attr["value"].tensor.dtype = 1
    w.attr["value"].tensor.tensor_shape.dim.add(size=4)
    fn.node_def.add(name="dense/MatMul", op="MatMul", input=["x", "w:output:0"])
    fn.node_def.add(name="dense/Relu", op="Relu", input=["dense/MatMul:product:0"])
    fn.ret["y"] = "dense/Relu:activations:0"
    for name, op in (("cond_fn", "Less"), ("loop_fn", "AddV2")):
        f = lib.function.add()
        f.signature.name = name
        f.signature.input_arg.add(name="i", type=1)
        f.node_def.add(name="step", op=op, input=["i", "i"])
    graph.node.add(name="input", op="Placeholder")
    call = graph.node.add(name="model", op="StatefulPartitionedCall", input=["input"])
    call.attr["f"].func.name = "body_fn"
    graph.node.add(name="out", op="Identity", input=["model"])
    loop = graph.node.add(name="loop", op="While", input=["out"])
    loop.attr["cond"].func.name = "cond_fn"
    loop.attr["body"].func.name = "loop_fn"
    path.write_bytes(graph.SerializeToString())
    return path
