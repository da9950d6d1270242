"""Which format a source is, and where its parts are (SavedModel version folder, .meta).

The format registry decides, from content: the same readers and the same hostile-content
refusals (pickle, Git LFS pointer, empty file) as `kinspect info`, with their messages.
"""

from __future__ import annotations

from ..errors import FormatError

# Source formats the exporters accept: those that load a Keras model, and those a graph can be
# frozen from. Here rather than in registry.py so that the window can ask "can this document
# be frozen?" without importing the converters (~70 ms at every first open).
KERAS_SOURCES = ("keras-h5", "keras", "keras-weights-h5", "tf-savedmodel")
GRAPH_SOURCES = KERAS_SOURCES + ("tf-checkpoint", "tf-graphdef")


def source_format(path: str) -> str:
    """The format id of SRC (see PRODUCT.md), or a FormatError naming it."""
    from ..formats import detect, reject_hostile
    from ..formats.containers.probe import Probe

    reject_hostile(Probe(path))
    return str(detect(path).id)


def savedmodel_dir(path: str) -> str:
    """The folder holding saved_model.pb: PATH itself, or its highest numeric version folder
    (TF Serving layout, DIR/<version>/), as the SavedModel reader finds it."""
    from ..formats.tf import savedmodel as tf_savedmodel

    try:
        return tf_savedmodel.locate(path)[0]
    except FormatError as exc:
        exc.path = exc.path or path
        raise


def checkpoint_parts(path: str) -> tuple[str, str]:
    """(.meta path, checkpoint prefix as Saver.restore wants it: the shard pattern of sharded
    V1 files) of a TF1 checkpoint given as prefix, .meta, .index, V1 file or folder: the
    checkpoint the reader opens (the `checkpoint` state file's latest, else the newest), so
    info and convert agree. FormatError when there is no .meta graph."""
    from ..formats.tf import checkpoint as tf_checkpoint

    try:
        prefix = tf_checkpoint.locate(path)[0]
    except FormatError as exc:
        exc.path = exc.path or path
        raise
    meta = tf_checkpoint.companion_meta(path, prefix)
    if meta is None:
        raise FormatError("TF1 checkpoint without a .meta graph: cannot freeze it", path)
    try:
        return meta, tf_checkpoint.restore_path(prefix)
    except FormatError as exc:
        exc.path = exc.path or path
        raise
