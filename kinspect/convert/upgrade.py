"""Rebuild a Keras 2 model (tf_keras) as a Keras 3 model: upgraded config + copied weights.

Why: Keras 3 cannot read Keras 2.0-2.3 files nor Keras 2 JSON with class `Functional`, but
tf_keras can; its normalised config needs only a few mechanical upgrades for Keras 3
(`batch_input_shape` becomes an InputLayer, arguments Keras 3 dropped are removed, each
removal reported as a warning). Weights are then copied layer by layer, by name.
"""

from __future__ import annotations

import ast
import copy
import re
from typing import Any

from ..errors import ConvertError

_UNRECOGNISED = re.compile(r"Unrecognized keyword arguments passed to (\w+): (\{.*?\})")


def upgrade_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Keras 2 model config ({class_name, config}) -> one Keras 3 `from_config` accepts."""
    cfg = copy.deepcopy(cfg)
    conf = cfg.get("config")
    if isinstance(conf, list):  # Keras <= 2.1 Sequential: the config is the layer list
        conf = {"name": "sequential", "layers": conf}
        cfg["config"] = conf
    layers = conf.get("layers", [])
    if cfg.get("class_name") == "Sequential" and layers:
        first = layers[0]["config"]
        shape = first.get("batch_input_shape")
        if shape is not None and layers[0]["class_name"] != "InputLayer":
            layers.insert(0, {"class_name": "InputLayer", "config": {
                "batch_shape": shape, "dtype": first.get("dtype", "float32"),
                "name": f"{first.get('name', 'input')}_input"}})
    for layer in layers:
        c = layer.get("config", {})
        if "batch_input_shape" in c:
            shape = c.pop("batch_input_shape")
            if layer.get("class_name") == "InputLayer":
                c["batch_shape"] = shape
        axis = c.get("axis")
        if layer.get("class_name") == "BatchNormalization" and isinstance(axis, list) \
                and len(axis) == 1:
            c["axis"] = axis[0]  # Keras 2 stored [1]; Keras 3 wants an int
    if cfg.get("class_name") == "Model":
        cfg["class_name"] = "Functional"
    return cfg


def _drop_keys(cfg: dict[str, Any], class_name: str, keys: set[str]) -> None:
    for layer in cfg["config"].get("layers", []):
        if layer.get("class_name") == class_name:
            for key in keys:
                layer["config"].pop(key, None)


def to_keras3(model: Any, warnings: list[str]) -> Any:
    """A Keras 3 copy of a tf_keras model, with the same weights."""
    import json

    import keras

    cfg = upgrade_config(json.loads(model.to_json()))
    for _ in range(20):
        try:
            cls = keras.Sequential if cfg["class_name"] == "Sequential" else keras.Model
            new = cls.from_config(cfg["config"])
            break
        except (TypeError, ValueError) as exc:
            found = _UNRECOGNISED.search(str(exc))
            if not found:
                raise ConvertError(f"cannot rebuild the model in Keras 3: {exc}") from exc
            keys = set(ast.literal_eval(found.group(2)))
            _drop_keys(cfg, found.group(1), keys)
            warnings.append(f"Keras 3 has no {', '.join(sorted(keys))} for {found.group(1)}: "
                            "dropped from the config")
    else:
        raise ConvertError("cannot rebuild the model in Keras 3: too many unknown arguments")
    copy_weights(model, new)
    return new


def copy_weights(src: Any, dst: Any) -> None:
    """Copy weights layer by layer, by name (InputLayers added by the upgrade have none)."""
    by_name = {layer.name: layer for layer in dst.layers}
    for layer in src.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        target = by_name.get(layer.name)
        if target is None:
            raise ConvertError(f"layer {layer.name} lost while rebuilding the model in Keras 3")
        target.set_weights(weights)
