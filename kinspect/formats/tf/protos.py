"""TensorFlow's generated protobuf message classes, without running `tensorflow/__init__`.

`import tensorflow.core.protobuf.saved_model_pb2` executes the whole `tensorflow` package first
(4-5 s, the runtime and its kernels). The generated `*_pb2` modules themselves need only
`google.protobuf` (loading all of them: ~0.07 s), but they import each other by absolute
`tensorflow.core...` names. So we load them the cheap way:

1. Under the global import lock, put empty stand-in package modules (`tensorflow`,
   `tensorflow.core`, ...) with the real `__path__` into `sys.modules`, so the absolute imports
   between the `*_pb2` files resolve to the real files, while no package `__init__` runs.
2. Import the `*_pb2` modules we need; their descriptors land in protobuf's default pool.
3. Remove every `tensorflow*` entry we added from `sys.modules` again, keeping private
   references to the loaded modules.

Why step 3 is safe: a later real `import tensorflow` (the converter does it on a worker) runs
the real package and executes the `*_pb2` files again. Re-adding a byte-identical file to the
default descriptor pool is accepted (no "duplicate file" error), and protobuf hands back the
same descriptors, hence the very same message classes: a `GraphDef` parsed here is a
`tf.compat.v1.GraphDef` (tested in tests/test_tf_protos.py). If the real TensorFlow is already
imported, we simply use its modules.

Use: `from kinspect.formats.tf import protos as tf_protos; tf_protos.GraphDef()`, or
`tf_protos.module("core/framework/graph_pb2")`. Attributes load on first access.
"""

from __future__ import annotations

import _imp
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
from importlib import _bootstrap  # type: ignore[attr-defined]
from typing import Any

from ...errors import FormatError
from ...once import build_once

# Message classes by the name other modules use -> (module path under tensorflow/, class name).
_CLASSES: dict[str, tuple[str, str]] = {
    "GraphDef": ("core/framework/graph_pb2", "GraphDef"),
    "NodeDef": ("core/framework/node_def_pb2", "NodeDef"),
    "AttrValue": ("core/framework/attr_value_pb2", "AttrValue"),
    "TensorProto": ("core/framework/tensor_pb2", "TensorProto"),
    "TensorShapeProto": ("core/framework/tensor_shape_pb2", "TensorShapeProto"),
    "FunctionDefLibrary": ("core/framework/function_pb2", "FunctionDefLibrary"),
    "FunctionDef": ("core/framework/function_pb2", "FunctionDef"),
    "OpDef": ("core/framework/op_def_pb2", "OpDef"),
    "VariableDef": ("core/framework/variable_pb2", "VariableDef"),
    "MetaGraphDef": ("core/protobuf/meta_graph_pb2", "MetaGraphDef"),
    "SignatureDef": ("core/protobuf/meta_graph_pb2", "SignatureDef"),
    "TensorInfo": ("core/protobuf/meta_graph_pb2", "TensorInfo"),
    "SavedModel": ("core/protobuf/saved_model_pb2", "SavedModel"),
    "SavedObjectGraph": ("core/protobuf/saved_object_graph_pb2", "SavedObjectGraph"),
    "StructuredValue": ("core/protobuf/struct_pb2", "StructuredValue"),
    "SaverDef": ("core/protobuf/saver_pb2", "SaverDef"),
    "BundleHeaderProto": ("core/protobuf/tensor_bundle_pb2", "BundleHeaderProto"),
    "BundleEntryProto": ("core/protobuf/tensor_bundle_pb2", "BundleEntryProto"),
    "TrackableObjectGraph": ("core/protobuf/trackable_object_graph_pb2",
                             "TrackableObjectGraph"),
    # The TF1-era name of the same message (checkpoints call it that).
    "CheckpointableObjectGraph": ("core/protobuf/trackable_object_graph_pb2",
                                  "TrackableObjectGraph"),
    "FingerprintDef": ("core/protobuf/fingerprint_pb2", "FingerprintDef"),
    "CheckpointState": ("python/training/checkpoint_state_pb2", "CheckpointState"),
    "SavedTensorSlices": ("core/util/saved_tensor_slice_pb2", "SavedTensorSlices"),
    "SavedMetadata": ("python/keras/protobuf/saved_metadata_pb2", "SavedMetadata"),
}
# Enum wrappers (DataType.Name(1) == "DT_FLOAT").
_ENUMS: dict[str, tuple[str, str]] = {
    "DataType": ("core/framework/types_pb2", "DataType"),
}

_lock = threading.Lock()
_modules: dict[str, types.ModuleType] = {}


def tensorflow_dir() -> str:
    """The installed `tensorflow` package folder, found without importing it."""
    real = sys.modules.get("tensorflow")
    if real is not None and getattr(real, "__file__", None):
        return os.path.dirname(real.__file__)  # type: ignore[arg-type]
    spec = importlib.util.find_spec("tensorflow") if real is None else None
    if spec is None or not spec.submodule_search_locations:
        raise FormatError("TensorFlow's message definitions are not installed "
                          "(pip install tensorflow)")
    return list(spec.submodule_search_locations)[0]


def _real_tensorflow_loaded() -> bool:
    """True when the real package (not a stand-in of ours) is in sys.modules."""
    mod = sys.modules.get("tensorflow")
    return mod is not None and getattr(mod, "__file__", None) is not None


def module(rel: str) -> types.ModuleType:
    """A generated module by its path under tensorflow/, e.g. "core/framework/graph_pb2"."""
    return build_once(_modules, rel, _lock, lambda: _load(rel))


def _load(rel: str) -> types.ModuleType:
    dotted = "tensorflow." + rel.replace("/", ".")
    if _real_tensorflow_loaded():
        # It may still be initialising on another thread: importing a `*_pb2` now would run
        # beside its own imports of the same modules, and one side gets a half-made module
        # ("partially initialized module ... graph_pb2"). import_module waits for it first.
        importlib.import_module("tensorflow")
        return importlib.import_module(dotted)
    root = tensorflow_dir()
    if not os.path.exists(os.path.join(root, rel + ".py")):
        raise FormatError(f"this TensorFlow has no {rel}.py")
    # A worker may start `import tensorflow` at any moment. While our stand-ins exist we hold
    # the module lock of "tensorflow" (a worker's import waits on it, because the stand-in is
    # marked as initializing, then finds the stand-in gone and loads the real package) and the
    # global import lock (no other import starts meanwhile). If the real package is being
    # imported by another thread, acquiring its module lock waits until that import is done.
    with _bootstrap._ModuleLockManager("tensorflow"):  # type: ignore[attr-defined]
        _imp.acquire_lock()
        try:
            if not _real_tensorflow_loaded():
                return _load_with_stand_ins(root, rel, dotted)
        finally:
            _imp.release_lock()
    importlib.import_module("tensorflow")  # returns once a concurrent import has finished
    return importlib.import_module(dotted)


def _load_with_stand_ins(root: str, rel: str, dotted: str) -> types.ModuleType:
    """Import one `*_pb2` module under stand-in packages, then remove every stand-in."""
    before = {name for name in sys.modules if _is_tf_name(name)}
    try:
        _install_stand_ins(root, rel)
        for done in list(_modules.values()):  # reuse, don't execute them again
            sys.modules.setdefault(done.__name__, done)
        loaded = importlib.import_module(dotted)
        for name, mod in sys.modules.items():
            if name.endswith("_pb2") and _is_tf_name(name):
                _modules.setdefault(name[len("tensorflow."):].replace(".", "/"), mod)
        return loaded
    except Exception as exc:
        raise FormatError(f"cannot load TensorFlow's {rel}: {type(exc).__name__}: {exc}") \
            from exc
    finally:
        for name in [n for n in sys.modules if _is_tf_name(n) and n not in before]:
            del sys.modules[name]


def _is_tf_name(name: str) -> bool:
    return name == "tensorflow" or name.startswith("tensorflow.")


def _install_stand_ins(root: str, rel: str) -> None:
    """Empty package modules for `tensorflow` and every folder on the way to the file.

    The `*_pb2` files of one folder import those of sibling folders (core/protobuf imports
    core/framework), so the stand-ins cover the folders they use too.
    """
    folders = {"", "core", "core/framework", "core/protobuf", os.path.dirname(rel)}
    parts = os.path.dirname(rel).split("/")
    folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for folder in sorted(folders, key=lambda f: f.count("/") + bool(f)):
        name = "tensorflow" + ("." + folder.replace("/", ".") if folder else "")
        if name in sys.modules:
            continue
        stand_in = types.ModuleType(name, "kinspect stand-in: the package __init__ is not run")
        stand_in.__path__ = [os.path.join(root, folder) if folder else root]
        if not folder:  # other threads' `import tensorflow` must wait, not take the stand-in
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec._initializing = True  # type: ignore[attr-defined]
            stand_in.__spec__ = spec
        sys.modules[name] = stand_in


def load_all() -> None:
    """Load every module listed here at once (e.g. on a worker, before a big parse)."""
    for rel, _cls in {**_CLASSES, **_ENUMS}.values():
        module(rel)


def dtype_name(value: int) -> str:
    """`DT_FLOAT` -> "float32", the numpy-style name kinspect shows everywhere."""
    return _DTYPE_NAMES.get(value) or _enum_name(value)


def _enum_name(value: int) -> str:
    try:
        name = module("core/framework/types_pb2").DataType.Name(value)
    except ValueError:
        return f"dtype({value})"
    if name.endswith("_REF"):
        return dtype_name(module("core/framework/types_pb2").DataType.Value(name[:-4])) + "_ref"
    return name[3:].lower() if name.startswith("DT_") else name.lower()


# The numbers are TensorFlow's DataType enum (stable since TF 1.0; types.proto).
_DTYPE_NAMES: dict[int, str] = {
    0: "invalid", 1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
    7: "string", 8: "complex64", 9: "int64", 10: "bool", 11: "qint8", 12: "quint8",
    13: "qint32", 14: "bfloat16", 15: "qint16", 16: "quint16", 17: "uint16", 18: "complex128",
    19: "float16", 20: "resource", 21: "variant", 22: "uint32", 23: "uint64",
}


def __getattr__(name: str) -> Any:
    """`tf_protos.GraphDef` and friends, loaded on first access."""
    where = _CLASSES.get(name) or _ENUMS.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module(where[0]), where[1])
