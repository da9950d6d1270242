"""Assemble a Keras document: layers from the config, stored weights attached, parameters
counted as `model.summary()` counts them, and the tree the window shows. Shared by every Keras
reader so that a `.h5`, a `.keras` and a weights + architecture pair look the same.
"""

from __future__ import annotations

from typing import Any

from ...model import Document, Kind, Layer, Node, Role, Summary, TensorInfo
from . import config as keras_config
from . import shapes as keras_shapes
from . import vars3 as keras3_vars

# Weights Keras creates with trainable=False, by variable base name.
NON_TRAINABLE_VARIABLES = {"moving_mean", "moving_variance"}
# Layers whose every weight is non-trainable state (adapt() statistics, counters).
NON_TRAINABLE_CLASSES = {"Normalization", "TextVectorization", "StringLookup",
                         "IntegerLookup", "Discretization"}


def base_name(weight_name: str) -> str:
    """`batch_normalization/moving_mean:0` -> `moving_mean`; Keras 1's flat
    `batchnormalization_1_running_mean` -> `moving_mean` too (its statistics were
    `running_mean` / `running_std`, not trained either)."""
    base = weight_name.rsplit("/", 1)[-1].split(":", 1)[0]
    for old, new in (("_running_mean", "moving_mean"), ("_running_std", "moving_variance")):
        if base.endswith(old) and base.startswith("batchnormalization"):
            return new
    return base


def attach_weights(model: Layer, stored: dict[str, list[TensorInfo]]) -> list[str]:
    """Give each top-level layer its stored weights; nested models hand them on to the inner
    layer their name points to. Returns stored layer names that match no configured layer."""
    by_name = {layer.name: layer for layer in model.layers}
    unmatched = []
    for layer_name, weights in stored.items():
        layer = by_name.get(layer_name)
        if layer is None:
            unmatched.append(layer_name)
            continue
        _place(layer, weights)
    _mark_trainable(model, parent_trainable=True)
    return unmatched


def _place(layer: Layer, weights: list[TensorInfo]) -> None:
    if not layer.layers:
        layer.weights = list(weights)
        return
    own: list[TensorInfo] = []
    children = {child.name: child for child in layer.walk() if child is not layer}
    for weight in weights:
        parts = weight.name.split("/")
        owner = next((children[p] for p in reversed(parts[:-1]) if p in children), None)
        if owner is not None and not owner.layers:
            owner.weights.append(weight)
        else:
            own.append(weight)
    layer.weights = own


def _mark_trainable(layer: Layer, parent_trainable: bool) -> None:
    trainable = parent_trainable and layer.trainable
    all_state = layer.class_name in NON_TRAINABLE_CLASSES
    for weight in layer.weights:
        weight.trainable = trainable and not all_state and \
            base_name(weight.name) not in NON_TRAINABLE_VARIABLES
    for child in layer.layers:
        _mark_trainable(child, trainable)


def summarize(model: Layer) -> Summary:
    total = trainable = 0
    for layer in model.walk():
        for weight in layer.weights:
            size = weight.size or 0
            total += size
            if weight.trainable:
                trainable += size
    return Summary(total=total, trainable=trainable, non_trainable=total - trainable)


# ---------------------------------------------------------------- tree


def layer_node(layer: Layer) -> Node:
    attrs: dict[str, Any] = {"name": layer.name, "class_name": layer.class_name,
                             "trainable": layer.trainable}
    if layer.inbound:
        attrs["inbound"] = ", ".join(layer.inbound)
    if layer.module:
        attrs["module"] = layer.module
    attrs["config"] = layer.config
    # The Shape column shows a layer's output shape, as the Summary does.
    node = Node(Kind.LAYER, layer.name, layer.class_name, attrs=attrs, params=layer.params,
                ref=layer, shape_text=layer.shape_text)
    for child in layer.layers:
        node.add(layer_node(child))
    for weight in layer.weights:
        node.add(weight_node(weight, keras3_vars.variable_label(layer, weight)))
    return node


def weight_node(weight: TensorInfo, label: str | None = None) -> Node:
    """A weight row; `label` names a Keras 3 numbered variable (`vars/0` -> kernel)."""
    attrs: dict[str, Any] = {"name": weight.name, "trainable": weight.trainable}
    if label:
        attrs["variable"] = label
    return Node(Kind.WEIGHT, weight.name, f"weight · {label}" if label else "weight",
                tensor=weight, params=weight.size, attrs=attrs)


def config_node(title: str, value: Any) -> Node:
    """A config mapping as a browsable branch: nested dicts and lists become rows."""
    # Rows are built when expanded: a big model's config has ~16,000 of them (0.22 s eagerly).
    if isinstance(value, dict) and value:
        return Node(Kind.CONFIG, title, "config", attrs={"value": value},
                    children_factory=lambda: [_value_node(str(k), v) for k, v in value.items()])
    if isinstance(value, list) and value:
        return Node(Kind.CONFIG, title, "config", attrs={"value": value},
                    children_factory=lambda: [_value_node(f"[{i}]", v)
                                              for i, v in enumerate(value)])
    return Node(Kind.CONFIG, title, "config", attrs={"value": value})


def _value_node(key: str, value: Any) -> Node:
    if isinstance(value, (dict, list)) and value:
        return config_node(key, value)
    return Node(Kind.ATTRIBUTE, key, type(value).__name__, attrs={"value": value})


def weights_group(title: str, weights: list[TensorInfo]) -> Node:
    return Node(Kind.GROUP, title, f"{len(weights)} tensors", role=Role.WEIGHTS,
                params=sum(w.size or 0 for w in weights),
                children=[weight_node(w) for w in weights])


def build_document(path: str, format_id: str, model: Layer, *,
                   producer: dict[str, Any], training_config: Any = None,
                   optimizer_weights: list[TensorInfo] | None = None,
                   root_attrs: dict[str, Any] | None = None,
                   warnings: list[str] | None = None) -> Document:
    keras_config.sequential_inbound(model)
    keras_shapes.infer_output_shapes(model)
    summary = summarize(model)
    root = Node(Kind.MODEL, model.name, model.class_name, params=summary.total, ref=model,
                attrs={"name": model.name, "class_name": model.class_name,
                       **{k: v for k, v in producer.items()},
                       "total params": summary.total, "trainable params": summary.trainable,
                       "non-trainable params": summary.non_trainable})
    layers = Node(Kind.GROUP, "Layers", f"{len(model.layers)} layers", params=summary.total,
                  role=Role.LAYERS, children=[layer_node(la) for la in model.layers])
    root.add(layers)
    if model.weights:  # the model's own variables (top_level_model_weights, Keras 3 `vars`)
        root.add(weights_group("Model weights", model.weights))
    if training_config is not None:
        root.add(config_node("Training config", training_config))
    if optimizer_weights:
        root.add(weights_group("Optimizer state", optimizer_weights))
    if model.config:  # weights-only files have none
        root.add(config_node("Model config", {"class_name": model.class_name,
                                              "config": model.config}))
    if root_attrs:
        attrs = Node(Kind.GROUP, "Attributes", "attributes")
        for key, value in root_attrs.items():
            attrs.add(Node(Kind.ATTRIBUTE, key, "attribute", attrs={"value": value}))
        root.add(attrs)
    return Document(path=path, format=format_id, root=root, producer=producer,
                    summary=summary, layers=list(model.layers),
                    warnings=list(warnings or []) + code_warnings(model),
                    extra={"model": {
                        "name": model.name, "class_name": model.class_name,
                        "inputs": keras_config.io_layer_names(model, "input_layers"),
                        "outputs": keras_config.io_layer_names(model, "output_layers")}})


def code_warnings(model: Layer) -> list[str]:
    """Lambda layers hold Python bytecode: loading them runs it (Keras 3 refuses by default;
    tf_keras failed here on bytecode written by another Python version)."""
    out = []
    for layer in model.walk():
        if layer.class_name == "Lambda" and isinstance(layer.config, dict):
            out.append(f"layer '{layer.name}' is a Lambda holding Python "
                       f"{layer.config.get('function_type', 'code')}: Keras 3 refuses to load "
                       "it unless safe_mode=False, which runs that code")
    return out
