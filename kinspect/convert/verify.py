"""Run source and result on the same inputs and measure the largest difference per output.

Inputs: shapes from the model (unknown dims: batch 2, others 8), fixed seed, so that every
run of a conversion verifies on the same numbers.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import yaml

from ..errors import ConvertError, InvalidRequest

SEED = 1234
BATCH = 2
FREE_DIM = 8
TOLERANCE = 1e-5  # float32 paths; scaled by the output's magnitude when it exceeds 1
TFLITE_TOLERANCE = 1e-4  # TFLite kernels (fused, reordered float math) differ a little more

Spec = tuple[str, tuple[int | None, ...] | None, str]  # (tensor name, shape, numpy dtype)


def graph_specs(graph_def: Any, inputs: list[str]) -> list[Spec]:
    """Shapes and dtypes of the Placeholders feeding INPUTS."""
    import tensorflow as tf

    by_name = {n.name: n for n in graph_def.node}
    specs = []
    for tensor in inputs:
        node = by_name[tensor.split(":")[0]]
        dtype = tf.as_dtype(node.attr["dtype"].type).as_numpy_dtype
        shape_proto = node.attr["shape"].shape if "shape" in node.attr else None
        if shape_proto is None or shape_proto.unknown_rank:
            shape = None
        else:
            shape = tuple(None if d.size < 0 else int(d.size) for d in shape_proto.dim)
        specs.append((tensor, shape, np.dtype(dtype).name))
    return specs


def keras_specs(model: Any) -> list[Spec]:
    """Input specs of a live Keras model (no freeze needed to verify a Keras file target)."""
    from .freeze import keras_input_specs

    return [(s.name, tuple(s.shape.as_list()), np.dtype(s.dtype.as_numpy_dtype).name)
            for s in keras_input_specs(model)]


def sample(specs: list[Spec]) -> list[np.ndarray]:
    """Deterministic inputs: standard normal floats, small non-negative ints, booleans."""
    rng = np.random.default_rng(SEED)
    out = []
    for _, shape, dtype in specs:
        if shape is None:
            dims: tuple[int, ...] = (BATCH,)
        else:
            dims = tuple((BATCH if i == 0 else FREE_DIM) if d is None else d
                         for i, d in enumerate(shape))
        kind = np.dtype(dtype).kind
        if kind == "f":
            out.append(rng.standard_normal(dims).astype(dtype))
        elif kind in "iu":
            out.append(rng.integers(0, 4, dims).astype(dtype))
        elif kind == "b":
            out.append(rng.integers(0, 2, dims).astype(bool))
        else:
            raise InvalidRequest(f"cannot make test inputs of type {dtype} for --verify (e.g. "
                                 "serialized tf.Example); convert without --verify")
    return out


def max_abs_diffs(names: list[str], expected: list[Any], got: list[Any]) -> dict[str, float]:
    if len(expected) != len(got):
        raise ConvertError(f"verification: the source has {len(expected)} outputs, the result "
                           f"{len(got)}")
    out = {}
    for name, a, b in zip(names, expected, got, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            if a.size == b.size:
                b = b.reshape(a.shape)
            else:
                raise ConvertError(f"verification: output {name} has shape {a.shape} in the "
                                   f"source and {b.shape} in the result")
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        out[name] = float(diff.max()) if diff.size else 0.0
    return out


def within(diffs: dict[str, float], expected: list[Any], tolerance: float) -> bool:
    for value, ref in zip(diffs.values(), expected, strict=True):
        scale = max(1.0, float(np.abs(np.asarray(ref, dtype=np.float64)).max(initial=0.0)))
        if not value <= tolerance * scale:
            return False
    return True


def divergence_note(job: Any, result_path: str, tolerance: float) -> str:
    """`; first diverging layer: …` for a failed verification (Options.divergence_finder,
    kinspect.compare's layer-by-layer comparison of source and result), or ''."""
    finder = getattr(job.options, "divergence_finder", None)
    if finder is None:
        return ""
    try:
        text = finder(job.src, result_path, job.options.arch, tolerance,
                      job.options.trust_code)
    except Exception as exc:  # noqa: BLE001 - explaining must never replace the failure itself
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        return f"; the layer-by-layer comparison that names the diverging layer failed ({why})"
    return f"; {text}" if text else ""


# Runners: each takes the input arrays in the order of the source's inputs.

def run_keras(model: Any, arrays: list[np.ndarray]) -> list[np.ndarray]:
    result = model(arrays[0] if len(arrays) == 1 else list(arrays), training=False)
    if isinstance(result, dict):
        result = [result[k] for k in result]
    if not isinstance(result, (list, tuple)):
        result = [result]
    return [np.asarray(r) for r in result]


def run_graph(graph_def: Any, inputs: list[str], outputs: list[str],
              arrays: list[np.ndarray]) -> list[np.ndarray]:
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return list(sess.run(outputs, feed_dict=dict(zip(inputs, arrays, strict=True))))


def run_signature(fn: Any, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Call a SavedModel signature with arrays in the order of its input names (sorted,
    as TensorFlow flattens them); outputs in sorted key order."""
    import tensorflow as tf

    _, kwargs = fn.structured_input_signature
    names = sorted(kwargs)
    result = fn(**{n: tf.constant(a) for n, a in zip(names, arrays, strict=True)})
    return [np.asarray(result[k]) for k in sorted(result)]


def run_tflite(path: str, arrays: list[np.ndarray],
               names: list[str] | None = None) -> list[np.ndarray]:
    """Run a .tflite with batch-resized inputs. With a signature, inputs are matched by NAMES
    (the source's input node names) and outputs come in sorted key order (output_0, ...),
    as a SavedModel signature gives them; otherwise in tensor order."""
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=path)
    signatures = interp.get_signature_list()
    if signatures and names:
        key = "serving_default" if "serving_default" in signatures else sorted(signatures)[0]
        runner = interp.get_signature_runner(key)
        keys = list(runner.get_input_details())
        if sorted(keys) == sorted(names):
            feed = dict(zip(names, arrays, strict=True))
        else:
            feed = dict(zip(keys, arrays, strict=True))
        result = runner(**feed)
        return [np.asarray(result[k]) for k in sorted(result)]
    details = interp.get_input_details()
    for d, a in zip(details, arrays, strict=True):
        interp.resize_tensor_input(d["index"], list(a.shape))
    interp.allocate_tensors()
    for d, a in zip(details, arrays, strict=True):
        interp.set_tensor(d["index"], a.astype(d["dtype"]))
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def run_onnx(path: str, arrays: list[np.ndarray]) -> list[np.ndarray]:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ConvertError("verifying ONNX needs onnxruntime (pip install onnxruntime)") from exc
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return list(sess.run(None, dict(zip(names, arrays, strict=True))))


# Architecture files, checked by the Keras they are for: Keras 3 reads what its own to_json()
# writes (`module` keys); Keras 2 JSON (no `module`) is for tf_keras, which cannot read Keras 3
# configs (`batch_shape`, dtype policy objects).

def is_keras3_config(config: Any, keras_version: str = "") -> bool:
    """A Keras 3 config: by the version that wrote it when recorded (a top-level keras_version
    key, the file's attribute), else by what only Keras 3 writes: `batch_shape` and dtype policy
    objects. (Not by `module` keys: tf_keras 2.13+ writes `"module": "keras.layers"` too.)"""
    version = keras_version or (config.get("keras_version", "") if isinstance(config, dict)
                                else "")
    if version:
        return str(version).startswith("3")
    text = json.dumps(config)
    return '"batch_shape"' in text or '"DTypePolicy"' in text


# What Keras 3's to_json() writes for model classes; a legacy `.h5` saved by Keras 3 stores its
# config without these keys (its layers, initializers and dtype policies are found by class name
# or carry their own), and model_from_json then says "Could not locate class 'Sequential'".
MODEL_MODULES = {"Sequential": ("keras", None),
                 "Functional": ("keras.src.models.functional", "Functional")}


def keras3_json(config: dict[str, Any], keras_version: str = "") -> dict[str, Any]:
    """A Keras 3 config with the model-level `module` keys Keras 3's own to_json() writes, so
    that keras.models.model_from_json reads it. Done on the data: nothing is deserialised (the
    file may hold a Lambda), and Keras 2 configs (for tf_keras) are returned unchanged."""
    if not is_keras3_config(config, keras_version):
        return config
    return _with_model_modules(json.loads(json.dumps(config)))


def _with_model_modules(obj: Any) -> Any:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            known = MODEL_MODULES.get(item.get("class_name"))  # type: ignore[arg-type]
            if known and "config" in item and "module" not in item:
                item["module"] = known[0]
                item.setdefault("registered_name", known[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return obj


def model_from_architecture(path: str, trust: bool) -> tuple[Any, str]:
    """The written JSON or YAML as its consumer builds it: (model, "keras" or "tf_keras").
    YAML has no loader left in either Keras (model_from_yaml was removed for safety): it is
    read with a safe YAML loader and handed to model_from_json, as users are told to."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    config = yaml.safe_load(text) if path.lower().endswith((".yaml", ".yml")) \
        else json.loads(text)
    if is_keras3_config(config):
        import keras
        from keras.src.saving.serialization_lib import SafeModeScope

        with SafeModeScope(not trust):
            return keras.models.model_from_json(json.dumps(config)), "keras"
    import tf_keras
    from tf_keras.src.saving.serialization_lib import SafeModeScope as Keras2Safe

    with Keras2Safe(not trust):
        return tf_keras.models.model_from_json(json.dumps(config)), "tf_keras"


def architecture(report: Any, path: str, source: Any, weights: str | None,
                 reference_config: dict[str, Any] | None, trust: bool) -> None:
    """Build the written architecture with its consumer, give it the source's weights (its
    own load_weights of the source file when there is one) and compare outputs with SOURCE
    (the live source model); an architecture-only source is built by the same consumer and
    both get the same weights. Fills REPORT (max_abs_diff, tolerance, warnings)."""
    model, lib = model_from_architecture(path, trust)
    if source is None:
        source = _model_from_config(reference_config or {}, lib, trust)
        how = "architecture only: the source built by the same Keras; same weights set in both"
        model.set_weights(source.get_weights())
    else:
        how = _load_source_weights(model, source, weights)
    specs = keras_specs(model)
    arrays = sample(specs)
    expected, got = run_keras(source, arrays), run_keras(model, arrays)
    names = [f"output_{i}" for i in range(len(expected))]
    diffs = max_abs_diffs(names, expected, got)
    report.max_abs_diff, report.tolerance = diffs, TOLERANCE
    report.warnings.append(f"verified with {lib}.models.model_from_json; {how}")
    if not within(diffs, expected, TOLERANCE):
        raise ConvertError(f"verification failed: {lib} builds a model whose outputs differ "
                           f"from the source's (max_abs_diff {diffs}); nothing written")


def _model_from_config(config: dict[str, Any], lib: str, trust: bool) -> Any:
    text = json.dumps(config)
    if lib == "keras":
        import keras
        from keras.src.saving.serialization_lib import SafeModeScope

        with SafeModeScope(not trust):
            return keras.models.model_from_json(json.dumps(keras3_json(config)))
    import tf_keras

    return tf_keras.models.model_from_json(text)


def _load_source_weights(model: Any, source: Any, weights: str | None) -> str:
    """The consumer's own load_weights of the source file; the live source model's weights
    when that file is no weights file it reads (e.g. a SavedModel)."""
    if weights:
        try:
            if weights.lower().endswith((".h5", ".hdf5")) and not \
                    weights.lower().endswith(".weights.h5"):
                model.load_weights(weights, by_name=False) if _is_tf_keras(model) \
                    else model.load_weights(weights)
            else:
                model.load_weights(weights)
            return f"weights loaded by its load_weights from {os.path.basename(weights)}"
        except Exception as exc:  # noqa: BLE001 - fall back to the live weights, and say so
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
            model.set_weights(source.get_weights())
            return f"load_weights of the source failed ({reason}); the source's weights set"
    model.set_weights(source.get_weights())
    return "the source model's weights set"


def _is_tf_keras(model: Any) -> bool:
    return type(model).__module__.startswith("tf_keras")


# TF Serving: a REST request body (row format) written as request.json, and checked by feeding
# it to the signature the way the model server does: each input's instances stacked into one
# batch of the signature's dtype, outputs by the signature's keys.

REQUEST_FILE = "request.json"


def serving_body(signature_name: str,
                 inputs: dict[str, tuple[list[int | None] | None, str]]) -> dict[str, Any]:
    """One example of the right shape (zeros; unknown dims 1) per input."""
    instance = {}
    for key, (shape, dtype) in inputs.items():
        dims = [1 if d is None or d < 0 else int(d) for d in (shape or [None, 1])[1:]]
        zero: Any = 0 if np.dtype(_numpy_dtype(dtype)).kind in "iub" else 0.0
        instance[key] = np.full(dims, zero).tolist() if dims else zero
    if len(instance) == 1:
        return {"signature_name": signature_name, "instances": [next(iter(instance.values()))]}
    return {"signature_name": signature_name, "instances": [instance]}


def _numpy_dtype(dtype: str) -> str:
    name = str(dtype).lower().removeprefix("dt_")
    return {"string": "object", "half": "float16", "bfloat16": "float32"}.get(name, name) \
        if name else "float32"


def serving_check(fn: Any, request_path: str, output_keys: list[str]) -> None:
    """Feed REQUEST_PATH to the loaded signature FN as TF Serving's predict API does; raises a
    ConvertError naming what TF Serving would reject."""
    import tensorflow as tf

    with open(request_path, encoding="utf-8") as f:
        body = json.load(f)
    _, specs = fn.structured_input_signature
    rows = body["instances"]
    if len(specs) == 1 and not isinstance(rows[0], dict):
        (key,) = specs
        rows = [{key: row} for row in rows]
    feed = {}
    for key, spec in specs.items():
        try:
            feed[key] = tf.constant(np.array([row[key] for row in rows]), dtype=spec.dtype)
        except (KeyError, ValueError, TypeError) as exc:
            raise ConvertError(f"verification: request.json does not fit input '{key}' "
                               f"{spec.shape} {spec.dtype.name}: {exc}") from exc
        if not spec.shape.is_compatible_with(feed[key].shape):
            raise ConvertError(f"verification: request.json gives input '{key}' the shape "
                               f"{feed[key].shape}, the signature wants {spec.shape}")
    result = fn(**feed)
    if sorted(result) != sorted(output_keys):
        raise ConvertError(f"verification: the signature answers {sorted(result)}, the report "
                           f"names {sorted(output_keys)}")


def saved_model_cli_text(signature_name: str, sig: Any) -> str:
    """The signature as `saved_model_cli show --dir D --tag_set serve --signature_def S`
    prints it: the keys a REST request uses, then the tensors behind them."""
    lines = [f"saved_model_cli show --tag_set serve --signature_def {signature_name}:",
             "The given SavedModel SignatureDef contains the following input(s):"]
    for title, specs in (("inputs", sig.inputs), ("outputs", sig.outputs)):
        if title == "outputs":
            lines.append("The given SavedModel SignatureDef contains the following output(s):")
        for key, spec in specs.items():
            shape = "unknown_rank" if spec.shape is None else \
                "(" + ", ".join(str(-1 if d is None else d) for d in spec.shape) + \
                ("," if len(spec.shape) == 1 else "") + ")"
            dtype = str(spec.dtype) if str(spec.dtype).startswith("DT_") else \
                TF_DTYPE_NAMES.get(str(spec.dtype), f"DT_{str(spec.dtype).upper()}")
            lines += [f"  {title}['{key}'] tensor_info:", f"      dtype: {dtype}",
                      f"      shape: {shape}", f"      name: {spec.name}"]
    return "\n".join(lines + ["Method name is: tensorflow/serving/predict"])


TF_DTYPE_NAMES = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "float16": "DT_HALF",
                  "str": "DT_STRING", "string": "DT_STRING", "object": "DT_STRING"}
