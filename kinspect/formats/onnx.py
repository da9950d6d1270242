"""`onnx`: an ONNX model: graph inputs and outputs, operators, initializers (weights), opsets.

Read with the `onnx` package; external data is not loaded at open (values on demand).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import FormatError
from ..model import Document, GraphNode, Kind, Node, Role, Signature, TensorInfo, TensorSpec
from ..progress import NO_PROGRESS, Progress
from .containers import inside
from .containers.probe import Probe
from .reader import FormatReader
from .tf import graph_tree
from .tf import tensor as tf_tensor

ID = "onnx"
LABEL = "ONNX model"


def match(probe: Probe) -> bool:
    """ModelProto starts with ir_version (field 1, varint): 0x08 then a small version, then
    usually opset_import (field 8, 0x42) or producer_name (field 2, 0x12)."""
    if probe.is_dir or not probe.exists:
        return False
    head = probe.head
    return (len(head) > 3 and head[0] == 0x08 and 1 <= head[1] <= 20
            and head[2] in (0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42))


def _dtype(elem_type: int) -> str:
    from onnx import helper

    try:
        return str(helper.tensor_dtype_to_np_dtype(elem_type))
    except (KeyError, TypeError, ValueError):
        return f"onnx type {elem_type}"


def _value_spec(vi: Any) -> TensorSpec:
    tt = vi.type.tensor_type
    shape = None
    if tt.HasField("shape"):
        shape = tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim)
    return TensorSpec(vi.name, _dtype(tt.elem_type), shape)


@tf_tensor.as_format_errors
def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    import onnx
    from google.protobuf import message

    progress.step(0.0, "parsing ONNX")
    try:
        # format: onnx otherwise picks a JSON/text parser from the file's suffix.
        model = onnx.load(path, format="protobuf", load_external_data=False)
    except (message.DecodeError, onnx.onnx_cpp2py_export.checker.ValidationError) as exc:  # type: ignore[attr-defined]
        raise FormatError(f"broken ONNX model: {exc}") from exc
    g = model.graph
    if not len(g.node) and not len(g.input):
        raise FormatError("ONNX model has an empty graph")
    progress.step(0.5, "indexing nodes")
    initializers = {t.name for t in g.initializer}
    nodes = [GraphNode(n.name or f"{n.op_type}_{i}", n.op_type, list(n.input), list(n.output),
                       attrs={}) for i, n in enumerate(g.node)]
    folder = os.path.dirname(os.path.abspath(path))
    variables = [_initializer(t, folder) for t in g.initializer]
    inputs = {vi.name: _value_spec(vi) for vi in g.input if vi.name not in initializers}
    outputs = {vi.name: _value_spec(vi) for vi in g.output}
    opsets = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    producer = {"producer_name": model.producer_name, "producer_version": model.producer_version,
                "ir_version": model.ir_version, "opset": opsets}
    root = graph_tree.root_node(path, LABEL, **producer, graph=g.name,
                                doc_string=model.doc_string)
    sig = Signature(g.name or "graph", "onnx graph", inputs, outputs)
    doc = Document(path=path, format=ID, root=root, producer=producer, nodes=nodes,
                   signatures={sig.key: sig}, variables=variables)
    for branch in (graph_tree.signatures_branch(doc.signatures),
                   Node(Kind.GROUP, graph_tree.NODES_TITLE, f"{len(nodes):,} nodes",
                        role=Role.GRAPH_NODES, count=len(nodes),
                        children_factory=lambda: [_node_row(gn, nd)
                                                  for gn, nd in zip(nodes, g.node, strict=True)]),
                   graph_tree.variables_branch(variables, "Initializers (weights)")):
        if branch is not None:
            root.add(branch)
    progress.step(1.0, "done")
    return doc


def _initializer(t: Any, folder: str) -> TensorInfo:
    @tf_tensor.as_format_errors
    def load() -> Any:
        from onnx import external_data_helper, numpy_helper

        if external_data_helper.uses_external_data(t):
            location = next((e.value for e in t.external_data if e.key == "location"), "")
            if os.path.isabs(location):
                raise FormatError(f"{t.name}: data in {location}, outside the model's folder; "
                                  "kinspect never reads outside the model")
            inside.check_inside(os.path.join(folder, location), folder)
            external_data_helper.load_external_data_for_tensor(t, folder)
        return numpy_helper.to_array(t)

    return TensorInfo(t.name, tuple(t.dims), _dtype(t.data_type), loader=load)


def _node_row(gn: GraphNode, nd: Any) -> Node:
    def attrs() -> dict[str, Any]:
        from onnx import helper

        out: dict[str, Any] = {"op": gn.op, "domain": nd.domain or "ai.onnx"}
        for a in nd.attribute:
            value = helper.get_attribute_value(a)
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            elif hasattr(value, "ListFields"):
                value = f"{type(value).__name__}"
            elif isinstance(value, list):
                value = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                         for v in value][:64]
            out[a.name] = value
        gn.attrs = {k: v for k, v in out.items() if k not in ("op",)}
        return out

    return graph_tree.LazyRow(Kind.GRAPH_NODE, gn.name, gn.op, ref=gn, make_attrs=attrs,
                              children=[
                                  Node(Kind.GROUP, "inputs", str(len(gn.inputs)), children=[
                                      Node(Kind.TENSOR, i, "input") for i in gn.inputs]),
                                  Node(Kind.GROUP, "outputs", str(len(gn.outputs)), children=[
                                      Node(Kind.TENSOR, o, "output") for o in gn.outputs])])


READER = FormatReader(ID, LABEL, match, read)
