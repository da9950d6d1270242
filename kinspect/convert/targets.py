"""Writers, one per target id: each writes the result at a temporary path and can run it
back for verification. Called by the registry (registry.convert), never directly by a UI."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from typing import Any

import yaml

from ..errors import ConvertError, InvalidRequest
from . import freeze, verify
from .job import Job
from .keras_load import ARCH_FORMATS, read_config, read_config_and_version
from .output_names import name_outputs

# --- Keras targets ---------------------------------------------------------------------

def keras_io_names(model: Any) -> tuple[list[str], list[str]]:
    """Inputs and outputs named by the layer producing them, as Keras files name them (Keras
    3 has no output_names; a KerasTensor's own name, keras_tensor_5, changes on every load)."""
    def name(tensor: Any) -> str:
        history = getattr(tensor, "_keras_history", None)
        if not history:
            return str(tensor.name).split(":")[0]
        layer, _, index = history[0], history[1], history[2]
        return layer.name if not index else f"{layer.name}_{index}"

    return [name(t) for t in model.inputs], [name(t) for t in model.outputs]


def _keras_names(job: Job, model: Any) -> None:
    job.report.inputs, job.report.outputs = keras_io_names(model)


def write_keras_h5(job: Job, tmp: str) -> None:
    km = job.keras
    _keras_names(job, km.model)
    if km.lib == "tf_keras":
        km.model.save(tmp, save_format="h5", include_optimizer=False)
    else:
        km.model.save(tmp, include_optimizer=False)


def run_keras_file(job: Job, path: str, arrays: list[Any]) -> list[Any]:
    if job.target == "keras" or job.keras.lib == "keras":
        import keras

        model = keras.models.load_model(path, compile=False, safe_mode=not job.options.trust_code)
    else:
        import tf_keras
        from tf_keras.src.saving.serialization_lib import SafeModeScope

        with SafeModeScope(not job.options.trust_code):
            model = tf_keras.models.load_model(path, compile=False)
    return verify.run_keras(model, arrays)


def write_keras(job: Job, tmp: str) -> None:
    model = job.keras3_model
    _keras_names(job, model)
    model.save(tmp)


def keras3_layout(dst: str) -> bool:
    """`*.weights.h5` is Keras 3's save_weights layout (layers/, vars/), what Keras 3's
    load_weights reads; any other name (`.h5`, `.hdf5`) gets Keras 2's (layer_names)."""
    return dst.lower().endswith(".weights.h5")


def weights_copied(src_format: str, dst: str) -> bool:
    """Whether write_weights copies the source's weights as stored (no model is loaded): a
    `.keras` holds the Keras 3 layout, a full-model `.h5` the Keras 2 one."""
    return src_format == ("keras" if keras3_layout(dst) else "keras-h5")


def loads_model(src_format: str, target: str, dst: str, verify: bool) -> bool:
    """Whether converting to TARGET deserialises the model (and so may run code the file
    holds); the Save As dialog asks for trust exactly then. Architecture targets copy the
    config; weights are copied when the layouts agree (see weights_copied)."""
    if target in ("keras-json", "keras-yaml"):
        return verify  # verifying builds the written file with Keras (verify.architecture)
    if target == "keras-weights-h5":
        return verify or not weights_copied(src_format, dst)
    return True


def write_weights(job: Job, tmp: str) -> None:
    """The layout follows DST's name; copied without deserialising when the source has it."""
    if weights_copied(job.format, job.dst):
        _copy_weights(job.src, job.format, tmp)
    elif keras3_layout(job.dst):
        job.keras3_model.save_weights(tmp)
    elif job.keras.lib == "tf_keras":
        job.keras.model.save_weights(tmp, save_format="h5")
    else:
        import h5py
        from keras.src.legacy.saving import legacy_h5_format

        with h5py.File(tmp, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, job.keras.model)


def _copy_weights(src: str, src_format: str, dst: str) -> None:
    if src_format == "keras":  # a .keras holds exactly that file
        with zipfile.ZipFile(src) as z, z.open("model.weights.h5") as f, open(dst, "wb") as out:
            shutil.copyfileobj(f, out)
    else:
        _copy_h5_weights(src, dst)


def _copy_h5_weights(src: str, dst: str) -> None:
    """Full-model HDF5 -> the `save_weights` layout: model_weights' layer groups at the root."""
    import h5py

    with h5py.File(src, "r") as f, h5py.File(dst, "w") as out:
        group = f["model_weights"]
        for key, value in group.attrs.items():
            out.attrs[key] = value
        for key in ("backend", "keras_version"):
            if key in f.attrs and key not in out.attrs:
                out.attrs[key] = f.attrs[key]
        for name in group:
            f.copy(group[name], out, name=name)


def run_weights(job: Job, path: str, arrays: list[Any]) -> list[Any]:
    from .weights_match import load_weights_by_name

    model = job.keras3_model if keras3_layout(job.dst) else job.keras.model
    lib = __import__("keras" if keras3_layout(job.dst) else job.keras.lib)
    fresh = lib.models.clone_model(model)
    load_weights_by_name(fresh, path)
    return verify.run_keras(fresh, arrays)


def _config(job: Job) -> dict[str, Any]:
    if job.format in ARCH_FORMATS:
        config, version = read_config_and_version(job.src)
    elif job.format == "keras-weights-h5" and job.options.arch:
        config, version = read_config_and_version(job.options.arch)
    else:
        return json.loads(job.keras.model.to_json())
    return verify.keras3_json(config, version)


def write_json(job: Job, tmp: str) -> None:
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(_config(job), f, indent=2)


def write_yaml(job: Job, tmp: str) -> None:
    # Keras 3 has no to_yaml; a safe dump of the parsed JSON config is what it used to write,
    # minus python tags (tuples become lists).
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(_config(job), f, sort_keys=False)


def check_arch(job: Job, path: str) -> None:
    """Architecture targets, verified by the Keras the file is for (verify.architecture)."""
    with_weights = job.has_keras_model
    source = job.keras.model if with_weights else None
    weights = job.src if with_weights and job.format in ("keras-h5", "keras") else \
        (job.src if job.format == "keras-weights-h5" else None)
    reference_config = None if with_weights else read_config(job.src)
    verify.architecture(job.report, path, source, weights, reference_config,
                        job.options.trust_code)


# --- Graph targets ---------------------------------------------------------------------

def write_graphdef(job: Job, tmp: str) -> None:
    frozen = job.frozen
    name_keras_outputs(job)
    freeze.write_graphdef(frozen.graph_def, tmp, as_text=job.dst.lower().endswith(".pbtxt"))
    job.report.inputs, job.report.outputs = list(frozen.inputs), list(frozen.outputs)


def name_keras_outputs(job: Job) -> None:
    """A Keras source's frozen outputs take the picked layers' names (`predictions:0`, not
    `Identity:0`); the report maps each pick to its tensor and shape. Graph sources keep
    their node names (what was picked is already a node)."""
    frozen = job.frozen
    if job.has_keras_model and not frozen.output_aliases:
        model = job.submodel if job.layer_outputs else job.keras.model
        picks = list(job.layer_outputs) or keras_io_names(model)[1]
        if len(picks) == len(frozen.outputs):
            frozen.outputs = name_outputs(frozen.graph_def, list(frozen.outputs), picks)
            job.report.output_aliases = dict(zip(picks, frozen.outputs, strict=True))
            job.report.output_shapes = {
                p: [None if d is None else int(d) for d in t.shape]
                for p, t in zip(picks, model.outputs, strict=True)}
    elif job.options.outputs and not frozen.output_aliases:
        job.report.output_aliases = {freeze.node_name(o): t for o, t in
                                     zip(job.options.outputs, frozen.outputs, strict=False)}


def run_graphdef(job: Job, path: str, arrays: list[Any]) -> list[Any]:
    graph = freeze.read_graphdef(path)
    return verify.run_graph(graph, job.frozen.inputs, job.frozen.outputs, arrays)


def write_savedmodel(job: Job, tmp: str) -> None:
    """TF Serving layout: DST/<version>/saved_model.pb with a serving signature named
    `signature_name` (serving_default unless asked otherwise)."""
    if job.options.version < 0:
        raise InvalidRequest(f"TF Serving version must be >= 0, not {job.options.version}")
    os.makedirs(tmp)
    version_dir = os.path.join(tmp, str(job.options.version))
    name = job.options.signature_name or "serving_default"
    if job.has_keras_model:
        km = job.keras
        if km.lib == "keras" and name == "serving_default":
            km.model.export(version_dir, format="tf_saved_model", verbose=False)
        elif km.lib == "keras":
            _export_keras3(km.model, version_dir, name)
        else:
            km.model.save(version_dir, save_format="tf", include_optimizer=False,
                          signatures=_tf_keras_signatures(km.model, name))
    else:
        if name != "serving_default":
            job.report.warnings.append(
                f"signature name '{name}' ignored: a SavedModel source is copied as it is")
            name = "serving_default"
        shutil.copytree(job.savedmodel, version_dir)
    _describe_savedmodel(job, version_dir, name)


def _export_keras3(model: Any, folder: str, name: str) -> None:
    """Keras 3's own export with the endpoint named NAME (Keras adds serving_default too)."""
    from keras.export import ExportArchive
    from keras.src.export.export_utils import get_input_signature

    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint(name=name, fn=model.__call__, input_signature=get_input_signature(model))
    archive.write_out(folder, verbose=False)


def _tf_keras_signatures(model: Any, name: str) -> dict[str, Any] | None:
    if name == "serving_default":
        return None  # tf_keras writes serving_default itself
    return {name: freeze.keras_concrete(model)}


def _describe_savedmodel(job: Job, folder: str, signature_name: str) -> None:
    """Report the written serving signature and a TF Serving request, read by the format
    reader (no TensorFlow import; the `serve` meta graph, as Serving picks it)."""
    from ..formats.tf import savedmodel as tf_savedmodel

    saved = tf_savedmodel.parse(tf_savedmodel.locate(folder)[1])
    sig = tf_savedmodel.signatures(tf_savedmodel.main_meta_graph(saved)).get(signature_name)
    if sig is None:
        job.report.warnings.append(f"the result has no {signature_name} signature")
        return
    job.report.inputs = [spec.name for spec in sig.inputs.values()]
    job.report.outputs = [spec.name for spec in sig.outputs.values()]
    job.report.output_aliases = {k: spec.name for k, spec in sig.outputs.items()}
    job.report.output_shapes = {k: list(spec.shape) for k, spec in sig.outputs.items()
                                if spec.shape is not None}
    body = verify.serving_body(signature_name, {
        key: (list(spec.shape) if spec.shape is not None else None, spec.dtype)
        for key, spec in sig.inputs.items()})
    name = os.path.basename(job.dst.rstrip(os.sep)) or "model"
    # One example as a file beside the version folder (TF Serving ignores it): a 299x299x3
    # image is 1.5 MB of JSON, beyond the shell's argument limit as a curl argument.
    with open(os.path.join(os.path.dirname(folder), verify.REQUEST_FILE), "w",
              encoding="utf-8") as f:
        json.dump(body, f)
    request = os.path.join(job.dst, verify.REQUEST_FILE)
    url = f"http://localhost:8501/v1/models/{name}:predict"
    job.report.serving_request = {
        "url": url, "body": body, "input_aliases": sorted(sig.inputs),
        "output_aliases": sorted(sig.outputs), "request_file": request,
        "signature": verify.saved_model_cli_text(signature_name, sig),
        "curl": f"curl -X POST {url} -H 'Content-Type: application/json' -d @{request}"}


def run_savedmodel(job: Job, path: str, arrays: list[Any]) -> list[Any]:
    """tf.saved_model.load of the result, its signature fed the arrays; first, the written
    request.json fed to the signature as TF Serving's REST API feeds it."""
    import tensorflow as tf

    fn = tf.saved_model.load(os.path.join(path, str(job.options.version))) \
        .signatures[job.options.signature_name or "serving_default"]
    if job.report.serving_request:
        verify.serving_check(fn, os.path.join(path, verify.REQUEST_FILE),
                             job.report.serving_request["output_aliases"])
    _, kwargs = fn.structured_input_signature
    names = [freeze.node_name(i) for i in job.frozen.inputs]
    if sorted(kwargs) != sorted(names):
        names = sorted(kwargs)  # input names differ (e.g. TF1 aliases): feed in sorted order
    result = fn(**{n: tf.constant(a) for n, a in zip(names, arrays, strict=True)})
    return [result[k].numpy() for k in sorted(result)]


def write_tflite(job: Job, tmp: str) -> None:
    import tensorflow as tf

    from . import tflite_quant

    specs = _tflite_specs(job) if tflite_quant.mode(job) else []
    converter = _tflite_converter(job)
    samples = tflite_quant.configure(job, converter, specs)
    with open(tmp, "wb") as f:
        f.write(_tflite_bytes(converter))
    tflite_quant.report(job, tmp, lambda: _tflite_bytes(_tflite_converter(job)), specs, samples)
    interp = tf.lite.Interpreter(model_path=tmp)
    names = {d["index"]: d["name"] for d in interp.get_input_details()}
    names.update({d["index"]: d["name"] for d in interp.get_output_details()})
    signatures = interp.get_signature_list()
    if signatures:  # signature order: inputs by key as fed, outputs sorted (output_0, ...)
        runner = interp.get_signature_runner(sorted(signatures)[0] if "serving_default" not in
                                             signatures else "serving_default")
        ins, outs = runner.get_input_details(), runner.get_output_details()
        job.report.inputs = [names[ins[k]["index"]] for k in ins]
        job.report.outputs = [names[outs[k]["index"]] for k in sorted(outs)]
    else:
        job.report.inputs = [d["name"] for d in interp.get_input_details()]
        job.report.outputs = [d["name"] for d in interp.get_output_details()]


def _tflite_converter(job: Job) -> Any:
    """A TFLite converter over the source: Keras 3's own route, a Keras concrete function, or
    the frozen graph pruned to its inputs and outputs."""
    import tensorflow as tf

    if job.has_keras_model and job.keras.lib == "keras" and not job.options.outputs:
        # The plain Keras 3 route; a concrete function of a Keras 3 model gave NaN here.
        converter = tf.lite.TFLiteConverter.from_keras_model(job.keras.model)
    elif job.has_keras_model and not job.options.outputs:
        model = job.keras.model
        converter = tf.lite.TFLiteConverter.from_concrete_functions(
            [freeze.keras_concrete(model)], model)
    else:
        frozen = job.frozen
        graph_def = frozen.graph_def

        def imports() -> None:
            tf.compat.v1.import_graph_def(graph_def, name="")

        wrapped = tf.compat.v1.wrap_function(imports, [])
        get = wrapped.graph.get_tensor_by_name
        pruned = wrapped.prune([get(i) for i in frozen.inputs], [get(o) for o in frozen.outputs])
        converter = tf.lite.TFLiteConverter.from_concrete_functions([pruned], wrapped)
    return converter


def _tflite_bytes(converter: Any) -> bytes:
    import contextlib
    import sys

    try:  # Keras's export prints "Saved artifact at ..." to stdout: keep --json clean
        with contextlib.redirect_stdout(sys.stderr):
            return converter.convert()
    except Exception as exc:  # noqa: BLE001 - the converter raises many types
        raise ConvertError(f"TFLite converter failed: {' '.join(str(exc).split())[:400]}") \
            from exc


def _tflite_specs(job: Job) -> list[verify.Spec]:
    """The inputs a representative dataset must feed (Keras's own, else the graph's)."""
    if job.has_keras_model and not job.options.outputs:
        return verify.keras_specs(job.keras.model)
    return verify.graph_specs(job.frozen.graph_def, job.frozen.inputs)


def run_tflite(job: Job, path: str, arrays: list[Any]) -> list[Any]:
    return verify.run_tflite(path, arrays, [freeze.node_name(i) for i in job.frozen.inputs])


def write_onnx(job: Job, tmp: str) -> None:
    import tf2onnx

    frozen = job.frozen
    name_keras_outputs(job)  # the ONNX outputs keep the picked layers' names, as the .pb's do
    try:
        model, _ = tf2onnx.convert.from_graph_def(
            frozen.graph_def, input_names=frozen.inputs, output_names=frozen.outputs,
            opset=job.options.opset, output_path=tmp)
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises many types
        raise ConvertError(f"tf2onnx failed: {' '.join(str(exc).split())[:400]}") from exc
    job.report.inputs = [i.name for i in model.graph.input]
    job.report.outputs = [o.name for o in model.graph.output]


def run_onnx(job: Job, path: str, arrays: list[Any]) -> list[Any]:
    return verify.run_onnx(path, arrays)
