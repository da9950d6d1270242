"""Find ops that reach the file system or the host in TensorFlow graphs and in every function.

Works on the GraphDef/MetaGraphDef protos (parsed without TensorFlow). ModelScan flags only
ReadFile and WriteFile; this list covers the family: file readers and writers, dataset ops
with file names, summary writers, save/restore outside the standard saver, Python callbacks,
debug ops with URLs, and table initialisers reading text files. Every function of the function
library is checked, called or not, since a loaded SavedModel exposes them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..graph.outputs import backward_closure, node_name
from .findings import Finding
from .ops import (
    EMBEDDED_GRAPH_OPS,
    FILE_OPS,
    PYTHON_OPS,
    RESTORE_OPS,
    SAVER_OPS,
    WRITE_SAVER_OPS,
    allowed_ops,
    denied_ops,
)

MAX_EMBEDDED_DEPTH = 4  # graphs inside graphs inside graphs…: deeper ones are a finding

SAVER_SCOPE = re.compile(r"^((?:[^/]+/)*save(?:_\d+)?/)")
# MetaGraphDef collections naming ops a TF1 SavedModel loader runs after the restore.
INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "main_op")


@dataclass(frozen=True)
class Saver:
    """A MetaGraphDef's saver_def: the ops whose save and restore ops are not findings."""

    restore_op: str = ""
    save_tensor: str = ""
    filename_tensor: str = ""


def op_finding(op: str, attrs: Any, where: str) -> Finding | None:
    """The finding for one node, or None when the op is on the allowlist. `attrs`: NodeDef.attr.
    Calls of library functions by name are the caller's business (the functions are scanned)."""
    if op in allowed_ops() and op != "PrintV2":
        return None
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
    why = denied_ops().get(op)
    if why is not None:
        return Finding("op-not-allowed", where, f"{op} is not on the allowlist of pure ops "
                       f"({why})", touches_files=True)
    return Finding("unknown-op", where, f"{op} is not an op TensorFlow registers (a custom op "
                   "library?); running it may do anything", runs_code=True, touches_files=True)


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


def scan_graph(graph_def: Any, where: str = "graph", saver: Saver | None = None,
               object_graph_functions: Iterable[str] = (),
               roots: Iterable[str] = (), depth: int = 0) -> list[Finding]:
    """Findings in a GraphDef and in all functions of its library.

    `roots`: what loading or serving runs (signature tensors, main op, legacy init op). Without
    a `saver` every save and restore op is a finding: a plain GraphDef has no saver, and its
    user picks any node as an output. With one, an op is the saver's and not reported only when
    running it cannot be forced by what gets run: see `_saver_exempt`.
    """
    functions = {f.signature.name: f for f in graph_def.library.function}
    graph_nodes = list(graph_def.node)
    exempt: set[str] = set()
    restore_fns: set[str] = set()
    save_fns: set[str] = set()
    if saver is not None:
        exempt, restore, save = _saver_exempt(graph_nodes, saver, roots)
        if functions:
            restore_fns = _called_only_by(restore, graph_nodes, functions, object_graph_functions)
            save_fns = _called_only_by(save, graph_nodes, functions, object_graph_functions)
    findings: list[Finding] = []
    allowed = allowed_ops()
    for node in graph_nodes:
        if node.name in exempt or node.op in functions or (
                node.op in allowed and node.op != "PrintV2"):
            continue
        finding = op_finding(node.op, node.attr, f"{where}/{node.name}")
        if finding is not None:
            findings.append(finding)
        if node.op in EMBEDDED_GRAPH_OPS:
            findings += _embedded(node, {n.name: n for n in graph_nodes}, f"{where}/{node.name}",
                                  depth)
    for fname, function in functions.items():
        for node in function.node_def:
            op = node.op
            if op in functions or (op in allowed and op != "PrintV2") or (
                    fname in restore_fns and op in RESTORE_OPS) or (
                    fname in save_fns and op in WRITE_SAVER_OPS):
                continue
            finding = op_finding(op, node.attr, f"function {fname}/{node.name}")
            if finding is not None:
                findings.append(finding)
            if op in EMBEDDED_GRAPH_OPS:
                findings += _embedded(node, {n.name: n for n in function.node_def},
                                      f"function {fname}/{node.name}", depth)
    return findings


def _embedded(node: Any, nodes: dict[str, Any], where: str, depth: int) -> list[Finding]:
    """Findings in the serialized graph a DatasetFromGraph node runs, when a string Const feeds
    it (the usual way); the node itself is already a finding."""
    if not node.input:
        return []
    source = nodes.get(node_name(node.input[0]).split(":")[0])
    if source is None or source.op != "Const" or "value" not in source.attr:
        return []
    values = source.attr["value"].tensor.string_val
    if not values:
        return []
    if depth >= MAX_EMBEDDED_DEPTH:
        return [Finding("op-not-allowed", where, "graphs nested more than "
                        f"{MAX_EMBEDDED_DEPTH} deep; not scanned further", touches_files=True)]
    from google.protobuf.message import DecodeError

    from ..formats.tf import protos as tf_protos

    inner = tf_protos.GraphDef()
    try:
        inner.ParseFromString(values[0])
    except (DecodeError, RecursionError):
        return []
    return scan_graph(inner, f"{where} (embedded graph)", depth=depth + 1)


def _saver_exempt(graph_nodes: list[Any], saver: Saver, roots: Iterable[str]
                  ) -> tuple[set[str], set[str], set[str]]:
    """(exempt saver-op nodes, restore closure, save closure).

    Nothing that loading or serving runs (`roots`) may reach an exempt op. A Restore* op is
    exempt in the restore op's closure (the loader runs it to read the variables). A Save,
    SaveV2 or MergeV2Checkpoints op is exempt only outside the restore closure, when its file
    name derives from the saver's file-name tensor and nothing but the save tensor's closure
    depends on it (TensorFlow.NET leaves SaveV2 dangling). Ops of a second saver (`save_1/`,
    kept by TF1 graphs) are exempt when their file name and everything depending on them stay
    inside that scope. So a Save op chained to the restore op or to an output is reported.
    """
    saver_ops = [n for n in graph_nodes if n.op in SAVER_OPS]
    nodes = {node.name: node for node in graph_nodes}
    served = _backward_closure(nodes, roots)
    restore = _backward_closure(nodes, [saver.restore_op] if saver.restore_op else []) - served
    save = _backward_closure(nodes, [saver.save_tensor] if saver.save_tensor else []) - \
        served - restore
    if not saver_ops:
        return set(), restore, save
    consumers = _consumers(graph_nodes)
    filename = node_name(saver.filename_tensor) if saver.filename_tensor else ""
    exempt: set[str] = set()
    for node in saver_ops:
        name = node.name
        if name in served:
            continue
        match = SAVER_SCOPE.match(name)
        scope = match.group(1) if match else ""
        if node.op in RESTORE_OPS:
            ok = name in restore or bool(scope) and _feeds_only(
                consumers, name, lambda n, s=scope: n.startswith(s) and n not in restore)
        elif name in restore:
            ok = False
        elif _writes_to(nodes, node, filename) and _feeds_only(
                consumers, name, lambda n: n in save):
            ok = True
        else:
            ok = bool(scope) and bool(node.input) and all(
                n.startswith(scope) for n in _backward_closure(nodes, [node.input[0]])) and \
                _feeds_only(consumers, name,
                            lambda n, s=scope: n.startswith(s) and n not in restore)
        if ok:
            exempt.add(name)
    return exempt, restore, save


def _called_only_by(group: set[str], graph_nodes: list[Any], functions: dict[str, Any],
                    object_graph_functions: Iterable[str]) -> set[str]:
    """Library functions reached only from the nodes in `group` (e.g. `_traced_restore`)."""
    direct = _refs((n for n in graph_nodes if n.name in group), functions)
    if not direct:  # nothing to exempt: skip reading every node's attributes
        return set()
    other = _refs((n for n in graph_nodes if n.name not in group), functions) | \
        (set(object_graph_functions) & functions.keys())
    return _function_closure(direct, functions) - _function_closure(other, functions)


def _consumers(graph_nodes: Iterable[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in graph_nodes:
        for name in node.input:
            out.setdefault(node_name(name), []).append(node.name)
    return out


def _feeds_only(consumers: dict[str, list[str]], name: str,
                allowed: Callable[[str], bool]) -> bool:
    """True when every node that depends on `name`, directly or not, is `allowed`."""
    seen: set[str] = set()
    stack = list(consumers.get(name, ()))
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        if not allowed(current):
            return False
        seen.add(current)
        stack.extend(consumers.get(current, ()))
    return True


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
    saver = None
    if meta.HasField("saver_def"):
        sd = meta.saver_def
        saver = Saver(sd.restore_op_name, sd.save_tensor_name, sd.filename_tensor_name)
    object_functions: list[str] = []
    if meta.HasField("object_graph_def"):
        object_functions.extend(meta.object_graph_def.concrete_functions)
    roots = [t.name for sig in meta.signature_def.values()
             for t in (*sig.inputs.values(), *sig.outputs.values())]
    for key in INIT_COLLECTIONS:
        if key in meta.collection_def:
            roots.extend(meta.collection_def[key].node_list.value)
    return scan_graph(meta.graph_def, where, saver, object_functions, roots)
