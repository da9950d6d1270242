"""TF.js writers: `tfjs-layers` (a Keras model) and `tfjs-graph` (any source that freezes),
float or quantized (`--quantize float16|uint8|uint16`), weights in shards of `--shard-size`.

Written here, not with the `tensorflowjs` pip package: 4.22.0 declares tensorflow-decision-
forests (which pins its own TensorFlow), jax, flax and `packaging~=23.1`, and its graph
converter imports tensorflow_decision_forests, tensorflow_hub and `tensorflow.python.keras`
(gone from TF 2.21) at module level (checked 2026-12 with `pip download --no-deps`). The format
is small and documented (tfjs-core io/types.ts; tfjs-converter's model.json), and every file
written here is checked by the real TF.js runtime (tfjs_runtime, tests/convert/test_tfjs.py).
"""

from __future__ import annotations

import copy
import json
import math
import os
from typing import Any

import numpy as np

from ..errors import InvalidRequest
from .job import Job

QUANTIZE = ("float16", "uint8", "uint16")
SHARD_SIZE = 4 * 1024 * 1024  # tensorflowjs_converter's default --weight_shard_size_bytes
CONVERTED_BY = "kinspect"
# Extra tolerance per quantization, relative to the outputs' magnitude (uint8: 1/255 of each
# weight's range, compounded over layers; measured on the test models: under 0.05).
QUANT_TOLERANCE = {"float16": 1e-2, "uint8": 1e-1, "uint16": 1e-3}
_NP = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


# --- weights and shards ------------------------------------------------------------------

def quantize(values: np.ndarray, dtype: str) -> tuple[np.ndarray, dict[str, Any]]:
    """Affine uint8/uint16 with the range nudged so that 0 is exact (as TFLite and
    tensorflowjs_converter do); float16 a plain cast. Returns stored values + manifest entry."""
    if dtype == "float16":
        return values.astype(np.float16), {"dtype": "float16", "original_dtype": "float32"}
    qmax = float(np.iinfo(_NP[dtype]).max)
    lo = min(float(values.min()), 0.0) if values.size else 0.0
    hi = max(float(values.max()), 0.0) if values.size else 0.0
    if hi == lo:
        return np.zeros(values.shape, _NP[dtype]), {"dtype": dtype, "min": lo, "scale": 1.0,
                                                    "original_dtype": "float32"}
    scale = (hi - lo) / qmax
    zero = round(-lo / scale)
    lo = -zero * scale
    q = np.round((values.astype(np.float64) - lo) / scale).clip(0, qmax).astype(_NP[dtype])
    return q, {"dtype": dtype, "min": lo, "scale": scale, "original_dtype": "float32"}


def _stored(name: str, values: np.ndarray, quant: str | None) -> tuple[bytes, dict[str, Any]]:
    values = np.asarray(values)
    if values.dtype == np.bool_:
        spec = {"name": name, "shape": list(values.shape), "dtype": "bool"}
        return values.astype(np.uint8).tobytes(), spec
    if values.dtype.kind in "iu":
        spec = {"name": name, "shape": list(values.shape), "dtype": "int32"}
        return values.astype("<i4").tobytes(), spec
    values = values.astype(np.float32)
    spec = {"name": name, "shape": list(values.shape), "dtype": "float32"}
    if quant:
        q, spec["quantization"] = quantize(values, quant)
        return q.astype(q.dtype.newbyteorder("<")).tobytes(), spec
    return values.astype("<f4").tobytes(), spec


def write_model(folder: str, model_json: dict[str, Any], weights: list[tuple[str, np.ndarray]],
                quant: str | None, shard_size: int) -> dict[str, Any]:
    """model.json + `group1-shardNofM.bin` in FOLDER; returns the manifest group written."""
    if shard_size < 1:
        raise InvalidRequest(f"--shard-size must be a positive number of bytes, not {shard_size}")
    os.makedirs(folder, exist_ok=True)
    blobs, specs = [], []
    for name, values in weights:
        blob, spec = _stored(name, values, quant)
        blobs.append(blob)
        specs.append(spec)
    data = b"".join(blobs)
    count = max(1, math.ceil(len(data) / shard_size))
    paths = [f"group1-shard{i + 1}of{count}.bin" for i in range(count)]
    for i, shard in enumerate(paths):
        with open(os.path.join(folder, shard), "wb") as f:
            f.write(data[i * shard_size:(i + 1) * shard_size])
    group = {"paths": paths, "weights": specs}
    model_json = {**model_json, "weightsManifest": [group]}
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
        json.dump(model_json, f)
    return group


def options(job: Job) -> tuple[str | None, int]:
    quant = job.options.quantize
    if quant is not None and quant not in QUANTIZE:
        raise InvalidRequest(f"--quantize for TF.js targets is one of {', '.join(QUANTIZE)}, "
                             f"not '{quant}'")
    size = job.options.shard_size or SHARD_SIZE
    return quant, size


# --- tfjs-layers -------------------------------------------------------------------------

def write_layers(job: Job, tmp: str) -> None:
    quant, shard_size = options(job)
    km = job.keras
    model = km.model
    config = json.loads(model.to_json())
    version = _keras_version(km.lib)
    topology = {"keras_version": version, "backend": "tensorflow",
                "model_config": legacy_config(config) if km.lib == "keras" else config}
    model_json = {"format": "layers-model", "generatedBy": f"keras v{version}",
                  "convertedBy": CONVERTED_BY, "modelTopology": topology}
    write_model(tmp, model_json, layer_weights(model, km.lib), quant, shard_size)
    job.report.inputs = [str(n) for n in _io_names(model)[0]]
    job.report.outputs = [str(n) for n in _io_names(model)[1]]
    _quant_note(job, quant)


def _io_names(model: Any) -> tuple[list[str], list[str]]:
    from .targets import keras_io_names

    return keras_io_names(model)


def _keras_version(lib: str) -> str:
    module = __import__(lib)
    return str(getattr(module, "__version__", "2"))


def layer_weights(model: Any, lib: str) -> list[tuple[str, np.ndarray]]:
    """(name, values) for every weight, named `layer/.../variable` as TF.js's loader looks
    them up (it also accepts the cell level dropped: `lstm/lstm_cell/kernel` -> lstm/kernel).
    A nested model's weights are named by its own layers (`in_d/kernel`), as Keras 2 stored
    them. Keras 3's `variable.path` depends on how the model was built (`dense/kernel` after
    a load, `sequential/dense/kernel` in a process that loaded it before), so names are cut
    at the owning layer's name."""
    out: list[tuple[str, np.ndarray]] = []
    seen: set[str] = set()

    def add(layer: Any) -> None:
        if getattr(layer, "layers", None):  # a nested model
            for inner in layer.layers:
                add(inner)
            return
        for weight in layer.weights:
            path = str(getattr(weight, "path", None) or weight.name) if lib == "keras" \
                else str(weight.name)
            name = _relative(path.split(":")[0], layer.name)
            if name not in seen:
                seen.add(name)
                out.append((name, np.asarray(weight.numpy())))

    for layer in model.layers:
        add(layer)
    return out


def _relative(path: str, layer: str) -> str:
    """`sequential/dense/kernel` -> dense/kernel; a path without the layer's name (a
    wrapper's `forward_lstm/lstm_cell/kernel`, a uniquified `dense_3/kernel`) goes under it:
    TF.js then also tries the name without its next-to-last part."""
    parts = path.split("/")
    if layer in parts[:-1]:
        return "/".join(parts[parts.index(layer):])
    return f"{layer}/{path}"


def legacy_config(config: Any) -> Any:
    """A Keras 3 model config in the Keras 2 form TF.js 4 reads: objects as {class_name,
    config} (no module / registered_name), dtype policies as dtype names, `batch_shape` as
    `batch_input_shape`, Keras 3 inbound nodes ({args, kwargs} of `__keras_tensor__`) as Keras
    2 lists `[[layer, node, tensor, {}], ...]`. (TECH-NOTES: tfjs 4.22 cannot load a Keras 3
    export as it is.)"""
    config = copy.deepcopy(config)
    out = _legacy(config)
    _shift_nested_nodes(out)
    return out


MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _shift_nested_nodes(model: Any) -> None:
    """Keras 2 (and TF.js) give a nested model a node of its own when it is built on its own
    Input, so the outer model's call is its node 1; Keras 3 counts that call as node 0."""
    config = model.get("config") if isinstance(model, dict) else None
    layers = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list):
        return
    nested = set()
    for layer in layers:
        if isinstance(layer, dict) and layer.get("class_name") in MODEL_CLASSES:
            _shift_nested_nodes(layer)
            inner = layer.get("config", {}).get("layers") or [{}]
            if layer["class_name"] != "Sequential" or inner[0].get("class_name") == "InputLayer":
                nested.add(layer.get("name") or layer.get("config", {}).get("name"))
    if not nested or model.get("class_name") == "Sequential":
        return
    refs = [ref for layer in layers if isinstance(layer, dict)
            for node in layer.get("inbound_nodes") or [] for ref in node]
    refs += list(config.get("output_layers") or [])
    for ref in refs:
        if isinstance(ref, list) and len(ref) >= 3 and ref[0] in nested and ref[1] == 0:
            ref[1] = 1


def _legacy(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_legacy(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if obj.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and "config" in obj:
        return obj["config"].get("name", "float32")
    if obj.get("class_name") == "Bidirectional" and isinstance(obj.get("config"), dict):
        _bidirectional(obj["config"])
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in ("module", "registered_name", "build_config", "compile_config"):
            continue
        if key == "batch_shape":
            key = "batch_input_shape"
        if key == "inbound_nodes" and isinstance(value, list):
            value = [_legacy_node(n) for n in value]
        elif key in ("input_layers", "output_layers") and isinstance(value, list) \
                and value and isinstance(value[0], str):
            value = [value]
        else:
            value = _legacy(value)
        out[key] = value
    return out


def _bidirectional(config: dict[str, Any]) -> None:
    """Keras 3 stores the wrapped layer already named `forward_lstm` and its mirrored
    `backward_layer`; Keras 2 (and TF.js, which adds the prefixes itself) the plain `lstm`."""
    inner = config.get("layer")
    name = inner.get("config", {}).get("name", "") if isinstance(inner, dict) else ""
    if name.startswith("forward_"):
        inner["config"]["name"] = name[len("forward_"):]
    backward = config.get("backward_layer")
    if isinstance(backward, dict) and backward.get("config", {}).get("name") == \
            "backward_" + name[len("forward_"):]:
        del config["backward_layer"]


def _legacy_node(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    tensors: list[list[Any]] = []

    def visit(obj: Any) -> None:
        if isinstance(obj, dict):
            if obj.get("class_name") == "__keras_tensor__":
                history = obj.get("config", {}).get("keras_history", [])
                tensors.append([history[0], history[1], history[2], {}])
                return
            for value in obj.values():
                visit(value)
        elif isinstance(obj, list):
            for value in obj:
                visit(value)

    visit(node.get("args", []))
    return tensors


# --- tfjs-graph --------------------------------------------------------------------------

_CLEARED = ("tensor_content", "float_val", "double_val", "int_val", "string_val",
            "scomplex_val", "int64_val", "bool_val", "half_val", "uint32_val", "uint64_val")


def write_graph(job: Job, tmp: str) -> None:
    """The frozen graph with every Const's values moved to the shards (their dtype and shape
    stay in the topology, as tensorflowjs_converter leaves them)."""
    import tensorflow as tf
    from google.protobuf.json_format import MessageToDict

    quant, shard_size = options(job)
    frozen = job.frozen
    graph = copy.deepcopy(frozen.graph_def)
    weights: list[tuple[str, np.ndarray]] = []
    for node in graph.node:
        if node.op != "Const" or "value" not in node.attr:
            continue
        values = tf.make_ndarray(node.attr["value"].tensor)
        if values.dtype.kind not in "fiub" or values.dtype.kind == "u" and values.itemsize > 4:
            continue  # strings, complex: left inline in the topology
        weights.append((node.name, values))
        for field in _CLEARED:
            node.attr["value"].tensor.ClearField(field)
    model_json = {"format": "graph-model", "generatedBy": tf.__version__,
                  "convertedBy": CONVERTED_BY, "signature": _signature(graph, frozen),
                  "modelTopology": MessageToDict(graph)}
    write_model(tmp, model_json, weights, quant, shard_size)
    job.report.inputs, job.report.outputs = list(frozen.inputs), list(frozen.outputs)
    _quant_note(job, quant)


def _signature(graph: Any, frozen: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    from ..formats.tf import protos as tf_protos

    by_name = {n.name: n for n in graph.node}
    sig = tf_protos.SignatureDef()
    for tensor in frozen.inputs:
        node = by_name.get(tensor.split(":")[0])
        info = sig.inputs[tensor.split(":")[0]]
        info.name = tensor
        if node is not None and "dtype" in node.attr:
            info.dtype = node.attr["dtype"].type
        if node is not None and "shape" in node.attr:
            info.tensor_shape.CopyFrom(node.attr["shape"].shape)
    for tensor in frozen.outputs:
        sig.outputs[tensor.split(":")[0]].name = tensor
    return MessageToDict(sig)


def _quant_note(job: Job, quant: str | None) -> None:
    if quant:
        job.report.warnings.append(f"weights quantized to {quant}: outputs differ from the "
                                   "source by the quantization error (see --verify)")


# --- verification with the TF.js runtime -------------------------------------------------

def run(job: Job, folder: str, arrays: list[Any]) -> list[Any]:
    """Outputs of the written model under Node's TF.js, inputs in the source's order."""
    from . import tfjs_runtime

    model_json = os.path.join(folder, "model.json")
    info = tfjs_runtime.describe(model_json)
    names = [i["name"] for i in info["inputs"]]
    if len(names) != len(arrays):
        raise InvalidRequest(f"the TF.js model has {len(names)} inputs, the source "
                             f"{len(arrays)}")
    feeds = dict(zip(_source_order(job, names), arrays, strict=True))
    outputs = tfjs_runtime.run(model_json, feeds)
    order = [i["name"] for i in info["outputs"]]
    return [outputs[n] for n in order if n in outputs] or list(outputs.values())


def _source_order(job: Job, names: list[str]) -> list[str]:
    """The TF.js input names in the order the source's inputs come (layer names for Keras)."""
    if job.target == "tfjs-layers":
        wanted = _io_names(job.keras.model)[0]
    else:
        wanted = [i.split(":")[0] for i in job.frozen.inputs]
    return wanted if sorted(wanted) == sorted(names) else names


def tolerance(job: Job, base: float) -> float:
    return base + QUANT_TOLERANCE.get(job.options.quantize or "", 0.0)
