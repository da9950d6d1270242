"""Ground truth for tests/corpus/manifest.json, computed by the real libraries, not by kinspect.

Run by hand (never by pytest) when the corpus or the manifest changes:

    .venv/bin/python tests/corpus/make_manifest_facts.py          # compare, print mismatches
    .venv/bin/python tests/corpus/make_manifest_facts.py --write  # also store the facts

Each entry's facts come from the library that owns the format: h5py for Keras HDF5 layouts,
Keras 3 / tf_keras `load_model` or `model_from_json` + `count_params` for parameter counts,
TensorFlow's SavedModel proto reader (what `saved_model_cli` uses), `tf.train.list_variables`,
GraphDef/MetaGraphDef protos, the TFLite interpreter and `onnx`. Files holding code (a Lambda
layer, a custom class) are never loaded: their counts come from h5py and the config alone.
TF.js facts come from ../shared/corpus/tfjs/PROVENANCE.md (computed there with tfjs itself), and
are only cross-checked against the parsed model.json here.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
CORPUS = (HERE.parent.parent.parent / "shared" / "corpus").resolve()


def _h5_layers(config: dict[str, Any]) -> list[dict[str, Any]]:
    inner = config["config"]
    return inner if isinstance(inner, list) else inner["layers"]


def _h5_sizes(group: Any) -> int:
    import h5py
    import numpy as np

    total = 0

    def add(_name: str, obj: Any) -> None:
        nonlocal total
        if isinstance(obj, h5py.Dataset):
            total += int(np.prod(obj.shape))
    group.visititems(add)
    return total


def _keras_counts(model: Any) -> dict[str, int]:
    import numpy as np

    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {"total": trainable + non_trainable, "trainable": trainable,
            "non_trainable": non_trainable}


def _load_any(path: str) -> Any:
    """Keras 3 first, tf_keras for the Keras 2 files Keras 3 refuses."""
    try:
        import keras

        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception:  # noqa: BLE001 - fall back to Keras 2
        import tf_keras

        return tf_keras.models.load_model(path, compile=False)


def keras_h5(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import h5py

    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in ("keras_version", "backend") if k in f.attrs}
        config = json.loads(f.attrs["model_config"])
        weights_total = _h5_sizes(f["model_weights"])
    layers = _h5_layers(config)
    facts = {"producer": {k: str(v.decode() if isinstance(v, bytes) else v)
                          for k, v in attrs.items()},
             "model_class": config["class_name"], "layers": len(layers),
             "layer_classes": [la["class_name"] for la in layers]}
    if any(la["class_name"] == "Lambda" for la in layers):
        # Not loaded: the Lambda holds bytecode. No layer is frozen and nothing but Dense/Conv
        # kernels and biases is stored, so all stored weights are trainable.
        assert not any(la["config"].get("trainable") is False for la in layers)
        facts["params"] = {"total": weights_total, "trainable": weights_total,
                           "non_trainable": 0}
    else:
        facts["params"] = _keras_counts(_load_any(path))
        assert facts["params"]["total"] == weights_total, (facts["params"], weights_total)
    return facts


def keras_weights(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import h5py

    with h5py.File(path, "r") as f:
        producer = {k: str(f.attrs[k].decode() if isinstance(f.attrs[k], bytes) else f.attrs[k])
                    for k in ("keras_version", "backend") if k in f.attrs}
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["layer_names"]]
        total = sum(_h5_sizes(f[n]) for n in names)
    facts = {"producer": producer, "layers": len(names)}
    arch = entry.get("pairs_with")
    if arch:  # the trainable split needs the architecture: tf_keras reads the paired JSON
        import tf_keras

        model = tf_keras.models.model_from_json((CORPUS / arch).read_text())
        facts["params"] = _keras_counts(model)
        assert facts["params"]["total"] == total, (facts["params"], total)
    else:
        facts["params"] = {"total": total}
    return facts


def keras_arch(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import tf_keras
    import yaml

    text = Path(path).read_text()
    # Trusted, hand-checked file: the YAML's only python tags are !!python/tuple.
    config = yaml.load(text, Loader=yaml.FullLoader) if path.endswith(".yaml") else \
        json.loads(text)
    layers = _h5_layers(config)
    model = tf_keras.models.model_from_json(json.dumps(config))
    producer = {k: config[k] for k in ("keras_version", "backend") if k in config}
    return {"producer": producer, "model_class": config["class_name"], "layers": len(layers),
            "layer_classes": [la["class_name"] for la in layers],
            "params": _keras_counts(model)}


def keras_zip(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import h5py

    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
        meta = json.loads(z.read("metadata.json"))
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            total = _h5_sizes(f["layers"])  # not the optimizer state
            stored_layers = len(f["layers"])
    facts: dict[str, Any] = {"producer": {"keras_version": meta["keras_version"]},
                             "model_class": config["class_name"]}
    if ">" in (config.get("registered_name") or ""):  # custom class: never loaded
        facts["layers"] = stored_layers
        facts["params"] = {"total": total}
        return facts
    import keras

    model = keras.models.load_model(path, compile=False, safe_mode=True)
    layers = config["config"]["layers"]
    facts.update(layers=len(layers), layer_classes=[la["class_name"] for la in layers],
                 params=_keras_counts(model))
    assert facts["params"]["total"] == total
    return facts


def _signatures(meta_graph: Any) -> dict[str, Any]:
    return {key: {"inputs": {a: t.name for a, t in sig.inputs.items()},
                  "outputs": {a: t.name for a, t in sig.outputs.items()}}
            for key, sig in meta_graph.signature_def.items()}


def _variables(prefix: str) -> int:
    import tensorflow as tf

    return sum(1 for name, _ in tf.train.list_variables(prefix)
               if name != "_CHECKPOINTABLE_OBJECT_GRAPH")


def savedmodel(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    from tensorflow.python.tools import saved_model_utils

    folder = path if os.path.isdir(path) else os.path.dirname(path)
    if not os.path.exists(os.path.join(folder, "saved_model.pb")):  # TF Serving layout
        folder = os.path.join(folder, sorted(os.listdir(folder))[-1])
    meta = saved_model_utils.read_saved_model(folder).meta_graphs[0]
    producer = {"tensorflow_version": meta.meta_info_def.tensorflow_version}
    return {"producer": producer, "nodes": len(meta.graph_def.node),
            "variables": _variables(os.path.join(folder, "variables", "variables")),
            "signatures": _signatures(meta)}


def graphdef(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import tensorflow as tf
    from google.protobuf import text_format

    graph = tf.compat.v1.GraphDef()
    data = Path(path).read_bytes()
    if path.endswith(".pbtxt"):
        text_format.Parse(data.decode(), graph)
    else:
        graph.ParseFromString(data)
    facts: dict[str, Any] = {"nodes": len(graph.node),
                             "placeholders": [n.name for n in graph.node if n.op == "Placeholder"]}
    if graph.versions.producer:
        facts["producer"] = {"graph_producer": graph.versions.producer}
    return facts


def checkpoint(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import tensorflow as tf

    folder = path if os.path.isdir(path) else os.path.dirname(path)
    metas = [n for n in os.listdir(folder) if n.endswith(".meta")]
    state = tf.train.get_checkpoint_state(folder)
    if state:  # the state file may name a path on the writer's machine: keep the base name
        prefix = os.path.join(folder, os.path.basename(state.model_checkpoint_path))
    else:
        index = next(n for n in os.listdir(folder) if n.endswith(".index"))
        prefix = os.path.join(folder, index[:-len(".index")])
    facts: dict[str, Any] = {"variables": _variables(prefix)}
    if metas:
        meta = tf.compat.v1.MetaGraphDef()
        meta.ParseFromString(Path(folder, metas[0]).read_bytes())
        facts["nodes"] = len(meta.graph_def.node)
        facts["signatures"] = _signatures(meta)
        if meta.meta_info_def.tensorflow_version:
            facts["producer"] = {"tensorflow_version": meta.meta_info_def.tensorflow_version}
    return facts


def tflite(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=path)
    sigs = {}
    for key in interp.get_signature_list():
        runner = interp.get_signature_runner(key)
        sigs[key] = {"inputs": {a: d["name"] for a, d in runner.get_input_details().items()},
                     "outputs": {a: d["name"] for a, d in runner.get_output_details().items()}}
    return {"nodes": len(interp._get_ops_details()),  # noqa: SLF001 - the interpreter's op list
            "inputs": [d["name"] for d in interp.get_input_details()],
            "outputs": [d["name"] for d in interp.get_output_details()],
            "signatures": sigs}


def onnx_model(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model)
    g = model.graph
    return {"producer": {"producer_name": model.producer_name, "ir_version": model.ir_version,
                         "opset": {(o.domain or "ai.onnx"): o.version
                                   for o in model.opset_import}},
            "nodes": len(g.node), "variables": len(g.initializer),
            "inputs": [i.name for i in g.input if i.name not in {t.name for t in g.initializer}],
            "outputs": [o.name for o in g.output]}


def tfjs(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Only what model.json says; the counts are PROVENANCE's (computed with tfjs)."""
    data = json.loads(Path(path).read_text())
    facts: dict[str, Any] = {"producer": {k: data[k] for k in ("format", "generatedBy",
                                                               "convertedBy") if k in data}}
    topology = data["modelTopology"]
    if "node" in topology:
        facts["nodes"] = len(topology["node"])
        facts["placeholders"] = [n["name"] for n in topology["node"] if n["op"] == "Placeholder"]
    else:
        config = topology["model_config"]
        facts["model_class"] = config["class_name"]
        facts["layers"] = len(_h5_layers(config))
    return facts


READERS = {"keras-h5": keras_h5, "keras-weights-h5": keras_weights, "keras-json": keras_arch,
           "keras-yaml": keras_arch, "keras": keras_zip, "tf-savedmodel": savedmodel,
           "tf-graphdef": graphdef, "tf-checkpoint": checkpoint, "tflite": tflite,
           "onnx": onnx_model, "tfjs-layers": tfjs, "tfjs-graph": tfjs}


def check_scan(path: str, entry: dict[str, Any]) -> list[str]:
    """The code a scan must find, located in the file itself: a Lambda layer in the HDF5
    model_config (`model_config/<model>/<layer>`), a custom registered class in a .keras
    config.json (`config.json/<name>`)."""
    problems = []
    for finding in entry["scan"] if isinstance(entry["scan"], list) else []:
        parts = finding["where"].split("/")
        if finding["kind"] == "lambda-layer":
            import h5py

            with h5py.File(path, "r") as f:
                config = json.loads(f.attrs["model_config"])
            classes = {la["config"]["name"]: la["class_name"] for la in _h5_layers(config)}
            ok = parts[1] == config["config"].get("name") and classes.get(parts[2]) == "Lambda"
        elif finding["kind"] == "custom-object":
            with zipfile.ZipFile(path) as z:
                config = json.loads(z.read("config.json"))
            ok = parts[1] == config["config"]["name"] and ">" in config["registered_name"]
        else:
            ok = False
        if not ok:
            problems.append(f"scan finding not found in the file: {finding}")
    return problems


def _diff(entry: dict[str, Any], facts: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(conflicts, additions): a fact the manifest states differently, and one it lacks."""
    conflicts, additions = [], []
    for key, value in facts.items():
        have = entry.get(key)
        if isinstance(value, dict) and isinstance(have, dict) and key in ("producer", "params"):
            for sub, sub_value in value.items():
                if sub not in have:
                    additions.append(f"{key}.{sub} = {sub_value!r}")
                elif have[sub] != sub_value:
                    conflicts.append(f"{key}.{sub}: manifest {have[sub]!r} != {sub_value!r}")
        elif have is None:
            additions.append(f"{key} = {value!r}")
        elif have != value:
            conflicts.append(f"{key}: manifest {have!r} != library {value!r}")
    return conflicts, additions


def main() -> int:
    entries = json.loads(MANIFEST.read_text())["entries"]
    bad = 0
    for entry in entries:
        if "expected_error" in entry and "todo" not in entry or entry.get("facts") == "none":
            continue
        facts = READERS[entry["format"]](str(CORPUS / entry["path"]), entry)
        conflicts, additions = _diff(entry, facts)
        conflicts += check_scan(str(CORPUS / entry["path"]), entry)
        bad += bool(conflicts)
        print(entry["id"], "CONFLICT" if conflicts else "OK",
              *[f"\n  != {c}" for c in conflicts], *[f"\n  +  {a}" for a in additions])
        if "--write" in sys.argv:
            for key, value in facts.items():
                if key in ("producer", "params") and isinstance(entry.get(key), dict):
                    entry[key].update(value)
                else:
                    entry[key] = value
    if "--write" in sys.argv:
        doc = json.loads(MANIFEST.read_text())
        doc["entries"] = entries
        MANIFEST.write_text(json.dumps(doc, indent=1) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
