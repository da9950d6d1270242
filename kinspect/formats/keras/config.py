"""Keras model configs (every vintage) as plain `Layer` objects, without importing Keras.

Shared by the `.h5`, JSON, YAML and `.keras` readers. Handles Keras 1/2 list-style Sequential
configs, dict-style ones, functional `Model` / `Functional` graphs with Keras 2 and Keras 3
inbound-node layouts, nested models used as layers, and wrappers (`TimeDistributed`,
`Bidirectional`) whose inner layers become children.
"""

from __future__ import annotations

from typing import Any

from ...errors import FormatError
from ...model import Layer

MODEL_CLASSES = {"Sequential", "Model", "Functional"}
WRAPPER_KEYS = ("layer", "forward_layer", "backward_layer")


def model_from_config(model_config: Any) -> Layer:
    """The model as a `Layer` whose `layers` are its top-level layers."""
    if not isinstance(model_config, dict) or "class_name" not in model_config:
        raise FormatError("model config is not a Keras model (no 'class_name')")
    return _layer(model_config, depth=0)


def _layer(spec: Any, depth: int) -> Layer:
    if depth > 200:
        raise FormatError("model config nests layers more than 200 levels deep")
    if not isinstance(spec, dict):
        raise FormatError(f"layer entry is a {type(spec).__name__}, not a mapping")
    class_name = str(spec.get("class_name", "?"))
    config = spec.get("config")
    if config is None:
        config = {}
    name = spec.get("name")
    if isinstance(config, dict):
        name = name or config.get("name")
    layer = Layer(name=str(name) if name is not None else class_name.lower(),
                  class_name=class_name,
                  config=config if isinstance(config, dict) else {"layers": config},
                  module=spec.get("module"))
    if isinstance(config, dict):
        layer.trainable = bool(config.get("trainable", True))
    layer.inbound = inbound_layer_names(spec.get("inbound_nodes"))
    sublayers = _sublayer_specs(config)
    if sublayers is not None:
        layer.layers = [_layer(s, depth + 1) for s in sublayers]
    elif isinstance(config, dict):
        for key in WRAPPER_KEYS:
            inner = config.get(key)
            if isinstance(inner, dict) and "class_name" in inner:
                if class_name == "Bidirectional":
                    continue  # forward then backward, below
                layer.layers.append(_layer(inner, depth + 1))
        if class_name == "Bidirectional" and isinstance(config.get("layer"), dict):
            _bidirectional_children(layer, config)
    if not layer.trainable:
        for sub in layer.walk():
            sub.trainable = False
    return layer


def _sublayer_specs(config: Any) -> list[Any] | None:
    """The layer list of a nested model config (list style or dict style), or None."""
    if isinstance(config, list):
        return config
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        return config["layers"]
    return None


def _bidirectional_children(layer: Layer, config: dict[str, Any]) -> None:
    """Forward then backward copy; Keras 2 names them forward_<inner> / backward_<inner>,
    Keras 3 stores the names already prefixed (and may store the backward layer's config)."""
    inner = config["layer"]
    inner_config = inner.get("config")
    inner_name = str(inner_config.get("name", "layer")) if isinstance(inner_config, dict) \
        else "layer"
    for prefix, key in (("forward", "forward_layer"), ("backward", "backward_layer")):
        spec = config.get(key)
        if isinstance(spec, dict) and "class_name" in spec:
            layer.layers.append(_layer(spec, 1))
            continue
        child = _layer(inner, 1)
        base = inner_name.split("_", 1)[1] if inner_name.startswith(("forward_", "backward_")) \
            else inner_name
        child.name = f"{prefix}_{base}"
        layer.layers.append(child)


def inbound_layer_names(inbound_nodes: Any) -> list[str]:
    """Names of the layers feeding this one, from Keras 1/2 lists or Keras 3 dicts."""
    names: list[str] = []

    def visit(obj: Any, depth: int) -> None:
        if depth > 50:
            return
        if isinstance(obj, dict):
            history = obj.get("keras_history")
            if isinstance(history, list) and history and isinstance(history[0], str):
                names.append(history[0])
                return
            config = obj.get("config")
            if isinstance(config, dict) and "keras_history" in config:
                visit(config, depth + 1)
                return
            for value in obj.values():
                visit(value, depth + 1)
        elif isinstance(obj, list):
            # Keras 1/2 entry: [layer_name, node_index, tensor_index, (kwargs)]
            if len(obj) >= 3 and isinstance(obj[0], str) and isinstance(obj[1], int):
                names.append(obj[0])
                return
            for item in obj:
                visit(item, depth + 1)

    visit(inbound_nodes or [], 0)
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def io_layer_names(model: Layer, key: str) -> list[str]:
    """Names in `input_layers` / `output_layers` of a functional config."""
    entries = model.config.get(key) if isinstance(model.config, dict) else None
    if not isinstance(entries, list):
        return []
    if entries and isinstance(entries[0], str):  # Keras 3 single io: ["dense", 0, 0]
        return [entries[0]]
    return [e[0] for e in entries if isinstance(e, list) and e and isinstance(e[0], str)]


def sequential_inbound(model: Layer) -> None:
    """Sequential models record no connections: each layer is fed by the one before it."""
    if model.class_name != "Sequential":
        return
    previous: str | None = None
    for layer in model.layers:
        if not layer.inbound and previous is not None:
            layer.inbound = [previous]
        previous = layer.name
