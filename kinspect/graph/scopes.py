"""The scope tree of a graph: nodes grouped by name scope, for drawing a big graph whole.

Netron lays out every node it is given (17 s for the 2,217 nodes of a frozen InceptionV3 here).
Graph node names carry their structure: `inception_v3_1/conv2d_5/convolution` sits in scope
`inception_v3_1/conv2d_5`, and in graphs made from Keras models each scope below the model is
one layer. So a big graph is drawn with scopes collapsed into one node each (see
`scope_draw.py`), opened one level at a time. Plain Python, no Qt, no TensorFlow.

A scope's id is its path plus `/` (`a/b/`): TensorFlow node names never end with `/`, so a scope
`a` (from a node `a/b`) and a node called `a` never collide; the tree's "By name scope" rows are
named the same way.
"""

from __future__ import annotations

import re
import threading
import weakref
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..formats.tf.ops import no_gc
from ..model import Document
from ..once import build_once
from . import scope_calls
from .focus import node_defs
from .outputs import node_name

# Draw at most about this many nodes when a graph opens: the frozen InceptionV3 opens with its
# 312 layers plus input, NoOp and output (315), which Netron lays out in ~1.5 s here.
MAX_DRAWN = 350

# Ops that make a Keras layer what it is: a scope holding exactly one of them is titled by it
# (`conv2d_5`: Const, Conv2D -> "Conv2D"). Reshape, BiasAdd, Mul... are parts of many layers.
_LAYER_OPS = frozenset({
    "Conv2D", "Conv3D", "Conv1D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "MatMul",
    "BatchMatMulV2", "BatchMatMul", "FusedBatchNormV3", "FusedBatchNorm", "Einsum", "While",
    "StatelessWhile", "If", "StatelessIf", "StatefulPartitionedCall", "PartitionedCall",
    "MaxPool", "AvgPool", "MaxPool3D", "AvgPool3D", "Mean", "ConcatV2", "Concat", "Softmax",
    "LogSoftmax", "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "LeakyRelu",
    "Pad", "ResizeBilinear", "ResizeNearestNeighbor",
})
_KERAS_NAME = re.compile(r"([a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*?)(?:_\d+)*")
_FLOATS = frozenset({1, 2, 14, 19})  # DT_FLOAT, DT_DOUBLE, DT_BFLOAT16, DT_HALF


@dataclass(eq=False, slots=True)
class Scope:
    """One name scope: the nodes directly in it (indexes into `doc.nodes`) and its sub-scopes."""

    path: str  # "a/b"; "" for the root
    depth: int  # 0 for top-level scopes, -1 for the root
    parent: Scope | None = None
    # The name the drawn group node gets (and its tree row under "By name scope"): `a/b/`.
    id: str = ""
    scopes: dict[str, Scope] = field(default_factory=dict)
    members: list[int] = field(default_factory=list)
    size: int = 0  # nodes in it and below
    # Its nodes and those below are ScopeTree.order[lo:hi] (scopes in depth-first order).
    lo: int = 0
    hi: int = 0
    params: int = 0  # float weights (Const values) in it and below, when the file has them

    def __post_init__(self) -> None:
        self.id = self.path + "/"

    @property
    def leaf(self) -> str:
        return self.path.rpartition("/")[2]

    def ancestors(self) -> list[Scope]:
        """This scope and its parents up to (not including) the root, outermost first."""
        out: list[Scope] = []
        scope: Scope | None = self
        while scope is not None and scope.parent is not None:
            out.append(scope)
            scope = scope.parent
        return out[::-1]


@dataclass(eq=False)
class Inputs:
    """Every node's inputs in flat arrays: node i's are refs[starts[i]:starts[i + 1]] (TensorFlow
    input strings, `^` for control), made by producers[...] (node index, -1 outside the graph).
    Flat, because one small object per input cost ~1 s of garbage collection at 200,000."""

    starts: array
    producers: array
    refs: list[str]
    _arrays: tuple[np.ndarray, np.ndarray] | None = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(consumer, producer) node index of every input as numpy arrays, made once."""
        if self._arrays is None:
            starts = np.frombuffer(self.starts, dtype=np.int64)
            consumers = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
            self._arrays = (consumers, np.frombuffer(self.producers, dtype=np.int64))
        return self._arrays


@dataclass(eq=False)
class ScopeTree:
    """Every scope of a document's graph, built once per document (0.5 s at 200,000 nodes)."""

    root: Scope
    names: list[str]
    ops: list[str]
    index: dict[str, int]  # node name -> index
    scope_of: list[Scope]  # each node's own scope
    by_id: dict[str, Scope]  # scope id (`a/b/`) -> scope
    inputs: Inputs
    order: np.ndarray  # node indexes, each scope's contiguous (see Scope.lo / hi)
    node_params: list[int]
    bodies: list[scope_calls.BodyNode]  # nodes len(doc.nodes)... : function bodies of calls
    _ops: dict[str, Counter[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def max_depth(self) -> int:
        return max((s.depth for s in self.by_id.values()), default=-1)

    def depth_counts(self) -> list[int]:
        """Drawn node count at each depth d (scopes at depth < d open): [d=0, d=1, ...,
        all open]. The last entry is the flat graph."""
        deepest = self.max_depth
        leaves = [0] * (deepest + 2)
        scopes = [0] * (deepest + 2)
        for scope in self.by_id.values():
            leaves[scope.depth + 1] += len(scope.members)
            scopes[scope.depth] += 1
        counts = []
        opened = len(self.root.members)
        for d in range(deepest + 2):
            counts.append(opened + scopes[d])
            opened += leaves[d + 1] if d + 1 < len(leaves) else 0
        return counts

    def initial_depth(self, limit: int = MAX_DRAWN) -> int | None:
        """The deepest depth at which at most `limit` nodes are drawn; None when even the top
        level draws more (a graph without scopes: the focus view pages it instead)."""
        counts = self.depth_counts()
        fitting = [d for d, count in enumerate(counts) if count <= limit]
        return fitting[-1] if fitting and self.by_id else None

    def expanded_to(self, depth: int) -> set[str]:
        """The ids of the scopes open when the graph is collapsed to `depth`."""
        return {s.id for s in self.by_id.values() if s.depth < depth}

    def path_to(self, name: str) -> list[Scope]:
        """The scopes around node `name` (or scope id `a/b/`), outermost first."""
        scope = self.by_id.get(name)
        if scope is not None:
            return scope.ancestors()
        i = self.index.get(name)
        return self.scope_of[i].ancestors() if i is not None else []

    def op_counts(self, scope: Scope) -> Counter[str]:
        """How many nodes of each op the scope holds (cached: the top level of a 200,000-node
        graph asks for all of them)."""
        counts = self._ops.get(scope.id)
        if counts is None:
            counts = Counter()
            stack = [scope]
            while stack:
                s = stack.pop()
                counts.update(self.ops[i] for i in s.members)
                stack.extend(s.scopes.values())
            self._ops[scope.id] = counts
        return counts

    def title(self, scope: Scope) -> str:
        """What the drawn group says it is: the one op that makes a layer (`conv2d_5` ->
        Conv2D); for a layer without one, its class from the Keras-style name
        (`batch_normalization_1_2` -> BatchNormalization); else the scope's own name."""
        ops = self.op_counts(scope)
        main = [op for op in ops if op in _LAYER_OPS]
        if len(main) == 1 and ops[main[0]] == 1:
            return main[0]
        match = _KERAS_NAME.fullmatch(scope.leaf)
        if not main and match:
            return "".join(part[:1].upper() + part[1:] for part in match.group(1).split("_"))
        return scope.leaf


_TREES: weakref.WeakKeyDictionary[Document, ScopeTree] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def tree_for(doc: Document) -> ScopeTree:
    """The document's scope tree, cached on the document."""
    return build_once(_TREES, doc, _LOCK, lambda: build(doc))


def build(doc: Document) -> ScopeTree:
    """Group `doc.nodes` by name scope (`a/b/c` is in `a/b`); a call node C and the nodes of
    the functions it runs (scope_calls.py) form the scope `C/`."""
    with no_gc():
        index = {n.name: i for i, n in enumerate(doc.nodes)}
        body = [b for b in scope_calls.bodies(doc) if b.name not in index]
        calls = {b.call for b in body}
        names = [n.name for n in doc.nodes] + [b.name for b in body]
        if body:
            index.update((b.name, len(doc.nodes) + k) for k, b in enumerate(body))
        root = Scope("", -1)
        by_path: dict[str, Scope] = {"": root}
        scope_of = []
        for name in names:
            head = name if name in calls else name.rpartition("/")[0] if "/" in name else ""
            scope = by_path.get(head)
            if scope is None:
                scope = _make_scope(by_path, head)
            scope.members.append(len(scope_of))
            scope_of.append(scope)
        defs = node_defs(doc)
        node_params = [_params(defs[n.name]) if defs and n.op == "Const" else 0
                       for n in doc.nodes]
        node_params += [_params(b.node_def) if b.op == "Const" else 0 for b in body]
        _sum_sizes(by_path, node_params)
        inputs = _edges(doc, index, body)
    by_id = {s.id: s for path, s in by_path.items() if path}
    order = _order(root)
    ops = [n.op for n in doc.nodes] + [b.op for b in body]
    return ScopeTree(root, names, ops, index, scope_of, by_id, inputs, order, node_params,
                     body)


def _make_scope(by_path: dict[str, Scope], path: str) -> Scope:
    head, _sep, _leaf = path.rpartition("/")
    parent = by_path.get(head) or _make_scope(by_path, head)
    scope = Scope(path, parent.depth + 1, parent)
    parent.scopes[path.rpartition("/")[2]] = scope
    by_path[path] = scope
    return scope


def _order(root: Scope) -> np.ndarray:
    """Node indexes scope by scope, depth first, so that closing a scope is one numpy slice."""
    order: list[int] = []
    stack: list[tuple[Scope, bool]] = [(root, False)]
    while stack:
        scope, done = stack.pop()
        if done:
            scope.hi = len(order)
            continue
        scope.lo = len(order)
        order.extend(scope.members)
        stack.append((scope, True))
        stack.extend((child, False) for child in reversed(list(scope.scopes.values())))
    return np.array(order, dtype=np.int64)


def _sum_sizes(by_path: dict[str, Scope], node_params: list[int]) -> None:
    for scope in sorted(by_path.values(), key=lambda s: -s.depth):
        scope.size += len(scope.members)
        scope.params += sum(node_params[i] for i in scope.members)
        if scope.parent is not None:
            scope.parent.size += scope.size
            scope.parent.params += scope.params


def _params(node_def: object) -> int:
    """Weights a frozen graph stores in this node: a float Const of rank >= 1 (scalars such as
    a batch norm's epsilon are not parameters; Keras counts the rest, frozen or not)."""
    if node_def is None or node_def.op != "Const":  # type: ignore[attr-defined]
        return 0
    tensor = node_def.attr["value"].tensor  # type: ignore[attr-defined]
    dims = tensor.tensor_shape.dim
    if tensor.dtype not in _FLOATS or not dims:
        return 0
    size = 1
    for dim in dims:
        size *= max(dim.size, 0)
    return size


def _edges(doc: Document, index: dict[str, int], body: list[scope_calls.BodyNode]) -> Inputs:
    """Every node's inputs as TensorFlow input strings with their producer's index.
    tflite / onnx name tensors, not `node:i`: mapped through their producers."""
    tf_style = doc.format.startswith("tf-")
    produced: dict[str, str] = {}
    if not tf_style:
        produced = {out: (f"{n.name}:{i}" if i else n.name) for n in doc.nodes
                    for i, out in enumerate(n.outputs)}
    starts = array("q", [0])
    producers = array("q")
    refs: list[str] = []
    for node in doc.nodes:
        for ref in node.inputs:
            if not tf_style:
                ref = produced.get(ref, ref)
            plain = ref[:1] != "^" and ":" not in ref
            producers.append(index.get(ref if plain else node_name(ref), -1))
            refs.append(ref)
        starts.append(len(refs))
    for node in body:  # already main-graph input strings
        for ref in node.refs:
            producers.append(index.get(node_name(ref), -1))
            refs.append(ref)
        starts.append(len(refs))
    return Inputs(starts, producers, refs)
