"""`keras-weights-h5`: weights without an architecture (`save_weights`), every vintage.

Three layouts, told apart by content (names lie: a weights-only file is often `model.h5`):
Keras 2 / tf.keras (layer groups at the root listed by `layer_names`, tf.keras 2.10+ adds a
`top_level_model_weights` group) and Keras 3 `.weights.h5` (`layers/<key>/vars/N`).
Without a config the layer classes are unknown (Keras 2) or guessed from Keras 3's class-based
keys; pair the file with its architecture (`--arch`, File > Attach architecture…) for the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import h5py

from ...errors import FormatError
from ...model import Document, Layer, TensorInfo
from ...progress import NO_PROGRESS, Progress
from ..containers import h5_guard
from ..containers.probe import Probe
from ..reader import FormatReader
from . import document as keras_model
from . import h5_weights
from . import vars3 as keras3_vars

ID = "keras-weights-h5"
LABEL = "Keras weights (HDF5)"
TOP_LEVEL = "top_level_model_weights"
WEIGHTS_ONLY = "(weights only)"


def match(probe: Probe) -> bool:
    attrs, members = probe.h5_root
    if "model_config" in attrs:
        return False
    return "layer_names" in attrs or keras3_vars.is_store(members)


@dataclass
class StoredWeights:
    """What a weights file holds, before any architecture is applied."""

    layout: str  # "keras2" or "keras3"
    producer: dict[str, str] = field(default_factory=dict)
    by_layer: dict[str, list[TensorInfo]] = field(default_factory=dict)  # keras2
    top_level: list[TensorInfo] = field(default_factory=list)  # keras2 top_level_model_weights
    store: keras3_vars.VarGroup | None = None  # keras3
    optimizer: list[TensorInfo] = field(default_factory=list)


def read_weights(path: str, progress: Progress = NO_PROGRESS) -> StoredWeights:
    """Metadata of every stored weight (values stay on disk until asked for)."""
    with h5py.File(path, "r") as f:
        h5_guard.check_file(f)
        if "model_config" in f.attrs:
            # A full model called weights.hdf5: its weights live under model_weights/.
            group = f.get("model_weights")
            if not isinstance(group, h5py.Group):
                raise FormatError("full Keras model without a 'model_weights' group")
            stored = StoredWeights("keras2", h5_weights.producer(f.attrs),
                                   h5_weights.layer_weights(path, group))
            return stored
        if "layer_names" in f.attrs:
            stored = StoredWeights("keras2", h5_weights.producer(f.attrs),
                                   h5_weights.layer_weights(path, f))
            top = f.get(TOP_LEVEL)
            if isinstance(top, h5py.Group):
                stored.top_level = h5_weights.group_weights(path, top)
            return stored
        if keras3_vars.is_store(set(f.keys())):
            model, optimizer = keras3_vars.read_store(path, f, progress=progress)
            return StoredWeights("keras3", {}, store=model,
                                 optimizer=optimizer.all_weights() if optimizer else [])
    raise FormatError("HDF5 file holds neither Keras 'layer_names' nor a Keras 3 weight store")


def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading weights")
    stored = read_weights(path, progress)
    progress.check()
    name = os.path.basename(path)
    model = Layer(name=name, class_name=WEIGHTS_ONLY)
    warnings = ["weights only: no architecture in the file (pair it with one: "
                "kinspect info FILE --arch ARCH, or File > Attach architecture…)"]
    if stored.layout == "keras2":
        model.layers = [Layer(name=n, class_name="", weights=ws)
                        for n, ws in stored.by_layer.items()]
        if stored.top_level:
            model.weights = list(stored.top_level)
        keras_model.attach_weights(model, {})  # marks moving statistics non-trainable
        warnings += weights_version_warnings(stored.producer.get("keras_version", ""))
    else:
        assert stored.store is not None
        model.layers = keras3_vars.layers_from_store(stored.store)
        model.weights = list(stored.store.weights)
        warnings.append("Keras 3 weight store: layer classes are guessed from Keras's "
                        "class-based group names")
    progress.step(1.0, "done")
    root_attrs = {"layout": stored.layout, **stored.producer}
    return keras_model.build_document(
        path, ID, model, producer=stored.producer, optimizer_weights=stored.optimizer,
        root_attrs=root_attrs, warnings=warnings)


def weights_version_warnings(keras_version: str) -> list[str]:
    """Loading Keras 2 weights into a Keras 3 model works (`load_weights`, by_name too)."""
    if not keras_version:
        return ["file records no keras_version"]
    if keras_version.startswith(("1.", "0.")):
        # keras/src/legacy/saving/legacy_h5_format.py (3.15) loads by order with no Keras 1
        # conversion (Keras 2 had preprocess_weights_for_loading for RNN / conv layouts).
        return [f"saved by Keras {keras_version}: Keras 1 weight layout, which Keras 3 loads "
                "without converting (recurrent and Theano-ordered convolution weights need "
                "conversion)"]
    return []


READER = FormatReader(ID, LABEL, match, read)
