"""When code from a file may run during a conversion (policy in kinspect/safety.py).

Loading a Keras model deserialises its layers: a Lambda's bytecode or a custom object runs.
That happens only with `trust_code`; so does running (verifying) a graph that reads or writes
files. Targets that need no live model (JSON, YAML, weights) copy data and never ask.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsafeContent

# Ops that reach the file system or run Python when a graph executes.
FILE_OPS = frozenset({
    "ReadFile", "WriteFile", "MatchingFiles", "DeleteFile", "PyFunc", "PyFuncStateless",
    "EagerPyFunc", "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice",
    "MergeV2Checkpoints", "WholeFileReader", "WholeFileReaderV2", "TFRecordReader",
    "TFRecordReaderV2", "TextLineReader", "TextLineReaderV2", "TFRecordDataset",
    "TextLineDataset", "FixedLengthRecordDataset", "PrintV2", "WriteSummary",
    "CreateSummaryFileWriter", "DebugIdentityV2",
})
_KERAS_MODULES = ("keras", "tf_keras", "tensorflow")


def scan_findings(path: str) -> tuple[bool, bool, list[str]]:
    """(runs_code, touches_files, details) from kinspect.safety.scan when it is available."""
    try:
        from ..safety import scan  # type: ignore[attr-defined]
    except ImportError:
        return False, False, []
    try:
        report = scan(path)
    except Exception:  # noqa: BLE001 - an unreadable file fails later with its own error
        return False, False, []
    details = [f"{f.where}: {f.detail}" for f in report.findings
               if f.runs_code or f.touches_files]
    return report.runs_code, report.touches_files, details


def config_code(config: Any) -> list[str]:
    """Layers in a Keras config that hold code: Lambda layers and non-Keras classes."""
    found: list[str] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            cls = obj.get("class_name")
            conf = obj.get("config")
            if isinstance(cls, str) and isinstance(conf, (dict, list)):
                name = conf.get("name", "?") if isinstance(conf, dict) else "?"
                module = obj.get("module")
                if cls == "Lambda":
                    found.append(f"{name}: Lambda layer holds Python code")
                elif "registered_name" in obj and ">" in str(obj.get("registered_name")):
                    found.append(f"{name}: custom object {obj['registered_name']}")
                elif isinstance(module, str) and module and \
                        not module.startswith(_KERAS_MODULES) and module != "builtins":
                    found.append(f"{name}: class {cls} from module {module}")
            for value in obj.values():
                walk(value)
        elif isinstance(obj, list):
            for value in obj:
                walk(value)

    walk(config)
    return found


def require_code_trust(path: str, config: Any, trust: bool) -> list[str]:
    """Raise UnsafeContent when loading PATH would run code and the user has not trusted it.
    Returns the findings (warnings for the report when trusted)."""
    runs_code, _, details = scan_findings(path)
    details = details if runs_code else []
    details += [d for d in config_code(config) if d not in details]
    if details and not trust:
        raise UnsafeContent("holds code (" + "; ".join(details[:3]) + "); loading it runs that "
                            "code: pass --trust-code if you trust this file", path)
    return details


def graph_file_ops(graph_def: Any) -> list[str]:
    """Nodes of a GraphDef (and its function library) whose op touches files or runs Python."""
    hits = [f"{n.name} ({n.op})" for n in graph_def.node if n.op in FILE_OPS]
    for fn in graph_def.library.function:
        hits += [f"{fn.signature.name}/{n.name} ({n.op})" for n in fn.node_def
                 if n.op in FILE_OPS]
    return hits


def require_run_trust(path: str, graph_def: Any, trust: bool) -> None:
    """Verification runs the graph: refuse when it touches files, unless trusted."""
    if trust:
        return
    _, touches, details = scan_findings(path)
    hits = graph_file_ops(graph_def) + (details if touches else [])
    if hits:
        raise UnsafeContent("running this graph touches the file system (" +
                            ", ".join(hits[:3]) + "); --verify needs --trust-code", path)
