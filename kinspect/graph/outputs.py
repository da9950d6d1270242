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
    for name in predictions_of_training_graph(doc.nodes):
        add(name, "prediction: what the training loss compares with the labels")
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


PLACEHOLDER_OPS = ("Placeholder", "PlaceholderV2")
MAX_PLACEHOLDERS = 16  # one forward walk each


def predictions_of_training_graph(nodes: list[GraphNode]) -> list[str]:
    """A TF1 training graph's real outputs (`pred`) are consumed by its loss, so they are no
    sinks; its sinks are the loss and `gradients/*`. A label placeholder (`Y`) is one whose
    forward reach lies inside another placeholder's (`X`): the predictions are the nodes that
    do not depend on a label but feed a node that does, outside the gradients."""
    holders = [n.name for n in nodes if n.op in PLACEHOLDER_OPS]
    if not 2 <= len(holders) <= MAX_PLACEHOLDERS or not any(_training_part(n.name)
                                                            for n in nodes):
        return []  # an inference graph: a placeholder such as keep_prob is no label
    readers: dict[str, list[str]] = {}
    for node in nodes:
        if _training_part(node.name):
            continue  # the forward pass only (gradients read X, Y and their shapes)
        for inp in node.inputs:
            if not inp.startswith("^"):
                readers.setdefault(node_name(inp), []).append(node.name)
    reach = {h: _forward(h, readers) for h in holders}
    labels = [h for h in holders if any(o != h and reach[h] < reach[o] for o in holders)]
    if not labels:
        return []
    tainted = set().union(*(reach[h] for h in labels))
    by_name = {n.name: n for n in nodes}
    found: list[str] = []
    for name in sorted(tainted):
        if _training_part(name):
            continue
        for inp in by_name[name].inputs if name in by_name else []:
            base = node_name(inp)
            if (not inp.startswith("^") and base not in tainted and base not in found
                    and base not in holders and not _training_part(base)
                    and by_name.get(base) is not None and by_name[base].op != "Const"):
                found.append(base)
    return found


def _training_part(name: str) -> bool:
    return name.startswith("gradients") or "_grad/" in name


def _forward(start: str, readers: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(readers.get(start, []))
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(readers.get(name, []))
    return seen


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
