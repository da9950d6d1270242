"""Which format a source is, and where its parts are (SavedModel version folder, .meta).

The format registry (`kinspect.formats.detect`) decides when it has a reader for the content;
until every reader has landed, a minimal content sniff covers the rest. Both look at content,
never at the extension alone.
"""

from __future__ import annotations

import os

from ..errors import FormatError, UnsupportedFormat
from ..formats.probe import Probe

TFLITE_MAGIC = b"TFL3"


def source_format(path: str) -> str:
    """The format id of SRC (see PRODUCT.md), or a FormatError naming it."""
    if not os.path.exists(path) and not os.path.exists(path + ".index") \
            and not os.path.exists(path + ".meta"):
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
    probe = Probe(path)
    if probe.is_dir:
        return None
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


def savedmodel_dir(path: str) -> str:
    """The folder holding saved_model.pb: PATH itself, or its highest numeric version folder
    (TF Serving layout, DIR/<version>/), as the SavedModel reader finds it."""
    from ..formats import tf_savedmodel

    try:
        return tf_savedmodel.locate(path)[0]
    except FormatError as exc:
        exc.path = exc.path or path
        raise


def checkpoint_parts(path: str) -> tuple[str, str]:
    """(.meta path, checkpoint prefix) of a TF1 checkpoint given as prefix, .meta, .index or
    folder: the checkpoint the reader opens (the `checkpoint` state file's latest, else the
    newest), so info and convert agree. FormatError when there is no .meta graph."""
    from ..formats import tf_checkpoint

    try:
        prefix = tf_checkpoint.locate(path)[0]
    except FormatError as exc:
        exc.path = exc.path or path
        raise
    meta = tf_checkpoint.companion_meta(path, prefix)
    if meta is None:
        raise FormatError("TF1 checkpoint without a .meta graph: cannot freeze it", path)
    return meta, prefix
