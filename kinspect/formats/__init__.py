"""Format registry: one reader per format (`reader.Reader`: id, label, `match(probe)`,
`read(path, progress)`), each published as `READER` by its module and imported on first need.
Order matters where two formats could claim the same content: the more specific reader comes
first. A reader module that fails to import is reported (`broken_readers()`, a warning on every
opened document and in the "not a model file" message), never silently skipped.
"""

from __future__ import annotations

import importlib
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator

from ..errors import FormatError, UnsupportedFormat
from ..model import Document
from ..progress import NO_PROGRESS, Progress
from .containers.probe import Probe
from .reader import Reader

# Module names under kinspect.formats, most specific first. A module that fails to import is
# skipped and reported, so one broken reader never takes the others down.
READER_MODULES: list[str] = [
    "keras.h5_model",
    "keras.weights_file",
    "keras.archive",
    # A TF.js model.json is JSON too (its modelTopology a Keras config or a GraphDef).
    "tfjs.layers",
    "tfjs.graph",
    "keras.json_arch",
    "keras.yaml_arch",
    # Graph formats (read as data, without TensorFlow's runtime).
    "tf.savedmodel",
    "tf.checkpoint",
    "tf.graphdef",
    "tflite",
    "onnx",
]

# Errors of the container libraries that mean "this data is broken" (not a kinspect bug):
# a corrupt zip entry (CRC, bad header), a corrupt deflate stream, a short struct read, and
# h5py's RuntimeError for corrupt HDF5 metadata ("bad version number for attribute message").
_DATA_ERRORS: tuple[type[BaseException], ...] = (zipfile.BadZipFile, zlib.error, struct.error,
                                                 RuntimeError)

_loaded: dict[str, Reader] = {}
_broken: dict[str, str] = {}


def iter_readers() -> Iterator[Reader]:
    """Readers in order, each imported only when reached: detecting a Keras file does not pay
    for importing the graph readers (measured: 0.17 s of a 1.2 s `kinspect info`)."""
    for name in READER_MODULES:
        if name not in _loaded and name not in _broken:
            try:
                _loaded[name] = importlib.import_module(f"{__name__}.{name}").READER
            except Exception as exc:  # noqa: BLE001 - reported by broken_readers()
                _broken[name] = f"{type(exc).__name__}: {exc}"
        if name in _loaded:
            yield _loaded[name]


def readers() -> list[Reader]:
    return list(iter_readers())


def broken_readers() -> dict[str, str]:
    """Reader modules that failed to import, with the error: files of their formats cannot be
    opened, and every document and "not a model file" message says so."""
    readers()
    return dict(_broken)


def broken_warnings() -> list[str]:
    return [f"kinspect's reader `{name}` could not be loaded ({error}): files of its format "
            "cannot be opened" for name, error in sorted(_broken.items())]


def format_ids() -> list[str]:
    return [r.id for r in readers()]


def reader_for(format_id: str) -> Reader:
    for reader in readers():
        if reader.id == format_id:
            return reader
    raise UnsupportedFormat(f"unknown format '{format_id}'")


def detect(path: str | os.PathLike[str]) -> Reader:
    """The reader whose `match` accepts this content; raises a FormatError naming the file."""
    probe = Probe(path)
    if not probe.exists and not os.path.exists(probe.path + ".index") \
            and not os.path.exists(probe.path + ".meta"):  # checkpoint prefix (V1: .meta)
        raise FormatError("no such file or directory", probe.path)
    for reader in iter_readers():
        if reader.match(probe):
            return reader
    message = describe_unknown(probe)
    if _broken:
        message += "; " + "; ".join(broken_warnings())
    raise UnsupportedFormat(message, probe.path)


def open_document(path: str | os.PathLike[str], format_id: str | None = None,
                  progress: Progress = NO_PROGRESS) -> Document:
    """Open any supported file; every failure is a FormatError (or kin) naming the file."""
    path = os.fspath(path)
    reject_hostile(Probe(path))
    reader = reader_for(format_id) if format_id else detect(path)
    try:
        document = reader.read(path, progress)
    except FormatError as exc:
        if exc.path is None:
            exc.path = path
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, RecursionError,
            MemoryError, UnicodeError, EOFError, *_DATA_ERRORS) as exc:
        raise FormatError(f"cannot read as {reader.label}: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:300]}", path) from exc
    document.warnings.extend(broken_warnings())
    return document


def reject_hostile(probe: Probe) -> None:
    """Refuse, before any reader runs, content no reader may touch: LFS pointers, pickles,
    empty files and zip bombs (by declared sizes). Raises a FormatError naming the file."""
    if not probe.exists or probe.is_dir:
        return
    if probe.size == 0:
        raise FormatError("file is empty", probe.path)
    if probe.is_lfs_pointer:
        raise FormatError(f"Git LFS pointer file ({probe.lfs_info()}), not the model itself: "
                          "fetch the real file with `git lfs pull`", probe.path)
    if probe.is_pickle:
        raise FormatError("Python pickle, not a model file kinspect reads (unpickling could "
                          "run any code; see `kinspect scan`)", probe.path)
    if probe.head.startswith(b"PK"):
        from .containers.zip_guard import check_zip_bomb

        try:
            with zipfile.ZipFile(probe.path) as z:
                bomb = check_zip_bomb(z.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            return  # not a readable zip: detection and the readers say what is wrong
        if bomb is not None:
            raise FormatError(bomb + "; refused", probe.path)


def _hdf5_problem(path: str) -> str | None:
    """What h5py itself says when it cannot open the file (a truncated download says
    "truncated file: eof = 5000000, stored_eof = 96392672"); None when it opens."""
    import h5py

    try:
        with h5py.File(path, "r"):
            return None
    except (OSError, ValueError) as exc:
        text = " ".join(str(exc).split())
        inner = text[text.find("(") + 1: text.rfind(")")] if "(" in text else text
        return f"damaged HDF5 file (h5py: {inner or text})"


def describe_unknown(probe: Probe) -> str:
    """What an unrecognised file is, as precisely as cheap checks allow."""
    if probe.is_dir:
        return "folder is not a SavedModel or checkpoint directory kinspect can read"
    if probe.size == 0:
        return "file is empty"
    if probe.is_lfs_pointer:
        return (f"Git LFS pointer file ({probe.lfs_info()}), not the model itself: fetch the "
                "real file with `git lfs pull`")
    if probe.is_pickle:
        return "Python pickle, not a model file kinspect reads"
    if probe.is_hdf5:
        return _hdf5_problem(probe.path) or "HDF5 file without Keras model or weights"
    if probe.head.startswith(b"\x93NUMPY"):
        return "NumPy array file (.npy), not a model file"
    if probe.head.startswith(b"PK"):
        if probe.zip_names:
            return "zip archive without a Keras config.json (not a .keras model)"
        return "broken or truncated zip archive"
    text = probe.text_head()
    if text is not None:
        start = text.lstrip()[:1]
        if start in ("{", "["):
            return "JSON that is not a Keras model config (no model class_name)"
        return _describe_text(probe)
    return f"not a model file kinspect can read ({_hex(probe.head[:8])}…)"


def _describe_text(probe: Probe) -> str:
    """Say why YAML-looking text is refused (alias bomb, python tags) when that is the case."""
    plain = "not a model file kinspect can read"
    if probe.size > 16 << 20 or probe.suffix not in (".yaml", ".yml"):
        return plain
    try:
        from .containers import safe_yaml

        with open(probe.path, encoding="utf-8", errors="replace") as f:
            safe_yaml.load(f.read())
    except FormatError as exc:
        return f"YAML that is not a model file: {exc.message}"
    except Exception:  # noqa: BLE001 - any other YAML trouble: the plain message
        return plain
    return "YAML that is not a Keras model config (no model class_name)"


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)

