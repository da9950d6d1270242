"""Weight shapes of an architecture-only model (Sequential, or functional made of single-input
layers and merges), inferred from its config, so that a `model.json` / `model.yaml` shows the
parameter counts `model.summary()` would print.

Only layers whose shape rules are known here are handled; one unknown layer (a nested model, a
wrapper, a shared layer) makes the whole inference give up, because a wrong count is worse
than none. Written
here rather than borrowed: Keras itself is what we must not import while opening a file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..model import Layer, TensorInfo

Shape = tuple[int | None, ...]
PASS_THROUGH = {"Dropout", "Activation", "ReLU", "LeakyReLU", "Softmax", "ELU",
                "GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D",
                "AlphaDropout", "ActivityRegularization", "Masking"}
CONV = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3, "Convolution1D": 1, "Convolution2D": 2}
POOL = {"MaxPooling1D": 1, "MaxPooling2D": 2, "MaxPooling3D": 3, "AveragePooling1D": 1,
        "AveragePooling2D": 2, "AveragePooling3D": 3}
GLOBAL_POOL = {"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
               "GlobalAveragePooling2D"}
RNN_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


class Unknown(Exception):
    """A layer this module cannot size."""


def infer_sequential(model: Layer) -> bool:
    """Give each layer placeholder weights (shape, dtype, no values) and an output shape.
    Returns False, changing nothing, when any layer is beyond these rules."""
    if model.class_name != "Sequential" or not model.layers:
        return False
    return _apply(model, _plan)


def infer(model: Layer) -> bool:
    """Sequential or functional; False (nothing changed) when beyond these rules."""
    return infer_sequential(model) or infer_functional(model)


def infer_functional(model: Layer) -> bool:
    """Functional graphs of single-input layers and merges, in config (topological) order."""
    if model.class_name not in ("Model", "Functional") or not model.layers:
        return False
    return _apply(model, _plan_graph)


def infer_output_shapes(model: Layer) -> bool:
    """Output shapes, as `model.summary()` prints them, for a model whose weights are stored
    (.h5, .keras, pairs): planned by the same rules, and kept only when every layer's planned
    weight shapes are the stored ones, so the file itself confirms the plan."""
    plan = {"Sequential": _plan, "Model": _plan_graph, "Functional": _plan_graph}.get(
        model.class_name)
    if plan is None or not model.layers or any(la.output_shape for la in model.layers):
        return False
    try:
        planned = plan(model.layers)
    except (Unknown, TypeError, ValueError, KeyError, IndexError):
        return False
    for layer, (weights, _out) in zip(model.layers, planned, strict=True):
        if sorted(tuple(w.shape) for w in weights) != \
                sorted(tuple(w.shape) for w in layer.weights):
            return False
    for layer, (_weights, out) in zip(model.layers, planned, strict=True):
        layer.output_shape = list(out)
    return True


def _apply(model: Layer, plan: Callable[[list[Layer]], list]) -> bool:
    """All layers or none: a plan that meets a layer beyond the rules changes nothing."""
    try:
        planned = plan(model.layers)
    except (Unknown, TypeError, ValueError, KeyError, IndexError):
        return False
    for layer, (weights, out) in zip(model.layers, planned, strict=True):
        layer.weights = weights
        layer.output_shape = list(out)
    return True


def _plan_graph(layers: list[Layer]) -> list[tuple[list[TensorInfo], Shape]]:
    shapes: dict[str, Shape] = {}
    out: list[tuple[list[TensorInfo], Shape]] = []
    for layer in layers:
        cfg = layer.config if isinstance(layer.config, dict) else {}
        if layer.class_name == "InputLayer":
            declared = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            if declared is None:
                raise Unknown(f"{layer.name}: no input shape")
            weights, shape = [], tuple(declared)
        else:
            inputs = [shapes[name] for name in layer.inbound]  # KeyError: unknown input
            if layer.class_name in MERGE:
                weights, shape = [], _merge(layer.class_name, cfg, inputs)
            elif len(inputs) == 1:  # a shared layer (several calls) is beyond these rules
                weights, shape = _layer(layer, cfg, inputs[0])
            else:
                raise Unknown(f"{layer.name}: {len(inputs)} inputs")
        for w in weights:
            w.trainable = layer.trainable and w.trainable
        shapes[layer.name] = shape
        out.append((weights, shape))
    return out


MERGE = {"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}


def _merge(cls: str, cfg: dict[str, Any], inputs: list[Shape]) -> Shape:
    if len(inputs) < 2:
        raise Unknown(f"{cls} with {len(inputs)} input")
    if cls != "Concatenate":
        return inputs[0]
    axis = int(cfg.get("axis", -1))
    sizes = [s[axis] for s in inputs]
    joined = None if any(d is None for d in sizes) else sum(sizes)  # type: ignore[arg-type]
    shape = list(inputs[0])
    shape[axis] = joined
    return tuple(shape)


def _plan(layers: list[Layer]) -> list[tuple[list[TensorInfo], Shape]]:
    shape: Shape | None = None
    out: list[tuple[list[TensorInfo], Shape]] = []
    for layer in layers:
        cfg = layer.config if isinstance(layer.config, dict) else {}
        declared = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if declared is not None:
            shape = tuple(declared)
        if shape is None:
            raise Unknown(f"{layer.name}: no input shape")
        weights, shape = _layer(layer, cfg, shape)
        for w in weights:
            w.trainable = layer.trainable and w.trainable
        out.append((weights, shape))
    return out


def _w(layer: Layer, name: str, shape: Shape, trainable: bool = True) -> TensorInfo:
    if any(d is None or d < 0 for d in shape):
        raise Unknown(f"{layer.name}/{name}: unknown dimension")
    return TensorInfo(name=f"{layer.name}/{name}", shape=shape, dtype="float32",
                      trainable=trainable)


def _reshaped(layer: Layer, given: Shape, target: list[Any]) -> Shape:
    """Reshape's target with its one -1 worked out from the input size, as Keras does."""
    dims = [int(d) for d in target]
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise Unknown(f"{layer.name}: target_shape {dims}")
    if -1 not in dims:
        return tuple(dims)
    known = math.prod(d for d in dims if d != -1)
    if any(d is None for d in given) or known == 0 or math.prod(given) % known:  # type: ignore
        raise Unknown(f"{layer.name}: cannot work out -1 in target_shape {dims}")
    return tuple(math.prod(given) // known if d == -1 else d for d in dims)  # type: ignore


def _channels_last(cfg: dict[str, Any]) -> bool:
    return cfg.get("data_format", "channels_last") != "channels_first"


def _layer(layer: Layer, cfg: dict[str, Any], shape: Shape) -> tuple[list[TensorInfo], Shape]:
    cls = layer.class_name
    bias = bool(cfg.get("use_bias", True))
    if cls == "InputLayer" or cls in PASS_THROUGH:
        return [], shape
    if cls == "Dense":
        units = int(cfg["units"])
        ws = [_w(layer, "kernel", (shape[-1], units))] + ([_w(layer, "bias", (units,))]
                                                           if bias else [])
        return ws, (*shape[:-1], units)
    if cls == "Flatten":
        rest = shape[1:]
        return [], (shape[0], math.prod(rest) if all(d is not None for d in rest) else None)
    if cls == "Reshape":
        return [], (shape[0], *_reshaped(layer, shape[1:], cfg["target_shape"]))
    if cls in CONV:
        return _conv(layer, cfg, shape, CONV[cls], bias)
    if cls in POOL:
        return [], _pool(cfg, shape, POOL[cls])
    if cls in GLOBAL_POOL:
        return [], (shape[0], shape[-1] if _channels_last(cfg) else shape[1])
    if cls == "BatchNormalization":
        axis = cfg.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        channels = shape[int(axis)]
        ws = ([_w(layer, "gamma", (channels,))] if cfg.get("scale", True) else []) + \
            ([_w(layer, "beta", (channels,))] if cfg.get("center", True) else []) + \
            [_w(layer, "moving_mean", (channels,), False),
             _w(layer, "moving_variance", (channels,), False)]
        return ws, shape
    if cls == "Embedding":
        dim = int(cfg["output_dim"])
        return [_w(layer, "embeddings", (int(cfg["input_dim"]), dim))], (*shape, dim)
    if cls in RNN_GATES:
        return _rnn(layer, cfg, shape, RNN_GATES[cls], bias)
    raise Unknown(cls)


def _conv(layer: Layer, cfg: dict[str, Any], shape: Shape, rank: int, bias: bool
          ) -> tuple[list[TensorInfo], Shape]:
    filters = int(cfg["filters"])
    size = _tuple(cfg["kernel_size"], rank)
    last = _channels_last(cfg)
    channels = shape[-1] if last else shape[1]
    spatial = shape[1:-1] if last else shape[2:]
    strides = _tuple(cfg.get("strides", 1), rank)
    dilation = _tuple(cfg.get("dilation_rate", 1), rank)
    out = tuple(_length(n, k, s, cfg.get("padding", "valid"), d)
                for n, k, s, d in zip(spatial, size, strides, dilation, strict=True))
    ws = [_w(layer, "kernel", (*size, channels, filters))] + \
        ([_w(layer, "bias", (filters,))] if bias else [])
    return ws, (shape[0], *out, filters) if last else (shape[0], filters, *out)


def _pool(cfg: dict[str, Any], shape: Shape, rank: int) -> Shape:
    size = _tuple(cfg.get("pool_size", 2), rank)
    strides = _tuple(cfg.get("strides") or size, rank)
    last = _channels_last(cfg)
    spatial = shape[1:-1] if last else shape[2:]
    out = tuple(_length(n, k, s, cfg.get("padding", "valid"), 1)
                for n, k, s in zip(spatial, size, strides, strict=True))
    return (shape[0], *out, shape[-1]) if last else (shape[0], shape[1], *out)


def _rnn(layer: Layer, cfg: dict[str, Any], shape: Shape, gates: int, bias: bool
         ) -> tuple[list[TensorInfo], Shape]:
    units = int(cfg["units"])
    ws = [_w(layer, "kernel", (shape[-1], gates * units)),
          _w(layer, "recurrent_kernel", (units, gates * units))]
    if bias:
        reset_after = layer.class_name == "GRU" and cfg.get("reset_after", False)
        ws.append(_w(layer, "bias", (2, gates * units) if reset_after else (gates * units,)))
    if cfg.get("return_sequences"):
        return ws, (shape[0], shape[1], units)
    return ws, (shape[0], units)


def _tuple(value: Any, rank: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * rank
    values = tuple(int(v) for v in value)
    if len(values) != rank:
        raise Unknown(f"expected {rank} values, got {values}")
    return values


def _length(n: int | None, k: int, s: int, padding: str, d: int) -> int | None:
    """Keras conv_utils.conv_output_length."""
    if n is None:
        return None
    span = (k - 1) * d + 1
    if padding == "same":
        return (n + s - 1) // s
    if padding == "valid":
        return (n - span + s) // s
    raise Unknown(f"padding {padding}")
