"""TensorFlow graph nodes as `GraphNode`s: inputs as stored, outputs named `node:0`, `node:1`…

How many outputs an op makes comes from TensorFlow's op registry, kept as data
(kinspect/data/tf_op_outputs.json, made by resources/make_tf_op_outputs.py) or from a meta
graph's own `stripped_op_list`; consumers' `node:N` inputs raise the count where needed.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections.abc import Iterator, Sequence
from typing import Any

from ...datafiles import data_file
from ...model import GraphNode

_DATA = data_file("tf_op_outputs.json")


@functools.cache
def op_outputs() -> dict[str, list[int | str]]:
    """Output arguments of every TensorFlow op that does not make exactly one output, from
    TensorFlow's op registry (kinspect/data/tf_op_outputs.json, made by
    resources/make_tf_op_outputs.py): 1, "N:attr" (number attr) or "L:attr" (type list)."""
    try:
        return json.loads(_DATA.read_text())["ops"]
    except (OSError, ValueError, KeyError):
        return {}


def op_outputs_from_op_list(op_list: Any) -> dict[str, list[int | str]]:
    """The same table from a meta graph's `stripped_op_list` (exact for the ops it records,
    custom ops included)."""
    table = dict(op_outputs())
    for op in op_list.op:
        spec: list[int | str] = [("N:" + a.number_attr) if a.number_attr else
                                 ("L:" + a.type_list_attr) if a.type_list_attr else 1
                                 for a in op.output_arg]
        if spec == [1]:
            table.pop(op.name, None)
        else:
            table[op.name] = spec
    return table


def output_count(spec: list[int | str], node_def: Any) -> int | None:
    """How many tensors a node makes, from its op's output arguments and its attributes."""
    total = 0
    for arg in spec:
        if arg == 1:
            total += 1
            continue
        kind, attr_name = str(arg).split(":", 1)
        attr = node_def.attr.get(attr_name) if node_def is not None else None
        if attr is None:
            return None
        total += attr.i if kind == "N" else len(attr.list.type)
    return total


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while making many small objects that form no cycles:
    with it running, 200,000 nodes trigger repeated full collections of a growing heap
    (measured: making the node list took ~1.4x as long)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def graph_nodes(node_defs: Sequence[Any],
                op_table: dict[str, list[int | str]] | None = None) -> list[GraphNode]:
    """GraphNodes with inputs as stored (control inputs `^name`) and outputs `name:i`.

    The hot loop of opening a big graph (200,000 nodes): one pass over the protobuf, touching
    only name, op and inputs; an input index is parsed only when the input has a `:`, and op
    definitions are consulted only for the few ops whose output count is not one. The device
    is filled in when a row is first shown.
    """
    with no_gc():
        return _graph_nodes(node_defs, op_outputs() if op_table is None else op_table)


# Output names listed beyond one per node, across the whole graph. A consumer's `x:N` or an
# op's number attribute can claim any count (a 44-byte GraphDef asked for 3,000,001 names);
# past this budget a node lists only `:0` and the outputs consumers actually use.
EXTRA_OUTPUTS = 1 << 20


def _graph_nodes(node_defs: Sequence[Any], table: dict[str, list[int | str]]) -> list[GraphNode]:
    used: dict[str, set[int]] = {}
    special: dict[int, int] = {}
    out: list[GraphNode] = []
    append = out.append
    for pos, nd in enumerate(node_defs):
        name = nd.name
        op = nd.op
        inputs = nd.input[:]  # a plain list; faster than list() on upb containers
        for inp in inputs:
            if ":" in inp:
                base, _sep, idx = inp.rpartition(":")
                if idx.isdigit():
                    i = int(idx)
                    if i:
                        used.setdefault(base, set()).add(i)
        spec = table.get(op)
        if spec is not None:
            count = output_count(spec, nd)
            if count is not None and count != 1:
                special[pos] = count
        append(GraphNode(name, op, inputs))
    spare = max(EXTRA_OUTPUTS, 2 * len(out))
    for pos, gn in enumerate(out):
        name = gn.name
        n = special.get(pos, 1)
        refs = used.get(name)
        if refs is not None:
            n = max(n, max(refs) + 1)
        if n == 1:
            gn.outputs = [name + ":0"]
        elif n - 1 <= spare:
            spare -= max(n - 1, 0)
            gn.outputs = [f"{name}:{i}" for i in range(n)]
        else:  # sparse: each listed name costs an input string of the file
            gn.outputs = [f"{name}:{i}" for i in sorted({0} | (refs or set()))]
    return out
