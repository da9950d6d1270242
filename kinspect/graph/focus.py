"""Small neighbourhood graphs for Netron: the part of a big model around one node.

Netron lays out the whole graph it is given (17 s for a 2,200-node frozen InceptionV3 here, and
it chokes above a few thousand nodes). So for big graphs the Graph page serves Netron a small
model file instead: the nodes within N hops up and down of the selected node, or the ancestors of
picked outputs, written in a format Netron reads: a binary GraphDef for graph documents, a Keras
JSON model config for Keras documents. Plain Python, no Qt, no TensorFlow runtime (GraphDef
classes come from `formats.tf_protos`); nothing from the file is executed.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..formats.tf.ops import no_gc
from ..model import Document, GraphNode, Kind, Layer, Node
from ..once import build_once
from .outputs import node_name

# Above this many nodes the Graph page shows the focus view by default.
BIG_GRAPH = 1500
# A neighbourhood never grows beyond this many nodes (hubs such as a shared Const or a
# `keras_learning_phase` would otherwise pull in most of the graph).
MAX_FOCUS_NODES = 250


_WEIGHTS = frozenset({"Const", "VariableV2", "Variable", "VarHandleOp"})
_READS = frozenset({"Identity", "ReadVariableOp"})


@dataclass
class GraphIndex:
    """Producers and consumers of every node, built once per document (0.2-0.4 s at 200k)."""

    inputs: dict[str, list[str]] = field(default_factory=dict)
    consumers: dict[str, list[str]] = field(default_factory=dict)
    ops: dict[str, str] = field(default_factory=dict)  # graph documents only

    @classmethod
    def build(cls, edges: Iterable[tuple[str, Iterable[str]]],
              produced: dict[str, str] | None = None) -> GraphIndex:
        """`edges`: (node, input refs). `produced`: tensor name -> producing node, for formats
        whose inputs name tensors rather than `node:i` (tflite, onnx)."""
        inputs: dict[str, list[str]] = {}
        consumers: dict[str, list[str]] = {}
        produced = produced or {}
        for name, refs in edges:
            producers: list[str] = []
            for ref in refs:
                # Fast path for the common plain `node` input; `^ctrl` / `node:1` otherwise.
                producer = produced.get(ref) if produced else None
                if producer is None:
                    producer = node_name(ref) if (":" in ref or ref[:1] == "^") else ref
                if producer not in producers:
                    producers.append(producer)
            inputs[name] = producers
            for producer in producers:
                users = consumers.get(producer)
                if users is None:
                    consumers[producer] = [name]
                else:
                    users.append(name)
        return cls(inputs, consumers)

    def __len__(self) -> int:
        return len(self.inputs)

    def __contains__(self, name: object) -> bool:
        return name in self.inputs

    def neighbourhood(self, center: str, hops: int = 2,
                      limit: int = MAX_FOCUS_NODES) -> list[str]:
        """`center` and the nodes at most `hops` edges above or below it, nearest first."""
        if center not in self.inputs:
            raise KeyError(center)
        seen = {center: 0}
        queue: deque[tuple[str, int, int]] = deque([(center, 0, 0), (center, 0, 1)])
        while queue and len(seen) < limit:
            name, depth, direction = queue.popleft()
            if depth >= hops:
                continue
            nexts = self.inputs.get(name, []) if direction == 0 else self.consumers.get(name, [])
            for other in nexts:
                if other not in seen and other in self.inputs:
                    seen[other] = depth + 1
                    queue.append((other, depth + 1, direction))
                    if len(seen) >= limit:
                        break
        return list(seen)

    def with_weights(self, names: list[str]) -> list[str]:
        """`names` plus the constants and variables they read directly (and the Identity /
        ReadVariableOp in between), so Netron folds them into their nodes as in the whole view
        instead of drawing those nodes without their weights."""
        seen = set(names)
        out = list(names)
        for name in names:
            for producer in self.inputs.get(name, []):
                if producer in seen:
                    continue
                op = self.ops.get(producer, "")
                reads = self.inputs.get(producer, []) if op in _READS else []
                if op in _WEIGHTS or (reads and all(self.ops.get(r) in _WEIGHTS for r in reads)):
                    for extra in (producer, *reads):
                        if extra not in seen:
                            seen.add(extra)
                            out.append(extra)
        return out

    def ancestors(self, outputs: Iterable[str], limit: int = MAX_FOCUS_NODES) -> list[str]:
        """The picked outputs and everything they depend on (what freezing them would keep)."""
        seen: dict[str, None] = {}
        queue = deque(node_name(o) for o in outputs)
        while queue and len(seen) < limit:
            name = queue.popleft()
            if name in seen or name not in self.inputs:
                continue
            seen[name] = None
            queue.extend(self.inputs[name])
        return list(seen)


@dataclass
class FocusModel:
    """A small model file for Netron: its bytes, a file name whose suffix picks the format."""

    data: bytes
    filename: str
    names: list[str]
    center: str | None = None


def is_graph(doc: Document) -> bool:
    return bool(doc.nodes)


def is_keras(doc: Document) -> bool:
    return not doc.nodes and any(layer.class_name for layer in doc.layers)


def node_count(doc: Document) -> int:
    """How many nodes Netron would have to lay out for the whole document."""
    if doc.nodes:
        return len(doc.nodes)
    return sum(1 for _ in doc.all_layers())


def why_not_drawable(doc: Document) -> str | None:
    """None when Netron can draw this document; otherwise a sentence a user understands."""
    if doc.nodes or doc.format in ("tflite", "onnx"):
        return None
    fmt = doc.format.lower()
    if "weights" in fmt or (doc.layers and not any(la.inbound or la.config for la in doc.layers)):
        return ("This file holds weights only: there is no model architecture to draw. "
                "Open the matching architecture file (model.json / .yaml) or a full model file "
                "to see the graph; the weights are listed in the Tree tab.")
    if "checkpoint" in fmt:
        return ("This checkpoint holds variable values only, without a graph (no .meta file or "
                "object graph to draw). The variables are listed in the Tree tab.")
    if doc.layers:
        return None
    return (f"There is no graph to draw in this {doc.format} document. "
            "Its contents are listed in the Tree tab.")


_INDEXES: weakref.WeakKeyDictionary[Document, GraphIndex] = weakref.WeakKeyDictionary()


# Index and NodeDefs may be prepared on a worker while the window asks for them: build once.
_BUILD_LOCK = threading.Lock()


def prepare(doc: Document) -> None:
    """Build what the first focus view needs (0.5-1.5 s at 200k nodes), e.g. on a worker."""
    index_for(doc)
    _node_defs(doc)


def index_for(doc: Document) -> GraphIndex:
    """The document's graph index; cached on the document (rebuilt for a new document only)."""
    return build_once(_INDEXES, doc, _BUILD_LOCK, lambda: _build_index(doc))


def _build_index(doc: Document) -> GraphIndex:
    # The cyclic GC would rescan the whole heap several times while we allocate ~600k small
    # objects at 200k nodes (measured: 1.8 s with it, 0.7 s without, on a loaded machine).
    with no_gc():
        if doc.nodes:
            produced = {} if _tf_style(doc) else \
                {out: n.name for n in doc.nodes for out in n.outputs}
            index = GraphIndex.build(((n.name, n.inputs) for n in doc.nodes), produced)
            index.ops = {n.name: n.op for n in doc.nodes}
        else:
            index = GraphIndex.build((la.name, la.inbound) for la in doc.layers)
    return index


def _tf_style(doc: Document) -> bool:
    """True when inputs are written `node:i` / `^node` (TensorFlow graphs)."""
    return doc.format.startswith("tf-")


def target_name(node: Node | None, doc: Document) -> str | None:
    """The graph node or top-level layer a tree row stands for (a weight -> its layer)."""
    index = index_for(doc)
    while node is not None:
        if node.kind in (Kind.GRAPH_NODE, Kind.LAYER) and node.name in index:
            return node.name
        if isinstance(node.ref, (GraphNode, Layer)) and node.ref.name in index:
            return node.ref.name
        node = node.parent
    return None


def focus(doc: Document, center: str | None = None, *, hops: int = 2,
          outputs: Iterable[str] | None = None) -> FocusModel:
    """The neighbourhood of `center` (or the ancestors of `outputs`, up to BIG_GRAPH nodes:
    Netron still draws that many in a few seconds) as a file Netron reads."""
    index = index_for(doc)
    if outputs is not None:
        names = index.ancestors(outputs, limit=BIG_GRAPH)
    elif center is not None:
        names = index.with_weights(index.neighbourhood(center, hops))
    else:
        raise ValueError("give a center node or outputs")
    if doc.nodes:
        return FocusModel(graphdef_bytes(doc, names), "kinspect-focus.pb", names, center)
    if doc.layers:
        return FocusModel(keras_json_bytes(doc, names), "kinspect-focus.json", names, center)
    raise ValueError(f"{doc.format}: no graph to focus on")


def graphdef_bytes(doc: Document, names: list[str]) -> bytes:
    """A binary GraphDef with the named nodes; inputs to nodes left out stay dangling."""
    from ..formats.tf import protos as tf_protos

    wanted = set(names)
    graph = tf_protos.GraphDef()
    originals = _node_defs(doc)
    if originals is not None:
        # The stored NodeDefs, attributes and all, so Netron draws them as in the whole view
        # (Const values folded into their consumers, dtypes and shapes on the edges).
        for name in names:
            graph.node.append(originals[name])
        return graph.SerializeToString()
    by_name = {n.name: n for n in doc.nodes if n.name in wanted}
    tf_style = _tf_style(doc)
    producers = {} if tf_style else {out: f"{n.name}:{i}" for n in doc.nodes
                                     for i, out in enumerate(n.outputs)}
    for name in names:
        node = by_name[name]
        node_def = graph.node.add()
        node_def.name = node.name
        node_def.op = node.op
        node_def.input.extend(node.inputs if tf_style else
                              [_tf_ref(ref, producers) for ref in node.inputs])
        if node.device:
            node_def.device = node.device
        for key, value in node.attrs.items():
            if type(value).__name__ == "AttrValue":
                node_def.attr[key].CopyFrom(value)
    return graph.SerializeToString()


_NODE_DEFS: weakref.WeakKeyDictionary[Document, dict[str, Any]] = weakref.WeakKeyDictionary()


def _node_defs(doc: Document) -> dict[str, Any] | None:
    """NodeDefs by name for a GraphDef file, parsed again on the first focus and kept while the
    document lives (a second copy of the graph in memory: 0.1 s and ~1x the file for a big
    frozen graph). None for other formats: their focus graphs carry names, ops and inputs."""
    if doc.format != "tf-graphdef" or not os.path.isfile(doc.path):
        return None
    from ..formats.tf import graphdef as tf_graphdef

    def parse() -> dict[str, Any]:
        with no_gc():
            return {nd.name: nd for nd in tf_graphdef.parse(doc.path).node}

    return build_once(_NODE_DEFS, doc, _BUILD_LOCK, parse)


def _tf_ref(ref: str, producers: dict[str, str]) -> str:
    """A tflite/onnx tensor name as a GraphDef input `producer:i` (graph inputs stay as is)."""
    return producers.get(ref, ref)


def keras_json_bytes(doc: Document, names: list[str]) -> bytes:
    """A Keras 2 style functional model config (`model.to_json()` layout) with those layers."""
    wanted = set(names)
    layers = [la for la in doc.layers if la.name in wanted]
    used = {src for la in layers for src in la.inbound if src in wanted}
    config_layers = []
    for layer in layers:
        inbound = [[src, 0, 0, {}] for src in layer.inbound if src in wanted]
        config_layers.append({
            "class_name": layer.class_name,
            "name": layer.name,
            "config": {**layer.config, "name": layer.name},
            "inbound_nodes": [inbound] if inbound else [],
        })
    model = {
        "class_name": "Functional",
        "config": {
            "name": "focus",
            "layers": config_layers,
            # Only real InputLayers: Netron draws any other name here as a separate,
            # unconnected input box.
            "input_layers": [[la.name, 0, 0] for la in layers
                             if la.class_name == "InputLayer"],
            "output_layers": [[la.name, 0, 0] for la in layers if la.name not in used],
        },
        "keras_version": str(doc.producer.get("keras_version", "2.15.0")),
        "backend": "tensorflow",
    }
    return json.dumps(model).encode()


def netron_source(doc: Document) -> tuple[str, bytes | None]:
    """The file Netron opens for the whole document, and bytes to serve instead of it if any.

    A SavedModel folder -> its `saved_model.pb`; a folder with a `.meta` -> that; a Keras
    architecture Netron does not read (YAML) -> our JSON of the same layers under a `.json` name.
    """
    path = doc.path
    if os.path.isdir(path):
        # TF Serving layout: the newest numbered version folder holds the SavedModel.
        versions = sorted((n for n in os.listdir(path) if n.isdigit()
                           and os.path.isdir(os.path.join(path, n))), key=int, reverse=True)
        for folder in [path] + [os.path.join(path, v) for v in versions]:
            for name in ("saved_model.pb", "saved_model.pbtxt"):
                if os.path.isfile(os.path.join(folder, name)):
                    return os.path.join(folder, name), None
        if os.path.isfile(os.path.join(path, "model.json")):  # a TF.js model's folder
            return os.path.join(path, "model.json"), None
        meta = doc.extra.get("meta_graph")  # the .meta the checkpoint reader opened
        if isinstance(meta, str) and os.path.isfile(meta):
            return meta, None
        return os.path.join(path, "model"), None
    if not os.path.exists(path) and os.path.isfile(path + ".meta"):
        return path + ".meta", None  # a TF1 checkpoint prefix: its meta graph
    suffix = os.path.splitext(path)[1].lower()
    if is_keras(doc) and suffix not in (".h5", ".hdf5", ".keras", ".json"):
        names = [la.name for la in doc.layers]
        return os.path.splitext(path)[0] + ".kinspect.json", keras_json_bytes(doc, names)
    return path, None


def focus_filename(doc: Document, serial: int) -> str:
    return f"kinspect-focus-{serial}" + (".pb" if doc.nodes else ".json")


def node_defs(doc: Document) -> dict[str, Any] | None:
    """The stored NodeDefs by name (GraphDef files only; None otherwise), parsed once and
    shared by the focus view and the scope view (graph/scope_draw.py)."""
    return _node_defs(doc)
