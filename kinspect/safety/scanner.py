"""`scan(path)`: pick the checks for a file's content and collect their findings.

Works on raw content (HDF5 attributes, zip entries, JSON/YAML text, protobufs parsed without
TensorFlow), so the scan needs no reader and executes nothing from the file.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import FormatError, KinspectError, UnsupportedFormat
from ..formats import _DATA_ERRORS as DATA_ERRORS
from ..formats.containers import bounds
from ..formats.containers.probe import Probe
from .findings import Finding, ScanReport
from .graph import scan_graph, scan_meta_graph
from .keras import scan_model_config, scan_training_config
from .ops import FILE_OPS, PYTHON_OPS, SAVER_OPS, allowed_ops, denied_ops
from .raw import npy_is_object, pickle_finding, scan_zip, yaml_scan

MAX_TEXT = 256 << 20
TFLITE_MAGIC = b"TFL3"


def scan_path(path: str) -> ScanReport:
    probe = Probe(path)
    if not probe.exists and not os.path.exists(path + ".index") \
            and not os.path.exists(path + ".meta"):  # checkpoint prefix (V1: .meta)
        raise FormatError("no such file or directory", path)
    fmt = _format_id(path)
    report = ScanReport(path=path, format=fmt)
    try:
        label, report.findings = _findings(probe, fmt)
    except KinspectError as exc:
        if exc.path is None:
            exc.path = path
        raise
    except (OSError, ValueError, RecursionError, MemoryError, KeyError, TypeError, IndexError,
            EOFError, *DATA_ERRORS) as exc:
        raise FormatError(f"cannot scan: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:300]}", path) from exc
    if report.format == "?":
        if label is None and not report.findings:
            from ..formats import describe_unknown

            raise UnsupportedFormat(describe_unknown(probe), path)
        report.format = label or "?"
    return report


def _format_id(path: str) -> str:
    from ..formats import detect

    try:
        return str(detect(path).id)
    except KinspectError:
        return "?"


def _findings(probe: Probe, fmt: str = "?") -> tuple[str | None, list[Finding]]:
    """(what the scan recognised the content as, or None; findings).

    Dispatches on the format the readers detect, and resolves folders, prefixes and companion
    files with the readers' own locators, so the scan checks what `info` and `convert` open.
    Content is sniffed only when no reader claims the file (pickles, `.npy`, plain zips)."""
    if fmt == "tf-savedmodel":
        from ..formats.tf import savedmodel as tf_savedmodel

        saved_pb = tf_savedmodel.locate(probe.path)[1]
        return fmt, _links_leaving(os.path.dirname(saved_pb)) + _scan_saved_model(saved_pb)
    if fmt == "tf-checkpoint":
        folder = probe.path if probe.is_dir else os.path.dirname(probe.path) or "."
        return fmt, _links_leaving(folder) + _scan_checkpoint(probe.path)
    if fmt == "onnx":
        from .foreign import scan_onnx

        return fmt, scan_onnx(probe.path)
    if fmt == "tf-graphdef":
        from ..formats.tf import graphdef as tf_graphdef

        return fmt, scan_graph(tf_graphdef.parse(probe.path), probe.name)
    if fmt == "tflite":
        return fmt, _scan_tflite(probe.path)
    if fmt in ("keras-json", "keras-yaml"):
        return _scan_text(probe)
    if fmt in ("tfjs-layers", "tfjs-graph"):
        return fmt, _scan_tfjs(probe.path, fmt)
    if probe.is_dir:
        return None, []
    if probe.is_lfs_pointer:
        raise FormatError(f"Git LFS pointer file ({probe.lfs_info()}), not the model itself: "
                          "fetch the real file with `git lfs pull`")
    if probe.size == 0:
        raise FormatError("file is empty")
    if probe.is_pickle:
        with open(probe.path, "rb") as f:
            return "pickle", [pickle_finding(f.read(1 << 20), probe.name)]
    if probe.is_hdf5:
        return "hdf5", _scan_h5(probe.path)
    if probe.head.startswith(b"PK"):
        findings, config = scan_zip(probe.path)
        if config is not None:
            findings += _scan_json_bytes(config, "config.json")
            findings += _keras_weights_outside(probe.path)
        return ("keras" if config is not None else "zip"), findings
    if npy_is_object(probe.head):
        return "npy", [Finding("pickle", probe.name, "numpy object array: its data is a pickle",
                               runs_code=True)]
    if probe.head[4:8] == TFLITE_MAGIC:
        return "tflite", _scan_tflite(probe.path)
    if probe.name in ("saved_model.pb", "saved_model.pbtxt"):
        return "tf-savedmodel", _scan_saved_model(probe.path)
    if probe.suffix == ".meta":
        return "tf-metagraph", _scan_meta(probe.path)
    if probe.text_head() is not None:
        return _scan_text(probe)
    return None, []


def _keras_weights_outside(path: str) -> list[Finding]:
    """A `.keras` zip's model.weights.h5 may hold external links too (to files on the disk
    of whoever opens it)."""
    import zipfile

    import h5py

    from ..formats.containers import zip_entry
    from ..formats.containers.h5_guard import outside_parts

    with zipfile.ZipFile(path) as z:
        if "model.weights.h5" not in z.namelist():
            return []
    with zip_entry.open_entry(path, "model.weights.h5") as entry, h5py.File(entry, "r") as f:
        return [Finding("reads-outside", f"model.weights.h5 {where}", f"{what}: opening or "
                        "converting would read another file (kinspect refuses it)",
                        touches_files=True) for where, what in outside_parts(f)]


def _links_leaving(folder: str) -> list[Finding]:
    from ..formats.containers.inside import links_leaving

    return [Finding("reads-outside", rel, f"symlink to {target}, outside the model's folder: "
                    "kinspect refuses to read it", touches_files=True)
            for rel, target in links_leaving(folder)]


def _scan_checkpoint(path: str) -> list[Finding]:
    """The `.meta` (or estimator graph.pbtxt) the checkpoint reader takes, then any other
    `.meta` in the folder (a user may pick another one when converting)."""
    from ..formats.tf import checkpoint as tf_checkpoint
    from ..formats.tf import graphdef as tf_graphdef

    prefix = tf_checkpoint.locate(path)[0]
    meta = tf_checkpoint.companion_meta(path, prefix)
    folder = path if os.path.isdir(path) else os.path.dirname(prefix) or "."
    findings: list[Finding] = []
    if meta is None:
        pbtxt = os.path.join(folder, "graph.pbtxt")
        if os.path.isfile(pbtxt):
            findings += scan_graph(tf_graphdef.parse(pbtxt), "graph.pbtxt")
    others = sorted(n for n in os.listdir(folder) if n.endswith(".meta"))
    metas = [meta] if meta else []
    metas += [os.path.join(folder, n) for n in others
              if os.path.join(folder, n) != meta][:20]
    for name in metas:
        findings += _scan_meta(name)
    return findings


def _scan_h5(path: str) -> list[Finding]:
    import h5py

    from ..formats.containers.h5_guard import outside_parts
    from ..formats.keras.h5_weights import json_attr

    try:
        with h5py.File(path, "r") as f:
            outside = outside_parts(f)
            model_config = json_attr(f.attrs, "model_config")
            training_config = json_attr(f.attrs, "training_config")
    except OSError as exc:
        raise FormatError(f"broken HDF5 file: {exc}") from exc
    findings = [Finding("reads-outside", f"HDF5 {where}", f"{what}: opening or converting "
                        "would read another file (kinspect refuses it)", touches_files=True)
                for where, what in outside]
    findings += scan_model_config(model_config) if model_config is not None else []
    if training_config is not None:
        findings += scan_training_config(training_config)
    return findings


def _scan_json_bytes(data: bytes, where: str, entry: bool = True) -> list[Finding]:
    config = bounds.loads_json(data, where if entry else "JSON")
    return _scan_config_object(config, where)


def _scan_config_object(config: Any, where: str) -> list[Finding]:
    """A model config, or a `.keras`-style {config, compile_config} wrapper."""
    findings = scan_model_config(config, where)
    if isinstance(config, dict):
        findings += _compile_functions(config, where)
    return findings


def _compile_functions(config: dict[str, Any], where: str) -> list[Finding]:
    """Losses and metrics named by a string Keras does not know (the rest is in the walk)."""
    findings: list[Finding] = []
    for key in ("compile_config", "training_config"):
        if isinstance(config.get(key), dict):
            findings += [f for f in scan_training_config(config[key], f"{where}/{key}")
                         if f.kind == "custom-object" and "loss or metric" in f.detail]
    return findings


def _scan_tfjs(path: str, fmt: str) -> list[Finding]:
    """A TF.js model.json (or its folder): the Keras config of a layers model, the graph and
    initializer graph of a graph model (TF.js runs neither Lambda code nor file ops, but a
    conversion back to Keras or TensorFlow would)."""
    from ..formats.tfjs import common as tfjs_common

    data = tfjs_common.load_json(path)
    topology = data["modelTopology"]
    if fmt == "tfjs-layers":
        return _scan_config_object(topology.get("model_config", topology), "model.json")
    from ..formats.tfjs.graph import parse_graph

    findings = scan_graph(parse_graph(topology, "modelTopology"), "model.json")
    if isinstance(data.get("modelInitializer"), dict) and data["modelInitializer"]:
        findings += scan_graph(parse_graph(data["modelInitializer"], "modelInitializer"),
                               "model.json (initializer)")
    return findings


def _scan_text(probe: Probe) -> tuple[str | None, list[Finding]]:
    if probe.size > MAX_TEXT:
        raise FormatError(f"text file of {probe.size:,} bytes is too large for a model config")
    with open(probe.path, "rb") as f:
        data = f.read()
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json", _scan_json_bytes(data, probe.name, entry=False)
    if probe.suffix in (".pbtxt", ".pbtext") or b"node {" in data[:65536]:
        from ..formats.tf import graphdef as tf_graphdef

        return "tf-graphdef", scan_graph(tf_graphdef.parse(probe.path, data), probe.name)
    text = data.decode("utf-8", "replace")
    findings, config = yaml_scan(text, probe.name)
    if isinstance(config, dict):
        findings += _scan_config_object(config, probe.name)
        return "yaml", findings
    return None, findings


def _parse(path: str, message: str) -> Any:
    """A binary MetaGraphDef or SavedMetadata (GraphDefs and SavedModels: the readers' parse)."""
    from google.protobuf import message as pb_message

    from ..formats.tf import protos as tf_protos

    proto = getattr(tf_protos, message)()
    with open(path, "rb") as f:
        data = f.read()
    try:
        proto.ParseFromString(data)
    except (pb_message.DecodeError, RecursionError) as exc:
        raise FormatError(f"not a valid {message} protobuf: {' '.join(str(exc).split())[:200]}"
                          ) from exc
    return proto


def _scan_meta(path: str) -> list[Finding]:
    return scan_meta_graph(_parse(path, "MetaGraphDef"), os.path.basename(path))


def _scan_saved_model(path: str) -> list[Finding]:
    from ..formats.tf import savedmodel as tf_savedmodel

    saved = tf_savedmodel.parse(path)
    findings: list[Finding] = []
    for i, meta in enumerate(saved.meta_graphs):
        tags = ",".join(meta.meta_info_def.tags) or str(i)
        findings += scan_meta_graph(meta, f"meta_graph[{tags}]")
    keras_meta = os.path.join(os.path.dirname(path), "keras_metadata.pb")
    if os.path.isfile(keras_meta):
        findings += _scan_keras_metadata(keras_meta)
    return findings


def _scan_keras_metadata(path: str) -> list[Finding]:
    """Keras 2 SavedModel metadata: one JSON per saved object (model, layers, metrics). The
    same layer appears in its parent's config and in its own node: reported once."""
    try:
        meta = _parse(path, "SavedMetadata")
    except FormatError:  # e.g. TensorFlow.NET writes invalid UTF-8 here: check the raw bytes
        with open(path, "rb") as f:
            data = f.read()
        if b'"Lambda"' in data or b"__lambda__" in data:
            return [Finding("lambda-layer", "keras_metadata.pb",
                            "Lambda layer in an unparseable Keras metadata file", runs_code=True)]
        return []
    found: dict[tuple[str, str, str], Finding] = {}
    for node in meta.nodes:
        try:
            data = bounds.loads_json(node.metadata, "keras_metadata.pb")
        except FormatError as exc:
            if "refused" in exc.message:
                raise
            continue
        where = f"keras_metadata.pb/{node.node_path or node.node_id}"
        is_layer = not node.identifier.endswith("_metric")
        findings = scan_model_config(data, where, is_layer)
        if isinstance(data, dict):
            findings += _compile_functions(data, where)
        for f in findings:
            found.setdefault((f.kind, f.where.rsplit("/", 1)[-1], f.detail), f)
    return list(found.values())


def _scan_tflite(path: str) -> list[Finding]:
    """TensorFlow ops a tflite file runs through the Flex delegate (`Flex<Op>` custom codes),
    each against the op allowlist. A tflite file has no saver of its own: its save and restore
    ops are findings too."""
    from .foreign import flex_ops

    findings: list[Finding] = []
    for op in flex_ops(path):
        if op in allowed_ops():
            continue
        what = {**FILE_OPS, **SAVER_OPS, **PYTHON_OPS}.get(op) or \
            f"is not on the allowlist of pure ops ({denied_ops().get(op, 'unknown op')})"
        findings.append(Finding("file-op", f"custom op Flex{op}", f"Flex op {op} {what}",
                                touches_files=True, runs_code=op in PYTHON_OPS))
    return findings
