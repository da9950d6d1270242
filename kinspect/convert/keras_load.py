"""Keras sources as a live model: Keras 3 where it can, tf_keras for old files.

Also reads a source's architecture config and weights *without* deserialising anything, for
targets that need no live model (JSON, YAML, weights) and for the code check before loading.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConvertError, InvalidRequest, UnsafeContent
from .trust import require_code_trust

ARCH_FORMATS = ("keras-json", "keras-yaml", "keras-h5", "keras")


@dataclass
class KerasModel:
    """A loaded Keras model and how it was loaded."""

    model: Any
    lib: str  # "keras" (Keras 3) or "tf_keras" (Keras 2)
    warnings: list[str] = field(default_factory=list)
    weights_report: dict[str, Any] | None = None


def read_config(path: str) -> dict[str, Any]:
    """The architecture ({class_name, config, ...}) as stored, without deserialising it, read
    as `info --arch` reads it (the readers' guarded functions: size limits, zip-bomb checks,
    the safe YAML loader)."""
    return read_config_and_version(path)[0]


def read_config_and_version(path: str) -> tuple[dict[str, Any], str]:
    """The architecture as stored and the Keras version that wrote it ("" when not recorded)."""
    from ..formats.keras.pairing import load_arch

    config, producer = load_arch(path)
    if not isinstance(config, dict):
        raise InvalidRequest("holds no Keras architecture", path)
    return config, producer.get("keras_version", "")


def load_model(path: str, fmt: str, trust: bool) -> KerasModel:
    """A full Keras model file (keras-h5, keras, Keras-written SavedModel) as a live model."""
    warnings: list[str] = []
    if fmt == "tf-savedmodel":
        return _load_keras_savedmodel(path, trust)
    found = require_code_trust(path, trust)
    warnings += [f"trusted code: {d}" for d in found]
    errors: list[str] = []
    import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=not trust)
        return KerasModel(model, "keras", warnings)
    except Exception as exc:  # noqa: BLE001 - Keras raises anything; try Keras 2 next
        errors.append(f"Keras 3: {_short(exc)}")
    if fmt == "keras-h5":
        legacy_needs_trust(path, trust, errors)
        import tf_keras

        try:
            with _tf_keras_safe_mode(trust):
                model = tf_keras.models.load_model(path, compile=False)
            warnings.append("loaded with tf_keras (Keras 2), trusted: Keras 3 cannot read it")
            return KerasModel(model, "tf_keras", warnings)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"tf_keras: {_short(exc)}")
    raise ConvertError("cannot load the model: " + "; ".join(errors), path)


def _load_keras_savedmodel(path: str, trust: bool) -> KerasModel:
    if not os.path.isfile(os.path.join(path, "keras_metadata.pb")):
        raise InvalidRequest("not a Keras SavedModel (no keras_metadata.pb): only graph targets "
                             "(tf-graphdef, tflite, onnx, tf-savedmodel) apply", path)
    require_code_trust(path, trust, file_ops=True)  # tf_keras restores with its ops
    legacy_needs_trust(path, trust, ["Keras 3 refuses legacy Keras SavedModels"])
    import tf_keras

    try:
        with _tf_keras_safe_mode(trust):
            model = tf_keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001
        raise ConvertError(f"cannot load the Keras SavedModel with tf_keras: {_short(exc)}",
                           path) from exc
    return KerasModel(model, "tf_keras", ["legacy Keras SavedModel loaded with tf_keras, trusted"])


def model_from_arch(path: str, fmt: str, trust: bool) -> KerasModel:
    """A model from an architecture file: freshly initialised from JSON / YAML; a full .h5 or
    .keras comes with its own trained weights."""
    if fmt in ("keras-h5", "keras"):
        return load_model(path, fmt, trust)
    config = read_config(path)
    found = require_code_trust(path, trust)
    text = json.dumps(config)
    errors = []
    import keras
    from keras.src.saving.serialization_lib import SafeModeScope

    from .upgrade import upgrade_config

    upgraded = upgrade_config(config)
    cls = keras.Sequential if upgraded.get("class_name") == "Sequential" else keras.Model
    attempts = (lambda: keras.models.model_from_json(text),
                lambda: cls.from_config(upgraded["config"]))
    for attempt in attempts:
        try:
            with SafeModeScope(not trust):
                model = attempt()
            return KerasModel(model, "keras", [f"trusted code: {d}" for d in found])
        except Exception as exc:  # noqa: BLE001 - Keras raises anything; try the next route
            errors.append(f"Keras 3: {_short(exc)}")
    legacy_needs_trust(path, trust, errors)
    import tf_keras

    try:
        with _tf_keras_safe_mode(trust):
            model = tf_keras.models.model_from_json(text)
        return KerasModel(model, "tf_keras", ["architecture built with tf_keras, trusted"])
    except Exception as exc:  # noqa: BLE001
        errors.append(f"tf_keras: {_short(exc)}")
    raise ConvertError("cannot build the architecture: " + "; ".join(errors), path)


def load_pair(weights: str, arch: str, arch_fmt: str, trust: bool) -> KerasModel:
    """Architecture + weights-only file: layers matched by name, with a report."""
    if arch_fmt not in ARCH_FORMATS:
        raise InvalidRequest(f"--arch must be a Keras architecture, not {arch_fmt}", arch)
    built = model_from_arch(arch, arch_fmt, trust)
    from .weights_match import load_weights_by_name

    kept = "kept from the architecture file" if arch_fmt in ("keras-h5", "keras") \
        else "left initialised"
    built.weights_report = load_weights_by_name(built.model, weights, kept)
    return built


def legacy_needs_trust(path: str, trust: bool, errors: list[str]) -> None:
    """No silent fallback: tf_keras (Keras 2) imports any module a config names, and through it
    the old Keras inside TensorFlow, which has no safe mode at all; it loads a file only when
    the user trusts it."""
    if not trust:
        raise UnsafeContent("Keras 3 cannot load this file (" + "; ".join(errors)[:300] + "); "
                            "the fallback, tf_keras (Keras 2), has no complete safe mode: pass "
                            "--trust-code to let it load this file", path)


def _tf_keras_safe_mode(trust: bool) -> Any:
    """tf_keras refuses Lambda bytecode only inside this scope (outside it, in_safe_mode() is
    None and legacy .h5 / model_from_json unmarshal it): the scanner is not the only guard."""
    from tf_keras.src.saving.serialization_lib import SafeModeScope

    return SafeModeScope(not trust)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"
