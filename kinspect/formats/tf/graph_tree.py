"""The document tree of any graph (GraphDef, SavedModel, meta graph, tflite, onnx), built lazily.

A 200,000-node graph must open in well under 3 s: at open we only make the `GraphNode` list
(`info --json` needs names, ops, inputs, outputs); every tree row, its attributes and its
children are made when a view first asks for them. Branches: "Graph nodes" (flat),
"By name scope", "Functions", and the helpers for "Signatures" and "Variables". The node list
itself is made by `tf_ops.graph_nodes`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from ...model import Document, GraphNode, Kind, Node, Role, Signature, TensorInfo, format_shape
from . import tensor as tf_tensor
from .ops import graph_nodes, no_gc, op_outputs_from_op_list

__all__ = ["graph_nodes", "op_outputs_from_op_list"]  # re-exported for the readers


class LazyRow(Node):
    """A tree row whose attributes (and tensor) are computed when first looked at."""

    __slots__ = ("_make_attrs", "_make_tensor")
    _ATTRS = Node.__dict__["attrs"]
    _TENSOR = Node.__dict__["tensor"]

    def __init__(self, kind: str, name: str, type_: str = "", *,
                 make_attrs: Callable[[], dict[str, Any]] | None = None,
                 make_tensor: Callable[[], TensorInfo | None] | None = None,
                 **kwargs: Any) -> None:
        self._make_attrs = make_attrs
        self._make_tensor = make_tensor
        super().__init__(kind, name, type_, **kwargs)

    @property  # type: ignore[override]
    def attrs(self) -> dict[str, Any]:
        if self._make_attrs is not None:
            make, self._make_attrs = self._make_attrs, None
            try:
                LazyRow._ATTRS.__set__(self, make())
            except Exception as exc:  # noqa: BLE001 - shown, not raised, in a view
                LazyRow._ATTRS.__set__(self, {"error": f"{type(exc).__name__}: {exc}"})
        return LazyRow._ATTRS.__get__(self, Node)

    @attrs.setter
    def attrs(self, value: dict[str, Any]) -> None:
        LazyRow._ATTRS.__set__(self, value)

    @property  # type: ignore[override]
    def tensor(self) -> TensorInfo | None:
        if self._make_tensor is not None:
            make, self._make_tensor = self._make_tensor, None
            LazyRow._TENSOR.__set__(self, make())
        return LazyRow._TENSOR.__get__(self, Node)

    @tensor.setter
    def tensor(self, value: TensorInfo | None) -> None:
        LazyRow._TENSOR.__set__(self, value)


# ---- rows for TensorFlow NodeDefs -------------------------------------------------------------


class GraphRow(Node):
    """The row of one graph node. Its attributes, a Const's value, and its inputs / outputs /
    attributes children are made on first access. A plain class with no closures, because a
    200,000-node graph makes 200,000 of these when its flat branch is expanded."""

    __slots__ = ("_nd", "_lazy")
    _ATTRS = Node.__dict__["attrs"]
    _TENSOR = Node.__dict__["tensor"]

    def __init__(self, gn: GraphNode, nd: Any | None) -> None:  # noqa: D107 - no super(): speed
        self.kind = Kind.GRAPH_NODE
        self.name = gn.name
        self.type = gn.op
        self.params = None
        self.error = None
        self.ref = gn
        self.parent = None
        self._children = None
        self._factory = None
        self.shape_text = None
        self.role = None  # Node's slots, set here as Node.__init__ would (no super(): speed)
        self.count = None
        self._nd = nd
        self._lazy = True

    def _fill(self) -> None:
        self._lazy = False
        gn: GraphNode = self.ref
        nd = self._nd
        attrs: dict[str, Any] = {"op": gn.op}
        tensor = None
        try:
            if nd is not None:
                gn.device = gn.device or nd.device
                gn.attrs = tf_tensor.readable_attrs(nd)
                if gn.op == "Const" and "value" in nd.attr:
                    tensor = tf_tensor.const_tensor(gn.outputs[0] if gn.outputs else gn.name,
                                                    nd.attr["value"].tensor)
            if gn.device:
                attrs["device"] = gn.device
            attrs.update(gn.attrs)
        except Exception as exc:  # noqa: BLE001 - shown in the details pane, not raised
            attrs["error"] = f"{type(exc).__name__}: {exc}"
        GraphRow._ATTRS.__set__(self, attrs)
        GraphRow._TENSOR.__set__(self, tensor)
        if tensor is None:
            shapes = _output_shapes(nd)
            if shapes:  # `_output_shapes` recorded by the writer: the first output's shape
                self.shape_text = shapes[0]

    @property
    def shape(self) -> str:
        if self._lazy:
            self._fill()
        return Node.shape.fget(self)  # type: ignore[attr-defined]

    @property  # type: ignore[override]
    def attrs(self) -> dict[str, Any]:
        if self._lazy:
            self._fill()
        return GraphRow._ATTRS.__get__(self, Node)

    @attrs.setter
    def attrs(self, value: dict[str, Any]) -> None:
        self._lazy and self._fill()
        GraphRow._ATTRS.__set__(self, value)

    @property  # type: ignore[override]
    def tensor(self) -> TensorInfo | None:
        if self._lazy:
            self._fill()
        return GraphRow._TENSOR.__get__(self, Node)

    @tensor.setter
    def tensor(self, value: TensorInfo | None) -> None:
        self._lazy and self._fill()
        GraphRow._TENSOR.__set__(self, value)

    @property
    def children(self) -> list[Node]:
        if self._children is None:
            try:
                built = _node_children(self.ref, self._nd)
            except Exception as exc:  # noqa: BLE001 - a broken branch becomes an error row
                built = [Node(Kind.ERROR, "error", error=f"{type(exc).__name__}: {exc}")]
            self.set_children(built)
        return self._children  # type: ignore[return-value]

    @property
    def may_have_children(self) -> bool:
        return True


def _output_shapes(nd: Any) -> list[str]:
    if nd is None or "_output_shapes" not in nd.attr:
        return []
    return [format_shape(tf_tensor.shape_of(s)) for s in nd.attr["_output_shapes"].list.shape]


def _indexed(shapes: list[str], output: str) -> str | None:
    """The recorded shape of output `node:N` (a node may list only the outputs in use)."""
    index = output.rpartition(":")[2]
    return shapes[int(index)] if index.isdigit() and int(index) < len(shapes) else None


def _node_children(gn: GraphNode, nd: Any | None) -> list[Node]:
    rows: list[Node] = []
    if gn.inputs:
        rows.append(Node(Kind.GROUP, "inputs", f"{len(gn.inputs)}", children=[
            Node(Kind.TENSOR, inp[1:] if inp.startswith("^") else inp,
                 "control input" if inp.startswith("^") else "input",
                 attrs={"control": inp.startswith("^")}) for inp in gn.inputs]))
    shapes = _output_shapes(nd)
    if gn.outputs:
        rows.append(Node(Kind.GROUP, "outputs", f"{len(gn.outputs)}", children=[
            Node(Kind.TENSOR, out, "output", shape_text=_indexed(shapes, out))
            for out in gn.outputs]))
    if nd is not None and nd.attr:
        rows.append(Node(Kind.GROUP, "attributes", f"{len(nd.attr)}",
                         children_factory=lambda: _attr_rows(gn, nd)))
    return rows


def _attr_rows(gn: GraphNode, nd: Any) -> list[Node]:
    rows = []
    for key in sorted(nd.attr):
        value = nd.attr[key]
        if value.WhichOneof("value") == "tensor":
            tensor = tf_tensor.const_tensor(f"{gn.name}/{key}", value.tensor)
            rows.append(Node(Kind.ATTRIBUTE, key, "tensor", tensor=tensor))
        else:
            rows.append(Node(Kind.ATTRIBUTE, key, "attribute",
                             attrs={"value": tf_tensor.attr_value(value)}))
    return rows


def nodes_branch(title: str, nodes: list[GraphNode], node_defs: Sequence[Any] | None,
                 role: str | None = Role.GRAPH_NODES) -> Node:
    """A flat group of node rows, built when expanded (role GRAPH_NODES: the rows follow
    `Document.nodes` in order, which search relies on)."""
    def rows() -> list[Node]:
        defs = node_defs if node_defs is not None else [None] * len(nodes)
        with no_gc():
            return [GraphRow(gn, nd) for gn, nd in zip(nodes, defs, strict=False)]

    return Node(Kind.GROUP, title, f"{len(nodes):,} nodes", role=role, count=len(nodes),
                children_factory=rows)


def scope_branch(nodes: list[GraphNode], node_defs: Sequence[Any] | None) -> Node:
    """Nodes grouped by name scope (`a/b/c` under `a/` then `b/`), one level at a time."""
    return Node(Kind.GROUP, SCOPES_TITLE, "", role=Role.SCOPES,
                children_factory=lambda: _scope_level(nodes, node_defs,
                                                      list(range(len(nodes))), 0))


def _scope_level(nodes: list[GraphNode], defs: Sequence[Any] | None, idx: list[int],
                 depth: int) -> list[Node]:
    groups: dict[str, list[int]] = {}
    leaves: list[int] = []
    for i in idx:
        parts = nodes[i].name.split("/", depth + 1)
        if len(parts) > depth + 1:
            groups.setdefault(parts[depth], []).append(i)
        else:
            leaves.append(i)
    rows: list[Node] = []
    for scope, members in groups.items():
        rows.append(Node(Kind.GROUP, scope + "/", f"{len(members):,} nodes",
                         children_factory=lambda m=members: _scope_level(nodes, defs, m,
                                                                         depth + 1)))
    for i in leaves:
        rows.append(GraphRow(nodes[i], defs[i] if defs is not None else None))
    return rows


def functions_branch(library: Any) -> Node | None:
    """The function library: each function's signature and body nodes, built when expanded."""
    if library is None or not len(library.function):
        return None

    def rows() -> list[Node]:
        out = []
        for fn in library.function:
            sig = fn.signature
            out.append(LazyRow(
                Kind.FUNCTION, sig.name, "function",
                make_attrs=lambda sig=sig, fn=fn: {
                    "inputs": [f"{a.name}: {_arg_type(a)}" for a in sig.input_arg],
                    "outputs": [f"{a.name}: {_arg_type(a)}" for a in sig.output_arg],
                    "returns": dict(fn.ret), "nodes": len(fn.node_def)},
                children_factory=lambda fn=fn: _function_children(fn)))
        return out

    return Node(Kind.GROUP, "Functions", f"{len(library.function):,}", role=Role.FUNCTIONS,
                count=len(library.function), children_factory=rows)


def _arg_type(arg: Any) -> str:
    from . import protos as tf_protos

    return tf_protos.dtype_name(arg.type) if arg.type else (arg.type_attr or arg.type_list_attr)


def _function_children(fn: Any) -> list[Node]:
    sig = fn.signature
    nodes = graph_nodes(fn.node_def)
    return [
        Node(Kind.GROUP, "inputs", str(len(sig.input_arg)), children=[
            Node(Kind.TENSOR, a.name, _arg_type(a)) for a in sig.input_arg]),
        Node(Kind.GROUP, "outputs", str(len(sig.output_arg)), children=[
            Node(Kind.TENSOR, a.name, _arg_type(a), attrs={"value": fn.ret.get(a.name, "")})
            for a in sig.output_arg]),
        nodes_branch("nodes", nodes, fn.node_def),
    ]


# ---- signatures and variables -----------------------------------------------------------------

def root_node(path: str, label: str, **attrs: object) -> Node:
    """The document's top row, named like the file or folder (a SavedModel's folder for its
    saved_model.pb); the full path stays in the details."""
    trimmed = path.rstrip(os.sep)
    name = os.path.basename(trimmed)
    if name in ("saved_model.pb", "saved_model.pbtxt"):
        name = os.path.basename(os.path.dirname(trimmed)) or name
    return Node(Kind.MODEL, name or path, label, attrs={"path": path, **attrs})


def signatures_branch(signatures: dict[str, Signature]) -> Node | None:
    if not signatures:
        return None
    rows = []
    for key, sig in signatures.items():
        children = []
        for label, specs in (("inputs", sig.inputs), ("outputs", sig.outputs)):
            children.append(Node(Kind.GROUP, label, str(len(specs)), children=[
                Node(Kind.TENSOR, alias, spec.name, shape_text=format_shape(spec.shape),
                     tensor=TensorInfo(spec.name, spec.shape, spec.dtype),
                     attrs={"tensor name": spec.name, "dtype": spec.dtype})
                for alias, spec in specs.items()]))
        attrs: dict[str, str] = {"method": sig.method}
        for label, specs in (("input", sig.inputs), ("output", sig.outputs)):
            for alias, spec in specs.items():
                attrs[f"{label} {alias}"] = \
                    f"{spec.name}  {spec.dtype}  {format_shape(spec.shape)}"
        rows.append(Node(Kind.SIGNATURE, key, sig.method, attrs=attrs, children=children))
    return Node(Kind.GROUP, "Signatures", str(len(rows)), role=Role.SIGNATURES, children=rows)


NODES_TITLE = "Graph nodes"
SCOPES_TITLE = "By name scope"
OBJECT_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def variables_branch(variables: list[TensorInfo], title: str = "Variables") -> Node | None:
    """Variables as a tree by `/` (TF2 object-graph keys read as `layer_with_weights-0/kernel`)."""
    if not variables:
        return None

    def rows() -> list[Node]:
        root = Node(Kind.GROUP, "")
        groups: dict[str, Node] = {"": root}
        for var in variables:
            name = var.name[:-len(OBJECT_SUFFIX)] if var.name.endswith(OBJECT_SUFFIX) \
                else var.name
            parent_path, _sep, leaf = name.rpartition("/")
            parent = _group(groups, parent_path)
            parent.add(Node(Kind.VARIABLE, leaf, var.dtype, tensor=var,
                            attrs={"stored name": var.name}))
        return root.children

    return Node(Kind.GROUP, title, f"{len(variables):,}", role=Role.VARIABLES,
                count=len(variables), children_factory=rows)


def _group(groups: dict[str, Node], path: str) -> Node:
    node = groups.get(path)
    if node is None:
        parent_path, _sep, leaf = path.rpartition("/")
        node = _group(groups, parent_path).add(Node(Kind.GROUP, leaf + "/"))
        groups[path] = node
    return node


def row_for(doc: Document, name: str) -> Node | None:
    """The flat "Graph nodes" row of a node, for a view that jumps to a search hit."""
    branch = next((c for c in doc.root.children if c.role == Role.GRAPH_NODES), None)
    if branch is None:
        return None
    from ...search import index_of

    i = index_of(doc, name)
    return branch.children[i] if i is not None and i < len(branch.children) else None
