"""Output nodes for freezing: likely candidates, `:0` handling, and what a freeze would keep.

"Which output node names do I freeze with?" Freezing wants `dense_1/Softmax`, running wants
`dense_1/Softmax:0`. This module answers both from a Document, without TensorFlow, so the
window can suggest picks and preview the frozen result's size while the user clicks.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass

from ..model import Document, GraphNode

# Ops that typically end a network; a candidate with one of these ranks first.
FINAL_OPS = {"Softmax", "Sigmoid", "Identity", "IdentityN", "ArgMax", "LogSoftmax", "Tanh",
             "BiasAdd", "Add", "AddV2", "MatMul", "Reshape", "Squeeze"}
# Ops that are never useful outputs even when nothing consumes them.
NOISE_OPS = {"NoOp", "Const", "Placeholder", "PlaceholderWithDefault", "VarHandleOp",
             "VariableV2", "Variable", "Assert", "SaveV2", "RestoreV2", "MergeV2Checkpoints",
             "ShardedFilename", "StringJoin", "Assign", "AssignVariableOp", "SaveSlices",
             "Save", "Restore", "RestoreSlice", "ReadVariableOp", "StatefulPartitionedCall"}


@dataclass(frozen=True)
class OutputCandidate:
    node: str  # name for freezing (no suffix)
    tensor: str  # name for running (`node:0`)
    reason: str  # why it is suggested


def split_tensor_name(name: str) -> tuple[str, int]:
    """`a/b:1` -> (`a/b`, 1); `a/b` -> (`a/b`, 0); `^a` (control input) -> (`a`, -1)."""
    name = name.strip()
    if name.startswith("^"):
        return name[1:], -1
    head, sep, tail = name.rpartition(":")
    if sep and tail.isdigit():
        return head, int(tail)
    return name, 0


def node_name(name: str) -> str:
    """The name freezing and pruning want: without `:0` and without `^`."""
    return split_tensor_name(name)[0]


def tensor_name(name: str) -> str:
    """The name running wants: `node:0` unless an output index is already given."""
    base, index = split_tensor_name(name)
    return f"{base}:{max(index, 0)}"


def consumers(nodes: Iterable[GraphNode]) -> dict[str, int]:
    """Node name -> how many inputs (data or control) refer to it."""
    counts: dict[str, int] = {}
    for node in nodes:
        for inp in node.inputs:
            base = node_name(inp)
            counts[base] = counts.get(base, 0) + 1
    return counts


def candidates(doc: Document, limit: int = 20) -> list[OutputCandidate]:
    """Likely outputs: declared (signatures, model outputs) first, then graph sinks."""
    out: list[OutputCandidate] = []
    seen: set[str] = set()

    def add(name: str, reason: str) -> None:
        base = node_name(name)
        if base and base not in seen:
            seen.add(base)
            out.append(OutputCandidate(base, tensor_name(name), reason))

    for key, sig in doc.signatures.items():
        for alias, spec in sig.outputs.items():
            add(spec.name, f"output '{alias}' of signature '{key}'")
    for name in _model_output_layers(doc):
        add(name, "declared output of the Keras model")
    if doc.nodes:
        used = consumers(doc.nodes)
        sinks = [n for n in doc.nodes if n.name not in used and n.op not in NOISE_OPS
                 and not n.name.startswith(("save/", "init", "report_uninitialized"))]
        # training leftovers (gradients of a TF1 graph) rank last: nobody serves those
        sinks.sort(key=lambda n: (n.name.startswith("gradients") or "_grad/" in n.name,
                                  n.op not in FINAL_OPS, n.name))
        for node in sinks:
            add(node.name, f"{node.op} that no other node consumes")
    return out[:limit]


def _model_output_layers(doc: Document) -> list[str]:
    model = doc.extra.get("model") if isinstance(doc.extra.get("model"), dict) else None
    if model and isinstance(model.get("outputs"), list) and model["outputs"]:
        return [str(n) for n in model["outputs"]]
    if not doc.layers:
        return []
    fed = {inbound for layer in doc.layers for inbound in layer.inbound}
    return [layer.name for layer in doc.layers if layer.name not in fed][-4:]


def kept_nodes(doc: Document, outputs: Iterable[str]) -> set[str]:
    """Names of the nodes a freeze/prune to `outputs` keeps: the outputs and all they need
    (data and control inputs), as `graph_util.extract_sub_graph` computes it."""
    by_name = {node.name: node for node in doc.nodes}
    return backward_closure(outputs, lambda name: by_name[name].inputs, by_name)


def backward_closure(roots: Iterable[str], inputs_of: Callable[[str], Iterable[str]],
                     known: Container[str]) -> set[str]:
    """The nodes named by `roots` (tensor names, control inputs or node names) and every node
    they read, data or control; names outside `known` are left out."""
    seen: set[str] = set()
    stack = [n for n in map(node_name, roots) if n in known]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(n for n in map(node_name, inputs_of(name)) if n in known and n not in seen)
    return seen


def unknown_outputs(doc: Document, outputs: Iterable[str]) -> list[str]:
    """The requested names that are no node of the graph (nor layer of the model)."""
    names = {node.name for node in doc.nodes} | {la.name for la in doc.all_layers()}
    return [o for o in outputs if node_name(o) not in names]
