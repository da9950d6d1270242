"""`tf-graphdef`: a GraphDef, binary `.pb` or text `.pbtxt`, frozen or not. Read as data only.

Parsed with TensorFlow's own message classes loaded by `tf_protos` (no TensorFlow runtime) and
protobuf `text_format` for text files.
"""

from __future__ import annotations

import re
from typing import Any

from ...model import Document, Node
from ...progress import NO_PROGRESS, Progress
from ..containers import pb_wire
from ..containers.probe import Probe
from ..reader import FormatReader
from . import graph_tree
from . import protos as tf_protos
from . import tensor as tf_tensor

ID = "tf-graphdef"
LABEL = "TensorFlow GraphDef"

_TEXT_START = pb_wire.text_start("node", "library", "versions")


def match(probe: Probe) -> bool:
    if probe.is_dir or not probe.exists:
        return False
    text = probe.text_head()  # a small binary file may decode as text too: not conclusive
    if text is not None and _TEXT_START.match(text):
        return True
    if looks_like_binary_graph(probe.head):
        return True
    # A graph of functions only (no top-level nodes) starts with its library (field 2), or
    # its versions (field 4) then its library; accepted for a .pb name from the head alone.
    return probe.suffix == ".pb" and looks_like_function_library(probe.head)


_IDENT = re.compile(rb"\A[A-Za-z0-9_>.\-]+\Z")


def looks_like_binary_graph(head: bytes) -> bool:
    """A binary GraphDef starts with a NodeDef: field 1 {name (1), op (2) an identifier}."""
    if head[:1] != b"\x0a":
        return False
    _size, pos = pb_wire.varint_or_end(head, 1)
    if head[pos:pos + 1] != b"\x0a":
        return False
    name_len, pos = pb_wire.varint_or_end(head, pos + 1)
    if name_len <= 0 or pos + name_len >= len(head):
        return False
    pos += name_len
    if head[pos:pos + 1] != b"\x12":
        return False
    op_len, pos = pb_wire.varint_or_end(head, pos + 1)
    op = head[pos:pos + op_len]
    return 0 < op_len < 128 and len(op) == op_len and bool(_IDENT.match(op))


def looks_like_function_library(head: bytes) -> bool:
    """GraphDef.library (field 2) {function (1) {signature (1) {name (1) an identifier}}},
    after an optional small versions message (field 4), read from the head: no full parse."""
    pos = 0
    if head[:1] == b"\x22":  # versions first: skip it
        size, pos = pb_wire.varint_or_end(head, 1)
        if size < 0 or size > 64:
            return False
        pos += size
    for level in range(3):  # library -> function -> signature
        if head[pos:pos + 1] != (b"\x12" if level == 0 else b"\x0a"):
            return False
        size, pos = pb_wire.varint_or_end(head, pos + 1)
        if size <= 0:
            return False
    if head[pos:pos + 1] != b"\x0a":  # the signature's name
        return False
    name_len, pos = pb_wire.varint_or_end(head, pos + 1)
    name = head[pos:pos + name_len]
    return 0 < name_len < 256 and len(name) == name_len and bool(_IDENT.match(name))


def parse(path: str, data: bytes | None = None) -> Any:
    """The GraphDef in a file, binary or text (decided by content)."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    return pb_wire.parse(data, tf_protos.GraphDef(), _TEXT_START, "GraphDef")


@tf_tensor.as_format_errors
def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "parsing GraphDef")
    graph = parse(path)
    progress.step(0.5, "indexing nodes")
    doc = graph_document(path, ID, graph)
    progress.step(1.0, "done")
    return doc


def producer(graph: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if graph.HasField("versions"):
        out["graph_producer"] = graph.versions.producer
        if graph.versions.min_consumer:
            out["min_consumer"] = graph.versions.min_consumer
    return out


def graph_document(path: str, fmt: str, graph: Any) -> Document:
    """A Document over one GraphDef: nodes for `info`, lazy tree branches for the window."""
    nodes = graph_tree.graph_nodes(graph.node)
    root = graph_tree.root_node(path, LABEL, nodes=len(nodes))
    for branch in graph_branches(nodes, graph):
        root.add(branch)
    frozen = not any(n.op in ("VariableV2", "Variable", "VarHandleOp") for n in nodes)
    doc = Document(path=path, format=fmt, root=root, producer=producer(graph), nodes=nodes)
    doc.extra["frozen"] = frozen
    doc.extra["placeholders"] = [n.name for n in nodes if n.op in ("Placeholder", "PlaceholderV2")]
    doc.extra["functions"] = [f.signature.name for f in graph.library.function]
    if not nodes:
        doc.warnings.append("graph has no nodes")
    return doc


def graph_branches(nodes: list, graph: Any) -> list[Node]:
    out = [graph_tree.nodes_branch(graph_tree.NODES_TITLE, nodes, graph.node),
           graph_tree.scope_branch(nodes, graph.node)]
    functions = graph_tree.functions_branch(graph.library)
    if functions is not None:
        out.append(functions)
    return out


READER = FormatReader(ID, LABEL, match, read)
