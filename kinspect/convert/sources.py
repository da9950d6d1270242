"""Which format a source is, and where its parts are (SavedModel version folder, .meta).

The format registry (`kinspect.formats.detect`) decides when it has a reader for the content;
until every reader has landed, a minimal content sniff covers the rest. Both look at content,
never at the extension alone.
"""

from __future__ import annotations

import json
import os

from ..errors import FormatError, UnsupportedFormat
from ..formats.probe import Probe

TFLITE_MAGIC = b"TFL3"


def source_format(path: str) -> str:
    """The format id of SRC (see PRODUCT.md), or a FormatError naming it."""
    if not os.path.exists(path) and not _checkpoint_meta(path):
        raise FormatError("no such file or directory", path)
    try:
        from ..formats import detect

        return str(detect(path).ID)
    except FormatError:
        pass
    found = _sniff(path)
    if found is None:
        raise UnsupportedFormat("not a model file kinspect can convert", path)
    return found


def _sniff(path: str) -> str | None:
    if _checkpoint_meta(path):
        return "tf-checkpoint"
    probe = Probe(path)
    if probe.is_dir:
        return "tf-savedmodel" if savedmodel_dir(path, strict=False) else None
    if probe.is_hdf5:
        attrs, members = probe.h5_root
        if "model_config" in attrs:
            return "keras-h5"
        if "layer_names" in attrs or "layers" in members or "vars" in members:
            return "keras-weights-h5"
        return None
    if {"config.json", "metadata.json"} <= probe.zip_names:
        return "keras"
    if probe.head[4:8] == TFLITE_MAGIC:
        return "tflite"
    text = probe.text_head()
    if text is not None:
        stripped = text.lstrip()
        if stripped.startswith("{") and '"class_name"' in text:
            return "keras-json"
        if "class_name:" in text and "config:" in text:
            return "keras-yaml"
        if stripped.startswith("node") or "node {" in text:
            return "tf-graphdef"
        return None
    return _sniff_protobuf(path)


def _sniff_protobuf(path: str) -> str | None:
    try:
        import onnx

        model = onnx.load(path, load_external_data=False)
        if model.graph.node:
            return "onnx"
    except Exception:  # noqa: BLE001 - not ONNX; try GraphDef
        pass
    try:
        from ..formats import tf_protos

        graph = tf_protos.GraphDef()
        with open(path, "rb") as f:
            graph.ParseFromString(f.read())
        if graph.node and all(n.op for n in graph.node):
            return "tf-graphdef"
    except Exception:  # noqa: BLE001 - not a GraphDef either
        pass
    return None


def savedmodel_dir(path: str, strict: bool = True) -> str | None:
    """The folder holding saved_model.pb: PATH itself, or its highest numeric version folder
    (TF Serving layout, DIR/<version>/)."""
    if os.path.isfile(os.path.join(path, "saved_model.pb")) or \
            os.path.isfile(os.path.join(path, "saved_model.pbtxt")):
        return path
    if os.path.isdir(path):
        versions = sorted((int(n), n) for n in os.listdir(path) if n.isdigit()
                          and os.path.isfile(os.path.join(path, n, "saved_model.pb")))
        if versions:
            return os.path.join(path, versions[-1][1])
    if strict:
        raise FormatError("folder holds no saved_model.pb", path)
    return None


def _checkpoint_meta(path: str) -> str | None:
    """The .meta file of a TF1 checkpoint given as prefix, .meta, .index or folder."""
    if path.endswith(".meta") and os.path.isfile(path):
        return path
    if path.endswith(".index"):
        path = path[: -len(".index")]
    if os.path.isfile(path + ".meta"):
        return path + ".meta"
    if os.path.isdir(path) and not savedmodel_dir(path, strict=False):
        metas = sorted(n for n in os.listdir(path) if n.endswith(".meta"))
        if metas:
            return os.path.join(path, metas[-1])
        for sub in sorted(os.listdir(path)):
            inner = os.path.join(path, sub)
            if os.path.isdir(inner):
                found = [n for n in os.listdir(inner) if n.endswith(".meta")]
                if found:
                    return os.path.join(inner, sorted(found)[-1])
    return None


def checkpoint_parts(path: str) -> tuple[str, str]:
    """(.meta path, checkpoint prefix) of a TF1 checkpoint; FormatError when there is no .meta."""
    meta = _checkpoint_meta(path)
    if meta is None:
        raise FormatError("TF1 checkpoint without a .meta graph: cannot freeze it", path)
    folder = os.path.dirname(meta)
    prefix = meta[: -len(".meta")]
    if not (os.path.exists(prefix + ".index") or os.path.exists(prefix)):
        state = os.path.join(folder, "checkpoint")
        if os.path.isfile(state):
            with open(state, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("model_checkpoint_path:"):
                        name = json.loads(line.split(":", 1)[1].strip())
                        prefix = name if os.path.isabs(name) else os.path.join(folder, name)
    return meta, prefix
