"""Control flow in the scope view: a call node (PartitionedCall, StatefulPartitionedCall, While,
If) is a group that opens into the nodes of the functions it runs.

TensorFlow 2 graphs (SavedModels above all) keep the model in the function library: the main
graph is a few placeholders and a StatefulPartitionedCall. Here each such call node C becomes
the scope `C/` holding C itself and its function's nodes, named `C/<node>` (`C/body/<node>` and
`C/cond/<node>` for a While, `C/then/` and `C/else/` for an If), nested calls in turn. Inside a
function, inputs name the function's arguments (`x`) or outputs as `node:out_arg:index`: the
arguments become edges from C, outputs edges from `C/<node>`. Only names and NodeDefs are read;
nothing runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..model import Document

# Op -> the attributes naming the functions it runs.
CALL_OPS = {
    "PartitionedCall": ("f",), "StatefulPartitionedCall": ("f",),
    "While": ("cond", "body"), "StatelessWhile": ("cond", "body"),
    "If": ("then_branch", "else_branch"), "StatelessIf": ("then_branch", "else_branch"),
}
_PREFIX = {"cond": "cond/", "body": "body/", "then_branch": "then/", "else_branch": "else/"}
# Function bodies opened at most this deep, and at most this many nodes in all (a function
# called from many places is copied into each call: bounded so a huge library cannot explode).
MAX_DEPTH = 8
MAX_NODES = 100_000


@dataclass(eq=False, slots=True)
class BodyNode:
    """A node of a function body, as drawn inside the call node `call`."""

    name: str  # `call/node`
    op: str
    refs: list[str]  # inputs as main-graph input strings (`call`, `call/other`, `^call/x`)
    node_def: Any  # the function's NodeDef (drawn with `name` and `refs`)
    call: str


def graph_def(doc: Document) -> Any | None:
    """The document's GraphDef with its function library (a GraphDef file's or a SavedModel's
    main meta graph's), read again from the file; None when the graph calls no function."""
    if not any(n.op in CALL_OPS for n in doc.nodes):
        return None
    try:
        if doc.format == "tf-graphdef" and os.path.isfile(doc.path):
            from ..formats.tf import graphdef as tf_graphdef

            return tf_graphdef.parse(doc.path)
        if doc.format == "tf-savedmodel":
            from ..formats.tf import savedmodel as tf_savedmodel

            saved = tf_savedmodel.parse(tf_savedmodel.locate(doc.path)[1])
            return tf_savedmodel.main_meta_graph(saved).graph_def
    except Exception:  # noqa: BLE001 - no bodies to open is not an error of the drawing
        return None
    return None


def bodies(doc: Document) -> list[BodyNode]:
    """The function nodes of every call node of the main graph, nested calls included."""
    graph = graph_def(doc)
    if graph is None or not len(graph.library.function):
        return []
    functions = {fn.signature.name: fn for fn in graph.library.function}
    out: list[BodyNode] = []
    for nd in graph.node:
        if nd.op in CALL_OPS:
            _open_call(nd.name, nd.op, nd.attr, functions, out, (), 0)
    return out


def called(op: str, attrs: Any, functions: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name prefix inside the call, FunctionDef) of each function the call runs."""
    keys = CALL_OPS.get(op, ())
    found = []
    for key in keys:
        if attrs is not None and key in attrs and attrs[key].func.name in functions:
            prefix = _PREFIX.get(key, "") if len(keys) > 1 else ""
            found.append((prefix, functions[attrs[key].func.name]))
    return found


def _open_call(call: str, op: str, attrs: Any, functions: dict[str, Any],
               out: list[BodyNode], stack: tuple[str, ...], depth: int) -> None:
    if depth >= MAX_DEPTH:
        return
    for prefix, fn in called(op, attrs, functions):
        name = fn.signature.name
        if name in stack or len(out) + len(fn.node_def) > MAX_NODES:
            continue  # recursion, or too big
        args = {arg.name for arg in fn.signature.input_arg}
        base = f"{call}/{prefix}"
        for nd in fn.node_def:
            refs = [_ref(ref, base, call, args) for ref in nd.input]
            out.append(BodyNode(base + nd.name, nd.op, refs, nd, call))
            if nd.op in CALL_OPS:
                _open_call(base + nd.name, nd.op, nd.attr, functions, out, (*stack, name),
                           depth + 1)


def _ref(ref: str, base: str, call: str, args: set[str]) -> str:
    """A function-body input as a main-graph input string: an argument -> the call node,
    `node:out:0` -> `base + node`; control inputs stay control inputs."""
    control = ref.startswith("^")
    name = ref[1:] if control else ref
    head = name.split(":", 1)[0]
    target = call if head in args else base + head
    return ("^" if control else "") + target
