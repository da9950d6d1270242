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

from ...model import Layer, TensorInfo

Shape = tuple[int | None, ...]
PASS_THROUGH = {"Dropout", "Activation", "ReLU", "LeakyReLU", "Softmax", "ELU",
                "GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D",
                "AlphaDropout", "ActivityRegularization", "Masking"}
CONV = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3, "Convolution1D": 1, "Convolution2D": 2}
DEPTHWISE = {"DepthwiseConv1D": 1, "DepthwiseConv2D": 2}
ZERO_PADDING = {"ZeroPadding1D": 1, "ZeroPadding2D": 2, "ZeroPadding3D": 3}
POOL = {"MaxPooling1D": 1, "MaxPooling2D": 2, "MaxPooling3D": 3, "AveragePooling1D": 1,
        "AveragePooling2D": 2, "AveragePooling3D": 3}
GLOBAL_POOL = {"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
               "GlobalAveragePooling2D"}
RNN_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


class Unknown(Exception):
    """A layer this module cannot size."""


Plan = list[tuple[list[TensorInfo], Shape]]  # per layer: (weights, output shape)


def infer(model: Layer) -> bool:
    """Architecture only (Sequential, or functional graphs of single-input layers and merges
    in config order): give each layer placeholder weights (shape, dtype, no values) and an
    output shape. False, changing nothing, when any layer is beyond these rules."""
    planned = _planned(model)
    if planned is None:
        return False
    for layer, (weights, out) in zip(model.layers, planned, strict=True):
        layer.weights = weights
        layer.output_shape = list(out)
    return True


def infer_output_shapes(model: Layer) -> bool:
    """Output shapes, as `model.summary()` prints them, for a model whose weights are stored
    (.h5, .keras, pairs): planned by the same rules, and kept only when every layer's planned
    weight shapes are the stored ones, so the file itself confirms the plan."""
    if not any(la.weights for la in model.layers) or any(la.output_shape for la in model.layers):
        return False  # nothing stored to confirm a plan, or shapes already there (infer)
    planned = _planned(model)
    if planned is None:
        return False
    for layer, (weights, _out) in zip(model.layers, planned, strict=True):
        if sorted(tuple(w.shape) for w in weights) != \
                sorted(tuple(w.shape) for w in layer.weights):
            return False
    for layer, (_weights, out) in zip(model.layers, planned, strict=True):
        layer.output_shape = list(out)
    return True


def _planned(model: Layer) -> Plan | None:
    """All layers or none: None when the model's kind or any layer is beyond these rules."""
    plan: Callable[[list[Layer]], Plan] | None = {
        "Sequential": _plan, "Model": _plan_graph, "Functional": _plan_graph,
    }.get(model.class_name)
    if plan is None or not model.layers:
        return None
    try:
        return plan(model.layers)
    except (Unknown, TypeError, ValueError, KeyError, IndexError):
        return None


def _plan_graph(layers: list[Layer]) -> Plan:
    shapes: dict[str, Shape] = {}
    out: Plan = []
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


def _plan(layers: list[Layer]) -> Plan:
    shape: Shape | None = None
    out: Plan = []
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
    if cls in DEPTHWISE:
        return _conv(layer, cfg, shape, DEPTHWISE[cls], bias, depthwise=True)
    if cls in ZERO_PADDING:
        return [], _zero_padded(cfg, shape, ZERO_PADDING[cls])
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


def _conv(layer: Layer, cfg: dict[str, Any], shape: Shape, rank: int, bias: bool,
          depthwise: bool = False) -> tuple[list[TensorInfo], Shape]:
    """Conv and DepthwiseConv: a depthwise kernel is (*size, channels, depth_multiplier) and
    gives channels * depth_multiplier outputs."""
    size = _tuple(cfg["kernel_size"], rank)
    last = _channels_last(cfg)
    channels = shape[-1] if last else shape[1]
    if depthwise:
        multiplier = int(cfg.get("depth_multiplier", 1))
        if channels is None:
            raise Unknown(f"{layer.name}: unknown channels")
        filters, kernel = channels * multiplier, (*size, channels, multiplier)
    else:
        filters = int(cfg["filters"])
        kernel = (*size, channels, filters)
    spatial = shape[1:-1] if last else shape[2:]
    strides = _tuple(cfg.get("strides", 1), rank)
    dilation = _tuple(cfg.get("dilation_rate", 1), rank)
    out = tuple(_length(n, k, s, cfg.get("padding", "valid"), d)
                for n, k, s, d in zip(spatial, size, strides, dilation, strict=True))
    ws = [_w(layer, "depthwise_kernel" if depthwise else "kernel", kernel)] + \
        ([_w(layer, "bias", (filters,))] if bias else [])
    return ws, (shape[0], *out, filters) if last else (shape[0], filters, *out)


def _zero_padded(cfg: dict[str, Any], shape: Shape, rank: int) -> Shape:
    """ZeroPadding: `padding` is n, (n per axis) or ((before, after) per axis)."""
    padding = cfg.get("padding", 1)
    if isinstance(padding, int):
        pads = [(padding, padding)] * rank
    elif rank == 1 and len(padding) == 2 and all(isinstance(p, int) for p in padding):
        pads = [(int(padding[0]), int(padding[1]))]
    else:
        pads = [(p, p) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in padding]
    if len(pads) != rank:
        raise Unknown(f"padding {padding}")
    last = _channels_last(cfg)
    spatial = shape[1:-1] if last else shape[2:]
    out = tuple(None if n is None else n + a + b for n, (a, b) in zip(spatial, pads, strict=True))
    return (shape[0], *out, shape[-1]) if last else (shape[0], shape[1], *out)


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
