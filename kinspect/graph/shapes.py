"""Tensor shapes for the edges of the scope view (`scope_draw.py`): recorded, or inferred.

Netron labels an edge with its tensor's shape only when it knows one, and its TensorFlow reader
knows one only from `_output_shapes` (see `ui/netron/js.py`). SavedModels and TF1 graphs record
`_output_shapes` on every NodeDef; frozen `.pb` files in the wild mostly do not (the corpus's
`frozen_pb/*`, a frozen InceptionV3). For those, TensorFlow's own shape inference gives them:
`import_graph_def` into an empty graph runs every op's shape function (0.4 s for InceptionV3's
2,217 nodes here, after TensorFlow's import). That evaluates small constant subgraphs, so `infer`
is meant to run in the confined child (`safety.confine.run_confined`), after a clean scan; the
UI decides that (ui/netron/groups.py). Shapes here are plain lists, cheap to pickle.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from ..errors import FormatError, KinspectError
from ..model import Document
from ..once import build_once

# One output's shape: its dims (-1 where unknown), or None when even the rank is unknown.
Shape = list[int] | None
# Inference is not tried above this many nodes: the import takes ~0.2 s per 1,000 nodes here
# and holds a second copy of the graph in the child.
MAX_INFER_NODES = 30_000
# Reasons `can_infer` gives for not inferring where the recorded shapes are all there is.
NOT_GRAPHDEF = "not a GraphDef file"
EVERY_NODE = "every node records its shapes"
ALL_RECORDED = (NOT_GRAPHDEF, EVERY_NODE)


def from_proto(proto: Any) -> Shape:
    """A TensorShapeProto as a Shape."""
    if proto.unknown_rank:
        return None
    return [d.size if d.size >= 0 else -1 for d in proto.dim]


def to_proto(shape: Shape, proto: Any) -> None:
    """Fill an (empty) TensorShapeProto with `shape`."""
    if shape is None:
        proto.unknown_rank = True
        return
    for size in shape:
        proto.dim.add(size=size)


def recorded(node_def: Any) -> list[Shape] | None:
    """The `_output_shapes` a writer recorded on a NodeDef (one per output), or None."""
    if node_def is None or "_output_shapes" not in node_def.attr:
        return None
    return [from_proto(s) for s in node_def.attr["_output_shapes"].list.shape]


_META_DEFS: weakref.WeakKeyDictionary[Document, dict[str, Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def meta_node_defs(doc: Document) -> dict[str, Any]:
    """The NodeDefs of a SavedModel's main meta graph or of a checkpoint's `.meta`, by name,
    read again from the file once per document ({} for other formats or when unreadable): the
    documents of those formats keep no NodeDefs, and their writers record `_output_shapes`."""
    def parse() -> dict[str, Any]:
        try:
            graph = _meta_graph_def(doc)
        except Exception:  # noqa: BLE001 - no recorded shapes is not an error of the drawing
            return {}
        return {nd.name: nd for nd in graph.node} if graph is not None else {}

    if doc.format not in ("tf-savedmodel", "tf-checkpoint") or not doc.nodes:
        return {}
    return build_once(_META_DEFS, doc, _LOCK, parse)


def _meta_graph_def(doc: Document) -> Any:
    from ..formats.tf import protos as tf_protos
    from ..formats.tf import savedmodel as tf_savedmodel

    if doc.format == "tf-savedmodel":
        return tf_savedmodel.main_meta_graph(
            tf_savedmodel.parse(tf_savedmodel.locate(doc.path)[1])).graph_def
    meta = doc.extra.get("meta_graph")
    if not isinstance(meta, str) or not os.path.isfile(meta):
        return None
    with open(meta, "rb") as f:
        return tf_protos.MetaGraphDef.FromString(f.read()).graph_def


def can_infer(doc: Document, defs: dict[str, Any] | None) -> str | None:
    """Why TensorFlow's shape inference is not tried for this document (None: it may be).

    `defs`: the document's stored NodeDefs by name (graph/focus.node_defs)."""
    if doc.format != "tf-graphdef" or not os.path.isfile(doc.path) or not defs:
        return NOT_GRAPHDEF
    if len(defs) > MAX_INFER_NODES:
        return f"more than {MAX_INFER_NODES:,} nodes"
    if all("_output_shapes" in nd.attr for nd in defs.values()):
        return EVERY_NODE
    return None


def infer(path: str, max_nodes: int = MAX_INFER_NODES, progress: Any = None) -> dict[
        str, list[Shape]]:
    """{node name: [shape of each output]} by TensorFlow's shape inference of the GraphDef in
    `path`. Imports TensorFlow: run it in the confined child. Raises FormatError when
    TensorFlow refuses the graph (an unknown op, attributes missing, inconsistent shapes)."""
    from ..formats.tf import graphdef as tf_graphdef

    if progress is not None:
        progress.step(0.0, "reading the graph")
    ours = tf_graphdef.parse(path)
    if len(ours.node) > max_nodes:
        raise FormatError(f"{len(ours.node):,} nodes: shapes are inferred up to {max_nodes:,}",
                          path)
    import tensorflow as tf
    from tensorflow.core.framework import graph_pb2

    graph_def = graph_pb2.GraphDef.FromString(ours.SerializeToString())
    if progress is not None:
        progress.step(0.3, "inferring shapes")
    graph = tf.Graph()
    try:
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
    except KinspectError:
        raise
    except Exception as exc:  # noqa: BLE001 - TensorFlow's many error types, one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"TensorFlow could not infer its shapes: {first}", path) from None
    return {op.name: [_dims(t.shape) for t in op.outputs] for op in graph.get_operations()}


def _dims(shape: Any) -> Shape:
    if shape.rank is None:
        return None
    return [-1 if d is None else int(d) for d in shape.as_list()]
