"""The document model every reader produces and every view and exporter consumes.

A `Document` holds structured facts (layers, graph nodes, signatures, variables) that
`kinspect info --json` reports, and a tree of `Node`s that the window shows. Tensor values are
never read while opening: a `TensorInfo` carries a loader that is called only when a view or an
exporter asks for the values, so a 2 GB file opens in bounded memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import FormatError

Shape = tuple[int | None, ...]


class Kind:
    """Node kinds; plain strings so that documents stay easy to serialise and to test."""

    MODEL = "model"
    LAYER = "layer"
    WEIGHT = "weight"
    CONFIG = "config"
    GROUP = "group"
    ATTRIBUTE = "attribute"
    GRAPH_NODE = "node"
    TENSOR = "tensor"
    SIGNATURE = "signature"
    VARIABLE = "variable"
    FUNCTION = "function"
    ERROR = "error"


class Role:
    """What a branch row holds, so that the tree, search and pages recognise it by identity,
    never by its (translatable, changeable) title."""

    LAYERS = "layers"
    WEIGHTS = "weights"
    GRAPH_NODES = "graph-nodes"  # the flat list whose rows follow Document.nodes in order
    SCOPES = "scopes"  # the same nodes grouped by name scope
    SIGNATURES = "signatures"
    VARIABLES = "variables"
    FUNCTIONS = "functions"
    TENSORS = "tensors"


@dataclass(eq=False)
class TensorInfo:
    """A stored tensor: its name exactly as stored, shape and dtype; values only on demand."""

    name: str
    shape: Shape | None
    dtype: str
    loader: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    trainable: bool = True
    # Optional: reads `values[index]` without reading the rest (h5py hyperslabs), so a view can
    # sample a 1 GB tensor or show one slice of it in bounded memory.
    slicer: Callable[[tuple[Any, ...]], np.ndarray] | None = field(default=None, repr=False)

    @property
    def size(self) -> int | None:
        """Number of elements, or None when a dimension is unknown."""
        if self.shape is None or any(d is None or d < 0 for d in self.shape):
            return None
        return math.prod(self.shape)  # type: ignore[arg-type]

    @property
    def nbytes(self) -> int | None:
        size = self.size
        if size is None:
            return None
        try:
            return size * np.dtype(self.dtype).itemsize
        except TypeError:
            return None

    @property
    def has_values(self) -> bool:
        return self.loader is not None

    def read(self) -> np.ndarray:
        """Read the values now (may be slow: call from a worker for big tensors)."""
        if self.loader is None:
            raise FormatError(f"{self.name}: no stored values")
        return np.asarray(self.loader())

    def read_part(self, index: tuple[Any, ...]) -> np.ndarray:
        """`values[index]`, through the slicer when there is one (else reads everything)."""
        if self.slicer is not None:
            return np.asarray(self.slicer(index))
        return self.read()[index]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape) if self.shape is not None else None,
                "dtype": self.dtype}


@dataclass(eq=False)
class Layer:
    """A Keras layer as configured and as stored: its config, its weights, its connections."""

    name: str
    class_name: str
    config: dict[str, Any] = field(default_factory=dict)
    weights: list[TensorInfo] = field(default_factory=list)
    inbound: list[str] = field(default_factory=list)
    trainable: bool = True
    layers: list[Layer] = field(default_factory=list)  # nested model or wrapped layer
    module: str | None = None
    output_shape: Any = None

    @property
    def shape_text(self) -> str | None:
        """The output shape as `model.summary()` prints it; None when not known."""
        shape = self.output_shape
        return format_shape(tuple(shape)) if isinstance(shape, (list, tuple)) else None

    @property
    def params(self) -> int:
        own = sum(w.size or 0 for w in self.weights)
        return own + sum(child.params for child in self.layers)

    def walk(self) -> Iterator[Layer]:
        yield self
        for child in self.layers:
            yield from child.walk()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "class_name": self.class_name,
            "trainable": self.trainable,
            "params": self.params,
            "inbound": list(self.inbound),
            "weights": [w.to_json() for w in self.weights],
        }
        if self.output_shape is not None:
            data["output_shape"] = list(self.output_shape)
        if self.layers:
            data["layers"] = [child.to_json() for child in self.layers]
        return data


@dataclass(eq=False, slots=True)
class GraphNode:
    """A node of a TensorFlow (or tflite / onnx) graph; outputs named `node:0`, `node:1`… (a
    TensorFlow node claiming a huge count lists only `:0` and the outputs consumers use)."""

    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    device: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "inputs": list(self.inputs),
                "outputs": list(self.outputs)}


@dataclass(eq=False)
class TensorSpec:
    """One input or output of a signature: the tensor name as TensorFlow wants it."""

    name: str
    dtype: str
    shape: Shape | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype,
                "shape": list(self.shape) if self.shape is not None else None}


@dataclass(eq=False)
class Signature:
    key: str
    method: str = ""
    inputs: dict[str, TensorSpec] = field(default_factory=dict)
    outputs: dict[str, TensorSpec] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method,
                "inputs": {k: v.to_json() for k, v in self.inputs.items()},
                "outputs": {k: v.to_json() for k, v in self.outputs.items()}}


@dataclass
class Summary:
    """Parameter counts exactly as Keras `model.summary()` reports them."""

    total: int = 0
    trainable: int = 0
    non_trainable: int = 0

    def to_json(self) -> dict[str, int]:
        return {"total": self.total, "trainable": self.trainable,
                "non_trainable": self.non_trainable}


class Node:
    """A row of the document tree. Children may be built on first access (`children_factory`);
    like silx's Hdf5Node, a lazy branch can say how many children it will have (`count`) before
    it builds them, so a view sizes it without building 200,000 rows."""

    __slots__ = ("kind", "name", "type", "attrs", "tensor", "params", "error", "ref",
                 "parent", "_children", "_factory", "shape_text", "role", "count")

    def __init__(self, kind: str, name: str, type: str = "", *,
                 attrs: dict[str, Any] | None = None, tensor: TensorInfo | None = None,
                 params: int | None = None, error: str | None = None, ref: Any = None,
                 children: list[Node] | None = None,
                 children_factory: Callable[[], list[Node]] | None = None,
                 shape_text: str | None = None, role: str | None = None,
                 count: int | None = None) -> None:
        self.kind = kind
        self.name = name
        self.type = type
        self.attrs = attrs if attrs is not None else {}
        self.tensor = tensor
        self.params = params
        self.error = error
        self.ref = ref
        self.shape_text = shape_text
        self.role = role  # a Role for the well-known branches, else None
        self.count = count  # children a lazy branch will have, when known before building
        self.parent: Node | None = None
        self._children: list[Node] | None = None
        self._factory = children_factory
        if children is not None:
            self.set_children(children)

    def set_children(self, children: list[Node], adopt: bool = True) -> None:
        """Replace the children; `adopt=False` keeps their parents (a view's grouping rows that
        show another node's children without owning them)."""
        if adopt:
            for child in children:
                child.parent = self
        self._children = children
        self._factory = None

    def add(self, child: Node) -> Node:
        if self._children is None:
            self._children = []
        child.parent = self
        self._children.append(child)
        return child

    @property
    def children(self) -> list[Node]:
        if self._children is None:
            if self._factory is not None:
                factory, self._factory = self._factory, None
                try:
                    built = factory()
                except Exception as exc:  # noqa: BLE001 - a broken branch becomes an error row
                    built = [Node(Kind.ERROR, "error", error=f"{type(exc).__name__}: {exc}")]
                self.set_children(built)
            else:
                self._children = []
        return self._children  # type: ignore[return-value]

    @property
    def is_built(self) -> bool:
        """Whether the children exist already (reading `children` would build them)."""
        return self._children is not None

    @property
    def expected_child_count(self) -> int | None:
        """How many children this row has, without building them; None when not known."""
        if self._children is not None:
            return len(self._children)
        return self.count if self._factory is not None else 0

    @property
    def may_have_children(self) -> bool:
        """True without building lazy children, so a view can draw an expander cheaply."""
        if self._children is not None:
            return bool(self._children)
        return self._factory is not None

    @property
    def shape(self) -> str:
        if self.shape_text is not None:
            return self.shape_text
        if self.tensor is not None and self.tensor.shape is not None:
            return format_shape(self.tensor.shape)
        return ""

    @property
    def dtype(self) -> str:
        return self.tensor.dtype if self.tensor is not None else ""

    def path(self) -> list[Node]:
        node: Node | None = self
        out: list[Node] = []
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]

    def walk(self) -> Iterator[Node]:
        """Depth-first over the built tree (builds lazy branches)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, name: str) -> Node | None:
        return next((n for n in self.walk() if n.name == name), None)

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, {self.name!r}, {self.type!r})"


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None or d < 0 else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


@dataclass(eq=False)
class Document:
    """One opened file (or folder): what it is, who wrote it, and what it holds."""

    path: str
    format: str
    root: Node
    producer: dict[str, Any] = field(default_factory=dict)
    summary: Summary | None = None
    layers: list[Layer] = field(default_factory=list)
    nodes: list[GraphNode] = field(default_factory=list)
    signatures: dict[str, Signature] = field(default_factory=dict)
    variables: list[TensorInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def all_layers(self) -> Iterator[Layer]:
        for layer in self.layers:
            yield from layer.walk()

    def layer(self, name: str) -> Layer | None:
        return next((la for la in self.all_layers() if la.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "format": self.format,
            "producer": dict(self.producer),
            "params": self.summary.to_json() if self.summary else None,
            "layers": [layer.to_json() for layer in self.layers],
            "nodes": [node.to_json() for node in self.nodes],
            "signatures": {k: s.to_json() for k, s in self.signatures.items()},
            "variables": [v.to_json() for v in self.variables],
            "warnings": list(self.warnings),
        }
        data.update(self.extra)
        return data
