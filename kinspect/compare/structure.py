"""Which layers or nodes of A and B are the same thing, and how each pair differs.

Three cases, by what the two documents hold:
- two layer lists (Keras files, architecture files, weights-only files): matched by name;
- two graphs (GraphDef, SavedModel, tflite, onnx): by name, then the rest by op and position
  (the i-th unmatched `Conv2D` of A with the i-th unmatched `Conv2D` of B), as a re-export that
  renamed every node still lines up;
- a layer list and a graph (a Keras model and its frozen `.pb` or SavedModel): each Keras layer
  owns the graph nodes under its name scope, whatever prefix the export added
  (`sequential/dense_1/MatMul`); Keras 3 appends `_1` to every scope (`dense_1_1` is layer
  `dense_1`), detected per graph by which convention matches more layers.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..model import Document, GraphNode, Layer

EQUAL, CHANGED, ADDED, REMOVED = "equal", "changed", "added", "removed"

# Config keys whose spelling changed between Keras versions without changing the layer:
# compared only through the normalised values below, or not at all.
_NOISE_KEYS = {"name", "module", "registered_name", "build_config", "compile_config",
               "batch_input_shape", "batch_shape", "shared_object_id"}


@dataclass
class Pair:
    """One row of the comparison: a layer or node of A, of B, or both."""

    a: str | None
    b: str | None
    status: str
    kind_a: str = ""
    kind_b: str = ""
    changes: list[str] = field(default_factory=list)
    # Keras layer vs graph (on either side): the graph nodes under the layer's scope and the
    # tensor that is the layer's output there.
    graph_nodes: list[str] = field(default_factory=list)
    graph_tensor: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"a": self.a, "b": self.b, "status": self.status,
                                "class_or_op": [self.kind_a, self.kind_b]}
        if self.changes:
            data["changes"] = list(self.changes)
        if self.graph_tensor:
            data["graph_tensor"] = self.graph_tensor
            data["graph_nodes"] = len(self.graph_nodes)
        return data


@dataclass
class Structure:
    """Every pair, in A's order, then what only B has."""

    mode: str  # "layers", "graphs" or "layers-graph"
    pairs: list[Pair]

    def of(self, status: str) -> list[Pair]:
        return [p for p in self.pairs if p.status == status]

    @property
    def equal(self) -> bool:
        """A layer list against a graph always differs in form; only matched pairs count."""
        if self.mode == "layers-graph":
            return not self.of(CHANGED)
        return all(p.status == EQUAL for p in self.pairs)

    def to_json(self) -> dict[str, Any]:
        matched = [p for p in self.pairs if p.a is not None and p.b is not None]
        return {
            "mode": self.mode,
            "counts": {s: len(self.of(s)) for s in (EQUAL, CHANGED, ADDED, REMOVED)},
            "added": [p.b for p in self.of(ADDED)],
            "removed": [p.a for p in self.of(REMOVED)],
            "changed": [p.to_json() for p in self.of(CHANGED)],
            "matched": [p.to_json() for p in matched],
        }


def compare_structure(a: Document, b: Document) -> Structure:
    layers_a, layers_b = _layers(a), _layers(b)
    if _weights_only(layers_a) or _weights_only(layers_b):
        # A weights-only file knows only layers with weights: the others are not "added".
        layers_a = [la for la in layers_a if la.weights]
        layers_b = [lb for lb in layers_b if lb.weights]
    if layers_a and layers_b:
        return Structure("layers", match_layers(layers_a, layers_b))
    if layers_a and b.nodes:
        return Structure("layers-graph", match_layers_to_graph(layers_a, b.nodes))
    if a.nodes and layers_b:
        pairs = match_layers_to_graph(layers_b, a.nodes)
        return Structure("layers-graph", [_swap(p) for p in pairs])
    return Structure("graphs", match_graphs(a.nodes, b.nodes))


def _layers(doc: Document) -> list[Layer]:
    """Every layer, nested ones too, except the nested models themselves (their layers are
    compared one by one)."""
    return [la for la in doc.all_layers() if not la.layers]


def _weights_only(layers: list[Layer]) -> bool:
    return bool(layers) and not any(la.class_name for la in layers)


def _swap(p: Pair) -> Pair:
    status = {ADDED: REMOVED, REMOVED: ADDED}.get(p.status, p.status)
    return Pair(p.b, p.a, status, p.kind_b, p.kind_a, p.changes, p.graph_nodes, p.graph_tensor)


# --- layers against layers ---------------------------------------------------------------

def match_layers(layers_a: list[Layer], layers_b: list[Layer]) -> list[Pair]:
    by_name = {la.name: la for la in layers_b}
    seen: set[str] = set()
    pairs = []
    for la in layers_a:
        lb = by_name.get(la.name)
        if lb is None:
            pairs.append(Pair(la.name, None, REMOVED, la.class_name))
            continue
        seen.add(lb.name)
        changes = layer_changes(la, lb)
        pairs.append(Pair(la.name, lb.name, CHANGED if changes else EQUAL,
                          la.class_name, lb.class_name, changes))
    pairs += [Pair(None, lb.name, ADDED, "", lb.class_name)
              for lb in layers_b if lb.name not in seen]
    return pairs


def layer_changes(la: Layer, lb: Layer) -> list[str]:
    """What differs between two layers of one name. A side that does not know something (a
    weights-only file has no class or config) is not a difference."""
    out = []
    if la.class_name and lb.class_name and la.class_name != lb.class_name:
        out.append(f"class {la.class_name} -> {lb.class_name}")
    if la.config and lb.config:
        out += config_changes(normalise(la.config), normalise(lb.config))
    if la.output_shape is not None and lb.output_shape is not None \
            and list(la.output_shape) != list(lb.output_shape):
        out.append(f"output shape {list(la.output_shape)} -> {list(lb.output_shape)}")
    wa, wb = la.weights, lb.weights
    if wa and wb:
        if len(wa) != len(wb):
            out.append(f"{len(wa)} weights -> {len(wb)}")
        for x, y in zip(wa, wb, strict=False):
            if x.shape is not None and y.shape is not None and tuple(x.shape) != tuple(y.shape):
                out.append(f"weight {_base(x.name)} shape {x.shape} -> {y.shape}")
            if x.dtype != y.dtype:
                out.append(f"weight {_base(x.name)} dtype {x.dtype} -> {y.dtype}")
    return out


def normalise(config: dict[str, Any]) -> dict[str, Any]:
    """Config values as comparable across Keras 2 and 3: tuples as lists, a dtype policy
    object as its name, serialised objects (initializers…) as class name + config."""
    return {k: _norm(v) for k, v in config.items() if k not in _NOISE_KEYS}


def config_changes(ca: dict[str, Any], cb: dict[str, Any], prefix: str = "") -> list[str]:
    """`key.sub: old -> new` for values both configs set; a key only one version writes
    (Keras 3 adds some, drops others) is not a change of the layer."""
    out = []
    for key in sorted(set(ca) & set(cb)):
        va, vb = ca[key], cb[key]
        if isinstance(va, dict) and isinstance(vb, dict):
            out += config_changes(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append(f"{prefix}{key}: {_short(va)} -> {_short(vb)}")
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        if value.get("class_name") == "DTypePolicy" or "policy_name" in value.get("config", {}):
            cfg = value.get("config", {})
            return cfg.get("name", cfg.get("policy_name"))
        return {k: _norm(v) for k, v in value.items() if k not in _NOISE_KEYS}
    return value


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _base(name: str) -> str:
    return name.split("/")[-1].split(":")[0]


# --- graphs against graphs ---------------------------------------------------------------

def match_graphs(nodes_a: list[GraphNode], nodes_b: list[GraphNode]) -> list[Pair]:
    """By name first; what is left, by op and position."""
    by_name = {n.name: n for n in nodes_b}
    matched: dict[str, GraphNode] = {n.name: by_name[n.name] for n in nodes_a
                                     if n.name in by_name}
    rest_b: dict[str, list[GraphNode]] = defaultdict(list)
    taken = {m.name for m in matched.values()}
    for n in nodes_b:
        if n.name not in taken:
            rest_b[op_key(n.op)].append(n)
    for n in nodes_a:
        if n.name not in matched and rest_b.get(op_key(n.op)):
            matched[n.name] = rest_b[op_key(n.op)].pop(0)
    pairs = []
    renamed = _renames(matched)
    for n in nodes_a:
        m = matched.get(n.name)
        if m is None:
            pairs.append(Pair(n.name, None, REMOVED, n.op))
            continue
        changes = node_changes(n, m, renamed)
        pairs.append(Pair(n.name, m.name, CHANGED if changes else EQUAL, n.op, m.op, changes))
    used = {m.name for m in matched.values()}
    pairs += [Pair(None, n.name, ADDED, "", n.op) for n in nodes_b if n.name not in used]
    return pairs


# A stored value is the same thing as a frozen graph's constant and as a SavedModel's variable
# (its values are compared with the weights); TFLite spells ops in capitals (MUL for Mul).
_STORED = {"const", "variablev2", "variable", "varhandleop"}


def op_key(op: str) -> str:
    key = op.replace("_", "").lower()
    return "stored" if key in _STORED else key


def _renames(matched: dict[str, GraphNode]) -> dict[str, str]:
    return {a: b.name for a, b in matched.items()}


def node_changes(na: GraphNode, nb: GraphNode, renamed: dict[str, str]) -> list[str]:
    out = []
    if op_key(na.op) != op_key(nb.op):
        out.append(f"op {na.op} -> {nb.op}")
    ins_a = [_input_as_b(i, renamed) for i in na.inputs]
    ins_b = [i.lstrip("^") for i in nb.inputs]
    if ins_a != ins_b:
        out.append(f"inputs {na.inputs} -> {nb.inputs}")
    for key in sorted(set(na.attrs) & set(nb.attrs) - {"value", "_output_shapes"}):
        if _attr_text(na.attrs[key]) != _attr_text(nb.attrs[key]):
            out.append(f"{key}: {_short(na.attrs[key])} -> {_short(nb.attrs[key])}")
    return out


def _input_as_b(name: str, renamed: dict[str, str]) -> str:
    name = name.lstrip("^")
    node, _, port = name.partition(":")
    mapped = renamed.get(node, node)
    return f"{mapped}:{port}" if port else mapped


def _attr_text(value: Any) -> str:
    return " ".join(str(value).split())


# --- layers against a graph --------------------------------------------------------------

def match_layers_to_graph(layers: list[Layer], nodes: list[GraphNode]) -> list[Pair]:
    """Each layer with the nodes under its scope and the tensor that leaves that scope."""
    groups = scope_groups([la.name for la in layers], nodes)
    consumers = _consumers(nodes)
    pairs = []
    for la in layers:
        group = groups.get(la.name, [])
        if not group:
            pairs.append(Pair(la.name, None, REMOVED, la.class_name))
            continue
        scope = _common_scope([n.name for n in group])
        tensor = output_tensor(group, consumers)
        ops = Counter(n.op for n in group)
        kind = ",".join(op for op, _ in ops.most_common(3))
        pairs.append(Pair(la.name, scope, EQUAL, la.class_name, kind,
                          graph_nodes=[n.name for n in group], graph_tensor=tensor))
    return pairs


def scope_groups(names: list[str], nodes: list[GraphNode]) -> dict[str, list[GraphNode]]:
    """Layer name -> its graph nodes: a node belongs to the innermost scope component that
    names a layer. A Placeholder named like an input layer belongs to it."""
    table = scope_table(names, [n.name for n in nodes])
    groups: dict[str, list[GraphNode]] = defaultdict(list)
    for node in nodes:
        parts = node.name.split("/")
        owner = next((table[c] for c in reversed(parts[:-1]) if c in table), None)
        if owner is None and node.op == "Placeholder" and node.name in names:
            owner = node.name
        if owner is not None:
            groups[owner].append(node)
    return groups


def scope_table(layers: list[str], node_names: list[str]) -> dict[str, str]:
    """Scope component -> layer name. An export may keep a layer's name as its scope
    (tf_keras: `dense_1`) or uniquify it (Keras 3: layer `dense` -> `dense_1`, layer `dense_1`
    -> `dense_1_2`): each layer takes its own name, else the first free `NAME_<n>`, in layer
    order; trying names or suffixes first, whichever places more layers wins (ties: names)."""
    comps = list(dict.fromkeys(c for n in node_names for c in n.split("/")[:-1]))
    best: dict[str, str] = {}
    for suffix_first in (False, True):
        taken: dict[str, str] = {}
        for layer in layers:
            pattern = re.compile(re.escape(layer) + r"_\d+")
            exact = [layer] if layer in comps else []
            numbered = [c for c in comps if pattern.fullmatch(c)]
            order = numbered + exact if suffix_first else exact + numbered
            comp = next((c for c in order if c not in taken), None)
            if comp is not None:
                taken[comp] = layer
        if len(taken) > len(best):
            best = taken
    return best


def _consumers(nodes: list[GraphNode]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        for name in node.inputs:
            out[name.lstrip("^").split(":")[0]].append(node.name)
    return out


def output_tensor(group: list[GraphNode], consumers: dict[str, list[str]]) -> str | None:
    """The last node of the group (in graph order) whose value leaves the group, or that
    nothing consumes: the layer's output."""
    inside = {n.name for n in group}
    best = None
    for node in group:
        if node.op in ("Const", "NoOp", "Assert") or not node.outputs:
            continue
        users = consumers.get(node.name, [])
        if not users or any(u not in inside for u in users):
            best = node
    return best.outputs[0] if best is not None else None


def _common_scope(names: list[str]) -> str:
    split = [n.split("/") for n in names]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common) or names[0]
