"""Quantized TFLite (`--quantize dynamic|float16|int8`) and what it costs: the size before and
after, and the quantized model compared with the float one on the same inputs, per output and
per intermediate tensor (the interpreter keeps them all with `experimental_preserve_all_tensors`),
so that the report names the layers that lose accuracy.

int8 needs a representative dataset: `--calibration SOURCE` loaded by `kinspect run`'s input
loaders (a folder of images, an .npz, ...; handed in as `Options.calibration_loader`, since
kinspect.run sits above kinspect.convert), else random inputs with a warning that the
calibration means nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import InvalidRequest
from . import verify
from .job import Job

MODES = ("dynamic", "float16", "int8")
CALIBRATION_SAMPLES = 100  # TFLite's guide: ~100-500 samples; random ones need no more
COMPARE_SAMPLES = 8
# Looser --verify bound per mode, relative to max(1, |output|) (measured on the test CNN's
# softmax: dynamic ~1e-3, float16 ~1e-4, int8 ~2e-2).
TOLERANCE = {"dynamic": 5e-2, "float16": 1e-2, "int8": 1.5e-1}


def calibration_reads(calibration: str | None) -> list[str]:
    """What a confined conversion must be allowed to read for --calibration (the file or
    folder; an `.npz:key` source names its file)."""
    if not calibration:
        return []
    for path in (calibration, calibration.rpartition(":")[0]):
        if path and os.path.exists(path):
            return [os.path.abspath(path)]
    return []


def mode(job: Job) -> str | None:
    value = job.options.quantize
    if value is not None and value not in MODES:
        raise InvalidRequest(f"--quantize for tflite is one of {', '.join(MODES)}, not '{value}'")
    return value


def configure(job: Job, converter: Any, specs: list[verify.Spec]) -> list[np.ndarray] | None:
    """Set the converter up for the requested quantization; returns the calibration samples
    (int8) for the comparison to reuse."""
    import tensorflow as tf

    chosen = mode(job)
    if chosen is None:
        return None
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if chosen == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif chosen == "int8":
        samples = calibration(job, specs)
        converter.representative_dataset = lambda: _batches(samples)
        return samples
    return None


def tolerance(job: Job, base: float) -> float:
    return base + TOLERANCE.get(job.options.quantize or "", 0.0)


def calibration(job: Job, specs: list[verify.Spec]) -> list[np.ndarray]:
    """The representative inputs, one array per model input, samples along axis 0."""
    source = job.options.calibration
    if source is None:
        job.report.warnings.append(
            f"int8 calibrated on {CALIBRATION_SAMPLES} random inputs: the activation ranges, "
            "and so the accuracy, mean nothing for real data; pass --calibration (a folder of "
            "images, an .npz)")
        rng = np.random.default_rng(verify.SEED)
        return [_random(rng, shape, dtype) for _name, shape, dtype in specs]
    loader = job.options.calibration_loader
    if loader is None:
        raise InvalidRequest("--calibration needs kinspect's input loaders (kinspect run's); "
                             "call convert through the CLI or the window")
    arrays = loader(specs, source, _model_name(job))
    job.report.warnings.append(f"int8 calibrated on {len(arrays[0])} samples from {source}")
    return arrays


def _model_name(job: Job) -> str | None:
    return str(job.keras.model.name) if job.has_keras_model else None


def _random(rng: Any, shape: Any, dtype: str) -> np.ndarray:
    dims = tuple(verify.FREE_DIM if d is None else d for d in (shape or (None,))[1:])
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal((CALIBRATION_SAMPLES, *dims)).astype(dtype)
    return rng.integers(0, 4, (CALIBRATION_SAMPLES, *dims)).astype(dtype)


def _batches(arrays: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
    for i in range(len(arrays[0])):
        yield [a[i:i + 1].astype(np.float32) if a.dtype.kind == "f" else a[i:i + 1]
               for a in arrays]


def report(job: Job, path: str, float_model: Callable[[], bytes],
           specs: list[verify.Spec], samples: list[np.ndarray] | None) -> None:
    """Size before and after, and the quantized model against the float one."""
    chosen = mode(job)
    if chosen is None:
        return
    float_bytes = float_model()
    inputs = _compare_inputs(specs, samples)
    ref = _run_all(float_bytes, inputs)
    got = _run_all(open(path, "rb").read(), inputs)
    outputs = {name: _errors(ref[name], got[name]) for name in ref["__outputs__"]
               if name in got}
    layers = [{"tensor": name, **_errors(ref[name], got[name])}
              for name in ref["__order__"] if name in got and name not in outputs
              and ref[name].shape == got[name].shape]
    layers.sort(key=lambda row: -row["max_abs"])
    if job.has_keras_model and not job.options.outputs:
        names = {la.name for la in job.keras.model.layers}
        for row in layers:
            row["layer"] = keras_layer(row["tensor"], names, job.keras.lib == "keras")
    job.report.quantization = {
        "mode": chosen, "size_before": len(float_bytes), "size_after": os.path.getsize(path),
        "calibration": job.options.calibration or ("random" if chosen == "int8" else None),
        "compared_on": f"{len(inputs[0])} inputs",
        "outputs": outputs, "layers": layers}


def keras_layer(tensor: str, names: set[str], keras3: bool) -> str | None:
    """The Keras layer a TFLite tensor comes from, by its name scope: `model/conv1_1/Relu`
    -> conv1. Keras 3 traces every layer under a uniquified scope (`dense` as `dense_1`,
    `dense_1` as `dense_1_2`), tf_keras under the layer's own name."""
    for part in tensor.split(";", 1)[0].split("/")[1:]:
        base = re.sub(r"_\d+$", "", part) if keras3 else part
        if base in names:
            return base
    return None


def _compare_inputs(specs: list[verify.Spec],
                    samples: list[np.ndarray] | None) -> list[np.ndarray]:
    """Real calibration samples when given, else other random ones than calibration's."""
    if samples is not None:
        return [a[:COMPARE_SAMPLES] for a in samples]
    rng = np.random.default_rng(verify.SEED + 1)
    return [_random(rng, shape, dtype)[:COMPARE_SAMPLES] for _name, shape, dtype in specs]


def _run_all(model: bytes, inputs: list[np.ndarray]) -> dict[str, Any]:
    """Every op output of MODEL on each input sample, stacked; dequantized when int8."""
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_content=model, experimental_preserve_all_tensors=True)
    details = interp.get_input_details()
    produced = _op_outputs(interp)
    names = {d["index"]: d["name"] for d in interp.get_tensor_details()}
    out_names = [d["name"] for d in interp.get_output_details()]
    runs: dict[str, list[np.ndarray]] = {}
    for i in range(len(inputs[0])):
        interp.allocate_tensors()
        for d, array in zip(details, inputs, strict=True):
            interp.set_tensor(d["index"], array[i:i + 1].astype(d["dtype"]))
        interp.invoke()
        for index in produced:
            try:
                value = _dequantized(interp, index)
            except ValueError:  # a tensor the interpreter freed or never filled
                continue
            runs.setdefault(names[index], []).append(value)
    result: dict[str, Any] = {k: np.stack(v) for k, v in runs.items()}
    result["__outputs__"] = out_names
    result["__order__"] = [names[i] for i in produced if names[i] in runs]
    return result


def _op_outputs(interp: Any) -> list[int]:
    try:
        ops = interp._get_ops_details()  # noqa: SLF001 - the only list of op outputs
    except AttributeError:
        return [d["index"] for d in interp.get_tensor_details()]
    seen: list[int] = []
    for op in ops:
        for index in op.get("outputs", []):
            if index >= 0 and index not in seen:
                seen.append(int(index))
    return seen


def _dequantized(interp: Any, index: int) -> np.ndarray:
    value = interp.get_tensor(index)
    detail = interp._get_tensor_details(index, 0)  # noqa: SLF001 - scale / zero point
    scale, zero = detail.get("quantization", (0.0, 0))
    if value.dtype.kind in "iu" and scale:
        return (value.astype(np.float32) - zero) * scale
    return value.astype(np.float32) if value.dtype.kind == "f" else value


def _errors(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    if a.shape != b.shape:
        return {"max_abs": float("nan"), "mean_abs": float("nan"), "relative": float("nan")}
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    scale = float(np.abs(a).max(initial=0.0)) or 1.0
    return {"max_abs": float(diff.max(initial=0.0)), "mean_abs": float(diff.mean()),
            "relative": float(diff.max(initial=0.0)) / scale}

