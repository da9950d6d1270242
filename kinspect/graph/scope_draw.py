"""The graph drawn at one expansion of its scope tree, as a GraphDef Netron reads.

Every scope not open is one node (named by its id `a/b/`, titled by its main op, with its op
counts and parameter count as attributes); the tensors that cross its boundary are its inputs and
outputs, so every edge of the flat graph between two drawn nodes is still an edge
(`Drawing.edges`), except many control inputs of one node: listed on it, not drawn. Nodes of
open scopes are drawn from their stored NodeDefs with their inputs pointed at the groups that now
produce them. Plain Python, no Qt, no TensorFlow runtime.

Shapes (`shapes.py`): a group lists one `_output_shapes` entry per boundary output (in the order
of its outputs), its producer's shape; a drawn node without recorded shapes gets the inferred
ones. Netron shows them on the edges with the help of `ui/netron/js.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..formats.tf.ops import no_gc
from ..model import Document
from .focus import node_defs
from .outputs import split_tensor_name
from .scopes import Scope, ScopeTree, tree_for
from .shapes import Shape, meta_node_defs, recorded, to_proto

# Op counts listed on a group; the rest are summed as `other ops`.
SHOWN_OPS = 5
# A drawn node with more control inputs from other drawn nodes than this lists them in its
# `control inputs` attribute instead of as edges. A frozen InceptionV3's NoOp waits on 190 of
# its 312 layers: those 190 long edges made Netron's layout of the collapsed graph take 9.6 s
# instead of 1.1 s here (each crosses every rank of the drawing).
MAX_CONTROL_EDGES = 4


@dataclass
class Drawing:
    """A model file for Netron plus what it shows: drawn names (nodes and scope ids) and the
    edges between them (producer name, consumer name)."""

    data: bytes
    names: list[str]
    edges: set[tuple[str, str]] = field(default_factory=set)
    groups: dict[str, Scope] = field(default_factory=dict)
    # Control inputs listed on a node instead of drawn (see MAX_CONTROL_EDGES): name -> sources.
    listed: dict[str, list[str]] = field(default_factory=dict)


def units(tree: ScopeTree, expanded: set[str]) -> tuple[np.ndarray, list[Scope]]:
    """The drawn groups, and for each node the number of the group drawn in its place (-1 when
    it is drawn itself). The root is always open; a scope inside a closed one stays hidden
    whatever its own state."""
    uid = np.full(len(tree), -1, dtype=np.int64)
    groups: list[Scope] = []
    stack = [tree.root]
    while stack:
        scope = stack.pop()
        for child in scope.scopes.values():
            if child.id in expanded:
                stack.append(child)
            else:
                uid[tree.order[child.lo:child.hi]] = len(groups)
                groups.append(child)
    return uid, groups


def drawn_name(tree: ScopeTree, name: str, expanded: set[str]) -> str | None:
    """What stands for node (or scope id) `name` in the drawing: the outermost closed scope
    around it, or itself. None for an open scope (its contents are drawn) or an unknown name."""
    for scope in tree.path_to(name):
        if scope.id not in expanded:
            return scope.id
    if name in tree.by_id:
        return None
    return name if name in tree.index else None


def draw(doc: Document, expanded: Iterable[str],
         shapes: dict[str, list[Shape]] | None = None) -> Drawing:
    """The document's graph with the scopes in `expanded` open and all others closed.

    `shapes`: inferred output shapes by node name (shapes.infer), for nodes that record none."""
    tree = tree_for(doc)
    with no_gc():
        uid, units_ = units(tree, set(expanded))
        inputs, slots, edges = _wire(tree, uid, units_)
        listed = _list_controls(inputs)
        # Drawn in the order of their first node (groups take the place of their first node).
        firsts = [(int(tree.order[g.lo:g.hi].min()), g) for g in units_]
        leaves = [(i, None) for i in np.flatnonzero(uid < 0).tolist()]
        drawn = sorted(firsts + leaves, key=lambda item: item[0])
    defs = node_defs(doc)
    from ..formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    names: list[str] = []
    known = _Shapes(doc, tree, defs, shapes or {})
    for i, group in drawn:
        node_def = graph.node.add()
        if group is None:
            names.append(tree.names[i])
            _leaf(node_def, doc, tree, i, defs, inputs.get(tree.names[i], []))
            if "_output_shapes" not in node_def.attr:
                _set_shapes(node_def, known.outputs(node_def.name) or [])
        else:
            names.append(group.id)
            _group(node_def, tree, group, inputs.get(group.id, []))
            _set_shapes(node_def, [known.of(tensor) for tensor in slots.get(group.id, {})])
        sources = listed.get(node_def.name)
        if sources:
            node_def.attr["control inputs"].list.s.extend(s.encode() for s in sources)
    return Drawing(graph.SerializeToString(), names, edges, {g.id: g for g in units_}, listed)


def _list_controls(inputs: dict[str, list[str]]) -> dict[str, list[str]]:
    """Take the control inputs off nodes that have more than MAX_CONTROL_EDGES of them."""
    listed = {}
    for name, refs in inputs.items():
        controls = [ref for ref in refs if ref[:1] == "^"]
        if len(controls) > MAX_CONTROL_EDGES:
            listed[name] = [ref[1:] for ref in controls]
            refs[:] = [ref for ref in refs if ref[:1] != "^"]
    return listed


def _wire(tree: ScopeTree, uid: np.ndarray, groups: list[Scope]) -> tuple[
        dict[str, list[str]], dict[str, dict[str, int]], set[tuple[str, str]]]:
    """Inputs of every drawn node, the output slots of every drawn group (tensor -> index) and
    the drawn edges. The inputs inside one closed scope (most of a big graph) are told apart
    with numpy first: a Python loop over all 200,000 took 0.2-1.6 s, this ~20 ms."""
    inputs: dict[str, list[str]] = {}
    slots: dict[str, dict[str, int]] = {}
    edges: set[tuple[str, str]] = set()
    seen: dict[str, set[str]] = {}  # a group's inputs so far (a group may have thousands)
    names, all_refs = tree.names, tree.inputs.refs
    consumers, producers = tree.inputs.arrays()
    produced_by = np.where(producers >= 0, uid[producers], -2)
    consumed_by = uid[consumers]
    crossing = np.flatnonzero((produced_by != consumed_by) | (consumed_by < 0))
    for k, i, producer_index, p_unit, c_unit in zip(
            crossing.tolist(), consumers[crossing].tolist(), producers[crossing].tolist(),
            produced_by[crossing].tolist(), consumed_by[crossing].tolist(), strict=True):
        target = names[i] if c_unit < 0 else groups[c_unit].id
        refs = inputs.setdefault(target, [])
        if p_unit < 0:
            ref = all_refs[k]
            if producer_index >= 0:
                edges.add((names[producer_index], target))
        else:
            producer = groups[p_unit]
            ref = _group_ref(producer, all_refs[k], slots.setdefault(producer.id, {}))
            edges.add((producer.id, target))
        if c_unit < 0:
            refs.append(ref)
            continue
        known = seen.setdefault(target, set())
        if ref not in known:
            known.add(ref)
            refs.append(ref)
    for refs in inputs.values():
        refs.sort(key=lambda ref: ref[:1] == "^")  # control inputs last, as TensorFlow wants
    return inputs, slots, edges


def _group_ref(group: Scope, ref: str, slots: dict[str, int]) -> str:
    if ref[:1] == "^":
        return "^" + group.id
    base, index = split_tensor_name(ref)
    slot = slots.setdefault(f"{base}:{index}", len(slots))
    return group.id if slot == 0 else f"{group.id}:{slot}"


def _leaf(node_def: Any, doc: Document, tree: ScopeTree, i: int,
          defs: dict[str, Any] | None, refs: list[str]) -> None:
    if i >= len(doc.nodes):  # a node of a called function's body
        body = tree.bodies[i - len(doc.nodes)]
        node_def.CopyFrom(body.node_def)
        node_def.name = body.name
        del node_def.input[:]
        node_def.input.extend(refs)
        return
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
    # In Netron's properties panel when the group is clicked, not in its box: with Netron's
    # attributes shown, the ~5 rows per group made opening a group of InceptionV3 take 3.0 s
    # instead of 1.1 s here (measuring the text of each row, 0.8 s of it).
    if scope.params:
        node_def.attr["params"].i = scope.params
    ops = tree.op_counts(scope).most_common()
    for op, count in ops[:SHOWN_OPS]:
        node_def.attr[op].i = count
    if len(ops) > SHOWN_OPS:
        node_def.attr["other ops"].i = sum(count for _op, count in ops[SHOWN_OPS:])


class _Shapes:
    """The shape of a tensor `node:i` of the drawn graph: inferred, else recorded on its
    NodeDef (a GraphDef file's, a function body's, or an AttrValue kept on the GraphNode)."""

    def __init__(self, doc: Document, tree: ScopeTree, defs: dict[str, Any] | None,
                 inferred: dict[str, list[Shape]]) -> None:
        self.doc, self.tree, self.defs, self.inferred = doc, tree, defs, inferred
        self.meta = meta_node_defs(doc)  # SavedModels, checkpoints: their NodeDefs, parsed once

    def of(self, tensor: str) -> Shape:
        name, index = split_tensor_name(tensor)
        listed = self.outputs(name)
        return listed[index] if listed and 0 <= index < len(listed) else None

    def outputs(self, name: str) -> list[Shape] | None:
        """Every output's shape of node `name`, when known."""
        return self.inferred.get(name) or recorded(self._node_def(name))

    def _node_def(self, name: str) -> Any:
        if self.defs is not None and name in self.defs:
            return self.defs[name]
        if name in self.meta:
            return self.meta[name]
        i = self.tree.index.get(name)
        if i is None:
            return None
        if i >= len(self.doc.nodes):
            return self.tree.bodies[i - len(self.doc.nodes)].node_def
        value = self.doc.nodes[i].attrs.get("_output_shapes")
        return _Recorded(value) if type(value).__name__ == "AttrValue" else None


class _Recorded:
    """A NodeDef look-alike holding only `_output_shapes` (for `recorded`)."""

    def __init__(self, value: Any) -> None:
        self.attr = {"_output_shapes": value}


def _set_shapes(node_def: Any, shapes: list[Shape]) -> None:
    """`_output_shapes` on a drawn node, unless no shape in it is known."""
    if not any(shape is not None for shape in shapes):
        return
    listed = node_def.attr["_output_shapes"].list
    for shape in shapes:
        to_proto(shape, listed.shape.add())
