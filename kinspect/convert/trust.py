"""When code from a file may run during a conversion (policy in kinspect/safety.py).

Loading a Keras model deserialises its layers: a Lambda's bytecode or a custom object runs.
That happens only with `trust_code`; so does running (verifying) a graph that reads or writes
files. Targets that need no live model (JSON, YAML, weights) copy data and never ask.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import FormatError, UnsafeContent
from ..safety import scan
from ..safety.confine import confinement, run_confined

__all__ = ["confined_sources", "confinement_warnings", "graph_file_ops", "require_code_trust",
           "require_run_trust", "run_confined", "scan_findings"]
from ..safety.graph import scan_graph


def scan_findings(path: str) -> tuple[bool, bool, list[str]]:
    """(runs_code, touches_files, details) of `kinspect scan PATH`. A file the scanner cannot
    read is not taken as clean: the conversion stops with the scanner's reason."""
    try:
        report = scan(path)
    except FormatError as exc:
        raise UnsafeContent(f"cannot check the file for code before loading it: "
                            f"{exc.message}", path) from exc
    details = [f"{f.where}: {f.detail}" for f in report.findings
               if f.runs_code or f.touches_files]
    return report.runs_code, report.touches_files, details


def require_code_trust(path: str, trust: bool, file_ops: bool = False) -> list[str]:
    """Raise UnsafeContent when loading PATH would run code and the user has not trusted it.
    FILE_OPS: loading runs ops stored in the file (a TF1 SavedModel's main op, a checkpoint's
    restore op, a Keras SavedModel's restore), so file-touching ops count as well as code.
    Returns the findings (warnings for the report when trusted)."""
    runs_code, touches, details = scan_findings(path)
    details = details if runs_code or (file_ops and touches) else []
    if details and not trust:
        what = "holds code" if runs_code or not touches else "touches the file system"
        raise UnsafeContent(f"{what} (" + "; ".join(details[:3]) + "); loading it runs "
                            "them: pass --trust-code if you trust this file", path)
    return details


def graph_file_ops(graph_def: Any) -> list[str]:
    """What in a GraphDef (and its function library) touches files or runs Python."""
    return [f"{f.where} ({f.detail})" for f in scan_graph(graph_def)
            if f.touches_files or f.runs_code]


def require_run_trust(path: str, graph_def: Any, trust: bool) -> None:
    """Verification runs the graph: refuse when it touches files, unless trusted."""
    if trust:
        return
    _, touches, details = scan_findings(path)
    hits = graph_file_ops(graph_def) + (details if touches else [])
    if hits:
        raise UnsafeContent("running this graph touches the file system (" +
                            ", ".join(hits[:3]) + "); --verify needs --trust-code", path)


# Formats whose source is a folder or a prefix with companion files beside it.
FOLDER_FORMATS = ("tf-savedmodel", "tf-checkpoint", "tfjs-layers", "tfjs-graph")


def confined_sources(src: str, fmt: str, arch: str | None = None) -> list[str]:
    """What the confined conversion may read: the source file itself, or its folder when the
    format spreads over several files; and the architecture file of a pair."""
    paths = []
    for path, kind in ((src, fmt), (arch, "")):
        if not path:
            continue
        path = os.path.abspath(path)
        if os.path.isdir(path):
            paths.append(path)
        elif kind in FOLDER_FORMATS or not os.path.isfile(path):
            paths.append(os.path.dirname(path))
        else:
            paths.append(path)
    return paths


def confinement_warnings() -> list[str]:
    """A report line when the conversion ran less confined than on Linux with Landlock."""
    what = confinement()
    return [] if "NOT" not in what else [f"confinement: {what}"]


def check_graph_bounds(graph_def: Any, path: str) -> None:
    """Refuse a graph whose constants declare more than bounds allow, before TensorFlow, the
    tflite converter or tf2onnx materialise them (issue 22: a 40-byte Const claiming 16 GB made
    the onnx export allocate 14.9 GB). Stored bytes are bounded by the file; a few values
    repeated to fill a huge shape are not."""
    import numpy as np

    from ..formats.containers import bounds
    from ..formats.tf import tensor as tf_tensor

    nodes = list(graph_def.node)
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    for node in nodes:
        if node.op != "Const" or "value" not in node.attr:
            continue
        proto = node.attr["value"].tensor
        if proto.dtype % 100 == 7:  # strings: their bytes are all stored
            continue
        try:
            itemsize = np.dtype(tf_tensor.numpy_dtype(proto.dtype)).itemsize
            shape = [max(int(d.size), 0) for d in proto.tensor_shape.dim]
        except (KeyError, TypeError, ValueError):
            continue
        stored = len(proto.tensor_content) or proto.ByteSize()
        try:
            bounds.check_tensor(shape, itemsize, f"Const {node.name}", stored)
        except FormatError as exc:
            raise FormatError(exc.message, path) from None


def refuse_reads_outside(path: str) -> None:
    """Every target, data copies included: a source whose parts live in other files (HDF5
    external links or storage, virtual datasets, symlinks out of its folder, ONNX external data)
    is refused, trusted or not: kinspect never reads outside the model."""
    try:
        report = scan(path)
    except FormatError:
        return  # unreadable here: the reader or loader says why, in its own words
    outside = [f"{f.where}: {f.detail}" for f in report.findings if f.kind == "reads-outside"
               and "vocabulary" not in f.where and "idf_weights" not in f.where]
    if outside:
        raise UnsafeContent("refers to data outside the model (" + "; ".join(outside[:2]) +
                            "); kinspect never reads outside the model", path)
