"""`keras`: the Keras 3 `.keras` zip (config.json, metadata.json, model.weights.h5).

The weights are read in place from the zip entry through h5py's file-object support (metadata
only; values are read when asked for, by reopening the entry), then mapped back to the config's
layers by the real names Keras stores beside each `vars` group. A subclassed model, or one
made of custom classes, has no layer list in its config: it is shown from its config and from
the objects in the weight store.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py

from ...errors import FormatError
from ...model import Document
from ...progress import NO_PROGRESS, Progress
from ..containers import bounds, h5_guard, zip_entry, zip_guard
from ..containers.probe import Probe
from ..reader import FormatReader
from . import config as keras_config
from . import document as keras_model
from . import vars3 as keras3_vars

ID = "keras"
LABEL = "Keras 3 model (.keras)"
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def match(probe: Probe) -> bool:
    names = probe.zip_names
    return CONFIG in names and (METADATA in names or WEIGHTS in names)


def json_entry(z: zipfile.ZipFile, name: str) -> Any:
    """A JSON entry of the zip, size-checked and read in bounded parts by zip_guard (with
    its MAX_JSON_ENTRY, the limit reject_hostile applies to every .json entry)."""
    if name not in z.namelist():
        return None
    try:
        return bounds.loads_json(zip_guard.read_entry(z, name), name)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{name} in the zip is not valid JSON: {exc}") from exc


@contextmanager
def _open_weights(path: str) -> Iterator[h5py.File]:
    """model.weights.h5 of a `.keras` zip, opened in place (see zip_entry)."""
    with zip_entry.open_entry(path, WEIGHTS) as entry, h5py.File(entry, "r") as f:
        h5_guard.check_file(f)
        yield f


def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading config.json")
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FormatError(f"not a valid zip: {exc}") from exc
    with z:
        config = json_entry(z, CONFIG)
        metadata = json_entry(z, METADATA)
        metadata = metadata if isinstance(metadata, dict) else {}
        if not isinstance(config, dict) or "class_name" not in config:
            raise FormatError("config.json holds no Keras object ('class_name' missing)")
        model = keras_config.model_from_config(config)
        store = optimizer = None
        progress.step(0.3, "reading model.weights.h5")
        if WEIGHTS in z.namelist():
            with _open_weights(path) as f:
                store, optimizer = keras3_vars.read_store(
                    path, f, lambda: _open_weights(path), progress)
        assets = sorted(n for n in z.namelist() if n.startswith("assets/"))
        other = sorted(set(z.namelist()) - {CONFIG, METADATA, WEIGHTS} - set(assets))
    warnings = zip_warnings(config, metadata, store is not None)
    if store is not None:
        if model.layers:
            unmatched = keras3_vars.attach(model, store)
            warnings += [f"stored variables '{n}' match no layer of the config"
                         for n in unmatched]
        else:
            model.layers = keras3_vars.layers_from_store(store)
            model.weights = list(store.weights)
    producer = {"keras_version": str(metadata.get("keras_version", ""))} \
        if metadata.get("keras_version") else {}
    root_attrs: dict[str, Any] = {f"metadata {k}": v for k, v in metadata.items()}
    if config.get("registered_name"):
        root_attrs["registered_name"] = config["registered_name"]
    if config.get("build_config") is not None:
        root_attrs["build_config"] = json.dumps(config["build_config"])
    if assets or other:
        root_attrs["other entries"] = ", ".join(assets + other)
    progress.step(1.0, "done")
    doc = keras_model.build_document(
        path, ID, model, producer=producer, training_config=config.get("compile_config"),
        optimizer_weights=optimizer.all_weights() if optimizer else [],
        root_attrs=root_attrs, warnings=warnings)
    return doc


def zip_warnings(config: dict[str, Any], metadata: dict[str, Any], has_weights: bool
                 ) -> list[str]:
    """Checked with Keras 3.15.1 and tf_keras 2.21 on the corpus: a custom class makes
    load_model fail ("Could not locate class") unless that class is registered; tf_keras cannot
    read `.keras` zips at all."""
    out = []
    custom = _custom_classes(config)
    if custom:
        out.append("custom classes " + ", ".join(sorted(custom)[:5]) +
                   ": Keras cannot load this file without their Python code; kinspect shows "
                   "it from its config and stored variables")
    if config.get("class_name") not in keras_config.MODEL_CLASSES:
        out.append(f"subclassed model '{config.get('class_name')}': the config has no layer "
                   "list; layers are shown as found in the weight store")
    if not has_weights:
        out.append("zip holds no model.weights.h5")
    version = str(metadata.get("keras_version", ""))
    if not version:
        out.append("metadata.json records no keras_version")
    out.append("Keras 3 format: tf_keras (Keras 2) cannot load it")
    return out


def _custom_classes(config: Any) -> set[str]:
    """Classes registered by user code (`registered_name` with a package prefix, or no
    module)."""
    found: set[str] = set()

    def visit(obj: Any, depth: int) -> None:
        if depth > 100:
            return
        if isinstance(obj, dict):
            registered = obj.get("registered_name")
            if "class_name" in obj and "config" in obj and (
                    (isinstance(registered, str) and ">" in registered) or
                    ("module" in obj and obj.get("module") is None)):
                found.add(str(registered or obj["class_name"]))
            for value in obj.values():
                visit(value, depth + 1)
        elif isinstance(obj, list):
            for value in obj:
                visit(value, depth + 1)

    visit(config, 0)
    return found


READER = FormatReader(ID, LABEL, match, read)
