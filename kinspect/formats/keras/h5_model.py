"""`keras-h5`: a full Keras model in HDF5 (Keras 1/2, tf.keras, Keras 3 legacy `.h5`).

Read with h5py alone: neither TensorFlow nor Keras is imported, and no layer is deserialised,
so a Lambda layer's bytecode stays inert bytes.
"""

from __future__ import annotations

import re

import h5py

from ...errors import FormatError
from ...model import Document
from ...progress import NO_PROGRESS, Progress
from ..containers import h5_guard
from ..containers.probe import Probe
from ..reader import FormatReader
from . import config as keras_config
from . import document as keras_model
from . import h5_weights

ID = "keras-h5"
LABEL = "Keras HDF5 model"


def match(probe: Probe) -> bool:
    attrs, _members = probe.h5_root
    return "model_config" in attrs


def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading model config")
    with h5py.File(path, "r") as f:
        h5_guard.check_file(f)
        config = h5_weights.json_attr(f.attrs, "model_config")
        if config is None:
            raise FormatError("HDF5 file has no 'model_config': not a full Keras model")
        model = keras_config.model_from_config(config)
        producer = h5_weights.producer(f.attrs)
        training_config = h5_weights.json_attr(f.attrs, "training_config")
        progress.step(0.3, "reading weights")
        weights_group = f.get("model_weights")
        stored = h5_weights.layer_weights(path, weights_group) \
            if isinstance(weights_group, h5py.Group) else {}
        unmatched = keras_model.attach_weights(model, stored)
        progress.step(0.7, "reading optimizer state")
        optimizer = f.get("optimizer_weights")
        optimizer_weights = h5_weights.group_weights(path, optimizer) \
            if isinstance(optimizer, h5py.Group) else []
        root_attrs = {k: _attr_preview(v) for k, v in f.attrs.items()}
    warnings = version_warnings(producer.get("keras_version", ""))
    if not isinstance(weights_group, h5py.Group):
        warnings.append("file holds no 'model_weights' group: architecture only")
    warnings += [f"stored weights for '{n}' match no layer of the config" for n in unmatched]
    progress.step(1.0, "done")
    return keras_model.build_document(
        path, ID, model, producer=producer, training_config=training_config,
        optimizer_weights=optimizer_weights, root_attrs=root_attrs, warnings=warnings)


def _attr_preview(value: object) -> str:
    text = h5_weights.text(value)
    return text if len(text) <= 2000 else text[:2000] + f"… ({len(text)} characters)"


def version_warnings(keras_version: str) -> list[str]:
    """What a user should know before loading the file with today's Keras.

    Checked with Keras 3.15.1 and tf_keras 2.21 on the corpus: Keras 3 fails on files from
    standalone Keras 2.0-2.3 (2.2.2 and, per TECH-NOTES, 2.0.8 and 2.3.1) and tf.keras before
    2.2.4 (2.1.6-tf), which tf_keras reads; it loads 2.2.4-tf, 2.10.0 and Keras 3 legacy files.
    """
    if not keras_version:
        return ["file records no keras_version"]
    match_ = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", keras_version)
    if not match_:
        return [f"unrecognised keras_version '{keras_version}'"]
    major, minor, patch = (int(g or 0) for g in match_.groups())
    tf_keras = "-tf" in keras_version
    too_old = major < 2 or (major == 2 and minor < 4 and not tf_keras) or \
        (major == 2 and tf_keras and (minor, patch) < (2, 4))
    if too_old:
        return [f"saved by Keras {keras_version}; Keras 3 cannot load this file directly "
                "(tf_keras can; kinspect reads it, and converts it through tf_keras)"]
    if major == 2:
        return [f"saved by Keras {keras_version} (Keras 2); Keras 3 loads it as a legacy file"]
    return []


READER = FormatReader(ID, LABEL, match, read)
