"""The graph drawn at one expansion of its scope tree, as a GraphDef Netron reads.

Every scope not open is one node (named by its id `a/b/`, titled by its main op, with its node
count, op counts and parameter count as attributes); the tensors that cross its boundary are its
inputs and outputs, so every edge of the flat graph between two drawn nodes is still an edge
(`Drawing.edges`). Nodes of open scopes are drawn from their stored NodeDefs with their inputs
pointed at the groups that now produce them. Plain Python, no Qt, no TensorFlow runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Document
from .focus import node_defs
from .outputs import split_tensor_name
from .scopes import Scope, ScopeTree, tree_for

# Op counts listed on a group; the rest are summed as `other ops`.
SHOWN_OPS = 5


@dataclass
class Drawing:
    """A model file for Netron plus what it shows: drawn names (nodes and scope ids) and the
    edges between them (producer name, consumer name)."""

    data: bytes
    names: list[str]
    edges: set[tuple[str, str]] = field(default_factory=set)
    groups: dict[str, Scope] = field(default_factory=dict)


def units(tree: ScopeTree, expanded: set[str]) -> list[Scope | None]:
    """For each node: the collapsed scope drawn in its place, or None when it is drawn itself.
    The root is always open; a scope inside a closed one stays hidden whatever its state."""
    unit_of: list[Scope | None] = [None] * len(tree)
    stack = [tree.root]
    while stack:
        scope = stack.pop()
        for child in scope.scopes.values():
            if child.id in expanded:
                stack.append(child)
            else:
                _assign(child, child, unit_of)
    return unit_of


def _assign(scope: Scope, unit: Scope, unit_of: list[Scope | None]) -> None:
    stack = [scope]
    while stack:
        s = stack.pop()
        for i in s.members:
            unit_of[i] = unit
        stack.extend(s.scopes.values())


def drawn_name(tree: ScopeTree, name: str, expanded: set[str]) -> str | None:
    """What stands for node (or scope id) `name` in the drawing: the outermost closed scope
    around it, or itself. None for an open scope (its contents are drawn) or an unknown name."""
    for scope in tree.path_to(name):
        if scope.id not in expanded:
            return scope.id
    if name in tree.by_id:
        return None
    return name if name in tree.index else None


def draw(doc: Document, expanded: Iterable[str]) -> Drawing:
    """The document's graph with the scopes in `expanded` open and all others closed."""
    tree = tree_for(doc)
    opened = set(expanded)
    unit_of = units(tree, opened)
    inputs, slots, edges = _wire(tree, unit_of)
    defs = node_defs(doc)
    from ..formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    names: list[str] = []
    groups: dict[str, Scope] = {}
    for i, unit in enumerate(unit_of):
        if unit is None:
            names.append(tree.names[i])
            _leaf(graph.node.add(), doc, i, defs, inputs[tree.names[i]])
        elif unit.id not in groups:
            groups[unit.id] = unit
            names.append(unit.id)
            _group(graph.node.add(), tree, unit, inputs.get(unit.id, []))
    return Drawing(graph.SerializeToString(), names, edges, groups)


def _wire(tree: ScopeTree, unit_of: list[Scope | None]) -> tuple[
        dict[str, list[str]], dict[str, dict[str, int]], set[tuple[str, str]]]:
    """Inputs of every drawn node, the output slots of every drawn group (tensor -> index) and
    the drawn edges."""
    inputs: dict[str, list[str]] = {}
    slots: dict[str, dict[str, int]] = {}
    edges: set[tuple[str, str]] = set()
    names = tree.names
    seen: dict[str, set[str]] = {}  # a group's inputs so far (a group may have thousands)
    for i, edge_list in enumerate(tree.inputs):
        consumer = unit_of[i]
        target = names[i] if consumer is None else consumer.id
        refs = inputs.setdefault(target, [])
        known = seen.setdefault(target, set()) if consumer is not None else None
        for edge in edge_list:
            producer = unit_of[edge.producer] if edge.producer >= 0 else None
            if producer is not None and producer is consumer:
                continue  # inside one closed scope
            if producer is None:
                ref = edge.ref
                if edge.producer >= 0:
                    edges.add((names[edge.producer], target))
            else:
                ref = _group_ref(producer, edge, slots.setdefault(producer.id, {}))
                edges.add((producer.id, target))
            if known is None:
                refs.append(ref)
            elif ref not in known:
                known.add(ref)
                refs.append(ref)
    for refs in inputs.values():
        refs.sort(key=lambda ref: ref[:1] == "^")  # control inputs last, as TensorFlow wants
    return inputs, slots, edges


def _group_ref(group: Scope, edge: Any, slots: dict[str, int]) -> str:
    if edge.control:
        return "^" + group.id
    base, index = split_tensor_name(edge.ref)
    slot = slots.setdefault(f"{base}:{index}", len(slots))
    return group.id if slot == 0 else f"{group.id}:{slot}"


def _leaf(node_def: Any, doc: Document, i: int, defs: dict[str, Any] | None,
          refs: list[str]) -> None:
    gn = doc.nodes[i]
    original = defs.get(gn.name) if defs else None
    if original is not None:
        node_def.CopyFrom(original)
        del node_def.input[:]
    else:
        node_def.name = gn.name
        node_def.op = gn.op
        if gn.device:
            node_def.device = gn.device
        for key, value in gn.attrs.items():
            if type(value).__name__ == "AttrValue":
                node_def.attr[key].CopyFrom(value)
    node_def.input.extend(refs)


def _group(node_def: Any, tree: ScopeTree, scope: Scope, refs: list[str]) -> None:
    node_def.name = scope.id
    node_def.op = tree.title(scope)
    node_def.input.extend(refs)
    # Shown in the box (the page turns Netron's attributes on for these models), sorted by
    # name there: the parameters and the most frequent ops with their counts.
    if scope.params:
        node_def.attr["params"].i = scope.params
    ops = tree.op_counts(scope).most_common()
    for op, count in ops[:SHOWN_OPS]:
        node_def.attr[op].i = count
    if len(ops) > SHOWN_OPS:
        node_def.attr["other ops"].i = sum(count for _op, count in ops[SHOWN_OPS:])
