"""Find ops that reach the file system or the host in TensorFlow graphs and in every function.

Works on the GraphDef/MetaGraphDef protos (parsed without TensorFlow). ModelScan flags only
ReadFile and WriteFile; this list covers the family: file readers and writers, dataset ops
with file names, summary writers, save/restore outside the standard saver, Python callbacks,
debug ops with URLs, and table initialisers reading text files. Every function of the function
library is checked, called or not, since a loaded SavedModel exposes them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .outputs import backward_closure, node_name
from .safety import Finding

# op -> what running it does. runs_code marks ops that call back into Python.
PYTHON_OPS = {
    "PyFunc": "calls a Python function of the process that runs the graph",
    "PyFuncStateless": "calls a Python function of the process that runs the graph",
    "EagerPyFunc": "calls a Python function of the process that runs the graph",
}
FILE_OPS = {
    "ReadFile": "reads a file", "WriteFile": "writes a file",
    "MatchingFiles": "lists files matching a pattern",
    "ImmutableConst": "maps a file into memory",
    "InitializeTableFromTextFile": "reads a text file into a table",
    "InitializeTableFromTextFileV2": "reads a text file into a table",
    "WholeFileReader": "reads files", "WholeFileReaderV2": "reads files",
    "TextLineReader": "reads files", "TextLineReaderV2": "reads files",
    "TFRecordReader": "reads files", "TFRecordReaderV2": "reads files",
    "FixedLengthRecordReader": "reads files", "FixedLengthRecordReaderV2": "reads files",
    "LMDBReader": "reads an LMDB database", "ReaderReadV2": "reads with a file reader",
    "TextLineDataset": "reads files", "TFRecordDataset": "reads files",
    "TFRecordDatasetV2": "reads files",
    "FixedLengthRecordDataset": "reads files", "FixedLengthRecordDatasetV2": "reads files",
    "LMDBDataset": "reads an LMDB database", "ExperimentalLMDBDataset": "reads an LMDB database",
    "SqlDataset": "queries a database", "ExperimentalSqlDataset": "queries a database",
    "CacheDataset": "caches to a file", "CacheDatasetV2": "caches to a file",
    "SnapshotDataset": "writes snapshot files", "SnapshotDatasetV2": "writes snapshot files",
    "SnapshotDatasetReader": "reads snapshot files",
    "SaveDataset": "writes a dataset to files", "SaveDatasetV2": "writes a dataset to files",
    "LoadDataset": "reads a dataset from files",
    "DatasetToTFRecord": "writes a TFRecord file",
    "ExperimentalDatasetToTFRecord": "writes a TFRecord file",
    "CreateSummaryFileWriter": "creates a summary file writer",
    "CreateSummaryDbWriter": "creates a summary database writer",
    "SummaryWriter": "opens a summary writer", "WriteSummary": "writes a summary file",
    "WriteScalarSummary": "writes a summary file", "WriteHistogramSummary": "writes a summary file",
    "WriteImageSummary": "writes a summary file", "WriteAudioSummary": "writes a summary file",
    "WriteGraphSummary": "writes a summary file", "WriteRawProtoSummary": "writes a summary file",
    "ImportEvent": "writes a summary file", "FlushSummaryWriter": "flushes a summary file",
    "CloseSummaryWriter": "closes a summary file",
    "DebugIdentity": "sends tensors to debug URLs (file:// or grpc://)",
    "DebugIdentityV2": "writes debug event files", "DebugIdentityV3": "sends tensors to debug URLs",
    "DebugNanCount": "sends tensors to debug URLs", "DebugNumericSummary": "sends to debug URLs",
    "DebugNumericSummaryV2": "sends to debug URLs",
    "DecodeProtoV2": "may read a descriptor file (descriptor_source)",
    "RemoteCall": "runs a function on another (possibly remote) device",
    "_Send": "sends tensors to another device or host", "_Recv": "receives from another host",
}
# The saver family: normal inside a SavedModel's or checkpoint's own saver, suspicious elsewhere.
SAVER_OPS = {
    "Save": "writes a checkpoint file", "SaveSlices": "writes a checkpoint file",
    "SaveV2": "writes checkpoint files", "Restore": "reads a checkpoint file",
    "RestoreSlice": "reads a checkpoint file", "RestoreV2": "reads checkpoint files",
    "MergeV2Checkpoints": "moves and merges checkpoint files",
}

RISKY_OPS = frozenset(PYTHON_OPS) | frozenset(FILE_OPS) | frozenset(SAVER_OPS) | {"PrintV2"}
SAVER_SCOPE = re.compile(r"^(?:[^/]+/)*save(?:_\d+)?/")


def op_finding(op: str, attrs: Any, where: str) -> Finding | None:
    """The finding for one node, or None when the op is harmless. `attrs`: NodeDef.attr."""
    if op in PYTHON_OPS:
        return Finding("python-op", where, f"{op} {PYTHON_OPS[op]}", runs_code=True,
                       touches_files=True)
    if op in FILE_OPS:
        return Finding("file-op", where, f"{op} {FILE_OPS[op]}", touches_files=True)
    if op in SAVER_OPS:
        return Finding("file-op", where, f"{op} {SAVER_OPS[op]} outside the standard saver",
                       touches_files=True)
    if op == "PrintV2":
        stream = _attr_s(attrs, "output_stream")
        if stream and stream not in ("stderr", "stdout", "log(info)", "log(warning)",
                                     "log(error)"):
            return Finding("file-op", where, f"PrintV2 writes to {stream!r}",
                           touches_files=True)
    return None


def _attr_s(attrs: Any, key: str) -> str:
    try:
        if key in attrs:
            return attrs[key].s.decode("utf-8", "replace")
    except (AttributeError, TypeError, ValueError):
        pass
    return ""


def called_functions(attrs: Any) -> Iterable[str]:
    """Names of library functions a node's attributes refer to (f, then_branch, body…)."""
    if not attrs:
        return
    for value in attrs.values():
        if value.HasField("func"):
            yield value.func.name
        elif value.HasField("list"):
            for func in value.list.func:
                yield func.name


def scan_graph(graph_def: Any, where: str = "graph",
               saver_node_names: Iterable[str] = (),
               object_graph_functions: Iterable[str] = (),
               signature_tensors: Iterable[str] = (),
               filename_tensor: str = "") -> list[Finding]:
    """Findings in a GraphDef and in all functions of its library.

    Save and restore ops are the standard saver's, and not reported, when they sit in the
    backward closure of the saver's nodes (`saver_node_names`: restore op, save tensor) or in a
    `save/`, `save_1/`… scope (TF1 graphs often keep an older `tf.train.Saver`), and are not
    reached from any signature's tensors (what serving runs); also when their file name comes
    from the saver's own `filename_tensor` (TensorFlow.NET leaves SaveV2 dangling).
    """
    functions = {f.signature.name: f for f in graph_def.library.function}
    saver_node_names = list(saver_node_names)
    signature_tensors = list(signature_tensors)
    graph_nodes = list(graph_def.node)
    # Index and closures only when there is something to close over (keeps a plain 200,000-node
    # GraphDef to one pass over its nodes).
    nodes = {node.name: node for node in graph_nodes} \
        if saver_node_names or signature_tensors or filename_tensor else {}
    served = _backward_closure(nodes, signature_tensors)
    saver_closure = _backward_closure(nodes, saver_node_names) - served

    def in_saver(name: str) -> bool:
        return name not in served and (name in saver_closure or bool(SAVER_SCOPE.match(name)))

    saver_only: set[str] = set()
    if functions:
        saver_nodes = {node.name: node for node in graph_nodes if in_saver(node.name)}
        saver_direct = _refs(saver_nodes.values(), functions)
        if saver_direct:  # else nothing is exempt: skip reading every node's attributes
            other_direct = _refs((n for n in graph_nodes if n.name not in saver_nodes),
                                 functions) | (set(object_graph_functions) & functions.keys())
            saver_only = _function_closure(saver_direct, functions) - \
                _function_closure(other_direct, functions)
    findings: list[Finding] = []
    filename = node_name(filename_tensor) if filename_tensor else ""
    for node in graph_nodes:
        op = node.op
        if op in SAVER_OPS and (in_saver(node.name) or (
                node.name not in served and _writes_to(nodes, node, filename))):
            continue
        if op not in RISKY_OPS:
            continue
        finding = op_finding(op, node.attr, f"{where}/{node.name}")
        if finding is not None:
            findings.append(finding)
    for fname, function in functions.items():
        for node in function.node_def:
            if fname in saver_only and node.op in SAVER_OPS or node.op not in RISKY_OPS:
                continue
            finding = op_finding(node.op, node.attr, f"function {fname}/{node.name}")
            if finding is not None:
                findings.append(finding)
    return findings


def _writes_to(nodes: dict[str, Any], node: Any, filename: str) -> bool:
    """True when the node's file-name input derives from the saver's file-name tensor."""
    if not filename or not node.input:
        return False
    return filename in _backward_closure(nodes, [node.input[0]])


def _backward_closure(nodes: dict[str, Any], roots: Iterable[str]) -> set[str]:
    return backward_closure(roots, lambda name: nodes[name].input, nodes)



def _refs(graph_nodes: Iterable[Any], functions: dict[str, Any]) -> set[str]:
    """Library functions the nodes call, by op name or through func attributes."""
    out: set[str] = set()
    for node in graph_nodes:
        if node.op in functions:
            out.add(node.op)
        out.update(n for n in called_functions(node.attr) if n in functions)
    return out


def _function_closure(start: set[str], functions: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in functions[name].node_def:
            if node.op in functions and node.op not in seen:
                stack.append(node.op)
            stack.extend(n for n in called_functions(node.attr)
                         if n in functions and n not in seen)
    return seen


def scan_meta_graph(meta: Any, where: str = "meta_graph") -> list[Finding]:
    """A MetaGraphDef: its graph and library, with its own saver's ops exempted."""
    saver_names: list[str] = []
    filename = ""
    if meta.HasField("saver_def"):
        sd = meta.saver_def
        saver_names = [n for n in (sd.restore_op_name, sd.save_tensor_name) if n]
        filename = sd.filename_tensor_name
    object_functions: list[str] = []
    if meta.HasField("object_graph_def"):
        for name in meta.object_graph_def.concrete_functions:
            object_functions.append(name)
    served = [t.name for sig in meta.signature_def.values()
              for t in (*sig.inputs.values(), *sig.outputs.values())]
    return scan_graph(meta.graph_def, where, saver_names, object_functions, served, filename)
