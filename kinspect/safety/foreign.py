"""Scans of the view-only formats: TensorFlow ops a `.tflite` file runs through the Flex
delegate, and ONNX nodes from custom domains or data stored in other files.

Both are read as data (regex over the flatbuffer's strings; onnx's protobuf parse without
external data), never run.
"""

from __future__ import annotations

import mmap
import os
import re

from ..errors import FormatError
from ..formats.containers.inside import is_inside
from .findings import Finding

# Flex custom codes are stored as NUL-terminated strings in the flatbuffer.
FLEX = re.compile(rb"Flex([A-Za-z_][A-Za-z0-9_]{0,127})\x00")
ONNX_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training")
MAX_FINDINGS = 200


def flex_ops(path: str) -> list[str]:
    """Every TensorFlow op name a tflite file names as a Flex custom op, once each."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        names = {m.group(1).decode("ascii") for m in FLEX.finditer(data)}
    return sorted(names)


def scan_onnx(path: str) -> list[Finding]:
    """Nodes of custom domains (onnxruntime runs them only with a custom op library, native
    code), and initializers whose data lives in a file outside the model's folder."""
    import onnx
    from google.protobuf import message

    try:
        model = onnx.load(path, format="protobuf", load_external_data=False)
    except message.DecodeError as exc:
        raise FormatError(f"broken ONNX model: {exc}", path) from exc
    findings: list[Finding] = []
    graphs = [("graph", model.graph)]
    while graphs and len(findings) < MAX_FINDINGS:
        where, graph = graphs.pop()
        for i, node in enumerate(graph.node):
            name = f"{where}/{node.name or f'{node.op_type}_{i}'}"
            if node.domain not in ONNX_DOMAINS:
                findings.append(Finding(
                    "custom-op", name, f"op {node.op_type} of custom domain '{node.domain}': "
                    "running it needs a native custom op library", runs_code=True,
                    touches_files=True))
            graphs.extend((f"{name}.{a.name}", a.g) for a in node.attribute if a.HasField("g"))
            graphs.extend((f"{name}.{a.name}[{j}]", g) for a in node.attribute
                          for j, g in enumerate(a.graphs))
        findings += _external(graph, where, os.path.dirname(os.path.abspath(path)))
    for function in model.functions:
        if function.domain not in ONNX_DOMAINS:
            continue
        for node in function.node:
            if node.domain not in ONNX_DOMAINS and node.domain != function.domain:
                findings.append(Finding("custom-op", f"function {function.name}/{node.name}",
                                        f"op {node.op_type} of custom domain '{node.domain}'",
                                        runs_code=True, touches_files=True))
    return findings[:MAX_FINDINGS]


def _external(graph: object, where: str, folder: str) -> list[Finding]:
    out = []
    for tensor in graph.initializer:  # type: ignore[attr-defined]
        if tensor.data_location != 1:  # EXTERNAL
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = os.path.join(folder, location)
        if os.path.isabs(location) or not is_inside(target, folder):
            out.append(Finding("reads-outside", f"{where}/{tensor.name}",
                               f"data stored in {location!r}, outside the model's folder",
                               touches_files=True))
    return out
