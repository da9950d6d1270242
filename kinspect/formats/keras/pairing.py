"""A weights-only file plus an architecture file: the combined model, and a per-layer report
of what matches, as Keras `load_weights(by_name=True)` would see it.

By name: each stored layer group goes to the configured layer of that name. A layer is
`matched` when the number of weights and every shape the config determines agree (input sizes
are not inferred, so an unknown dimension matches anything), `shape mismatch` when they do not,
`missing` when the config expects weights the file does not hold, and a stored group no layer
claims is `unused`. Only matched weights are attached, so the counts are those of the model
that loading with `skip_mismatch=True` would give.
"""

from __future__ import annotations

import os
from typing import Any

import h5py

from ...errors import FormatError, InvalidRequest
from ...model import Document, Kind, Layer, Node, TensorInfo
from .. import detect
from ..containers import bounds, safe_yaml
from . import (
    archive as keras_zip,
)
from . import (
    config as keras_config,
)
from . import (
    document as keras_model,
)
from . import (
    h5_weights,
)
from . import (
    json_arch as keras_json,
)
from . import (
    vars3 as keras3_vars,
)
from . import (
    weights_file as keras_weights_h5,
)

Shape = tuple[int | None, ...]
CONV = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3, "Conv2DTranspose": 2, "Conv1DTranspose": 1,
        "Conv3DTranspose": 3}
WEIGHTLESS = {"InputLayer", "Dropout", "Flatten", "Activation", "Reshape", "MaxPooling1D",
              "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
              "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
              "GlobalMaxPooling2D", "Concatenate", "Add", "Multiply", "Lambda", "ReLU",
              "LeakyReLU", "Softmax", "ZeroPadding2D", "Cropping2D", "UpSampling2D",
              "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
              "Permute", "RepeatVector", "Masking", "Average", "Maximum", "Subtract"}


def load_arch(arch_path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(model config, producer) of an architecture file: JSON, YAML, `.keras` or a full `.h5`."""
    reader = detect(arch_path)
    if reader.id in ("keras-json", "keras-yaml"):
        text = keras_json.read_text(arch_path)
        data = bounds.loads_json(text, "architecture JSON") if reader.id == "keras-json" \
            else safe_yaml.load(text)
        config = keras_json.unwrap(data)
        return config, {k: str(config[k]) for k in ("keras_version",) if k in config}
    if reader.id == "keras":
        import zipfile

        with zipfile.ZipFile(arch_path) as z:
            config = keras_zip.json_entry(z, keras_zip.CONFIG)
            metadata = keras_zip.json_entry(z, keras_zip.METADATA)
        if not isinstance(metadata, dict):
            metadata = {}
        return config, {k: str(v) for k, v in metadata.items() if k == "keras_version"}
    if reader.id == "keras-h5":
        with h5py.File(arch_path, "r") as f:
            config = h5_weights.json_attr(f.attrs, "model_config")
            version = h5_weights.text(f.attrs.get("keras_version", ""))
        return config, {"keras_version": version} if version else {}
    raise InvalidRequest(f"not a Keras architecture file (detected as {reader.id})", arch_path)


def open_pair(weights_path: str | os.PathLike[str], arch_path: str | os.PathLike[str]
              ) -> Document:
    weights_path, arch_path = os.fspath(weights_path), os.fspath(arch_path)
    if not os.path.exists(arch_path):
        raise FormatError("no such file or directory", arch_path)
    try:
        config, arch_producer = load_arch(arch_path)
        model = keras_config.model_from_config(config)
    except FormatError as exc:
        exc.path = exc.path or arch_path
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            RuntimeError) as exc:
        raise FormatError(f"cannot read the architecture: {type(exc).__name__}: {exc}",
                          arch_path) from exc
    try:
        stored = keras_weights_h5.read_weights(weights_path)
    except FormatError as exc:
        exc.path = exc.path or weights_path
        raise
    except (OSError, RuntimeError) as exc:  # h5py: RuntimeError for corrupt metadata
        raise FormatError(f"not a Keras weights file: {exc}", weights_path) from exc
    if stored.layout == "keras2":
        report = _match_keras2(model, stored.by_layer)
    else:
        assert stored.store is not None
        report = _match_keras3(model, stored.store)
    counts = {s: sum(1 for r in report if r["status"] == s)
              for s in ("matched", "missing", "shape mismatch", "unused")}
    warnings = [f"{r['status']}: layer '{r['layer']}': {r['detail']}"
                for r in report if r["status"] != "matched"]
    producer = dict(stored.producer)
    if arch_producer.get("keras_version"):
        producer["architecture keras_version"] = arch_producer["keras_version"]
    doc = keras_model.build_document(
        weights_path, keras_weights_h5.ID, model, producer=producer,
        optimizer_weights=stored.optimizer,
        root_attrs={"architecture": arch_path, "weights layout": stored.layout,
                    **{f"layers {k}": v for k, v in counts.items()}},
        warnings=warnings)
    doc.extra["pairing"] = {"architecture": arch_path, "weights": weights_path,
                            "counts": counts, "layers": report}
    doc.root.set_children(doc.root.children[:1] + [_report_node(report, counts)] +
                          doc.root.children[1:])
    return doc


def _report_node(report: list[dict[str, Any]], counts: dict[str, int]) -> Node:
    """The match report as a tree branch; rows that did not match are error rows."""
    rows = []
    for row in report:
        attrs = {k: row[k] for k in ("status", "detail", "stored", "expected")}
        if row["status"] == "matched":
            rows.append(Node(Kind.ATTRIBUTE, row["layer"], "matched", attrs=attrs))
        else:
            rows.append(Node(Kind.ERROR, row["layer"], row["status"], attrs=attrs,
                             error=f"{row['status']}: {row['detail']}"))
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    return Node(Kind.GROUP, "Weights match", summary or "nothing to match", children=rows)


# ------------------------------------------------------------------ Keras 2 layout


def _match_keras2(model: Layer, by_layer: dict[str, list[TensorInfo]]) -> list[dict[str, Any]]:
    report: list[dict[str, Any]] = []
    accepted: dict[str, list[TensorInfo]] = {}
    names = {layer.name for layer in model.layers}
    for layer in model.layers:
        weights = by_layer.get(layer.name)
        expected = expected_shapes(layer)
        if not weights:
            if expected or (expected is None and layer.layers):
                report.append(_row(layer, "missing", [], expected,
                                   "the file holds no weights for this layer"))
            continue
        status, detail = compare(layer, weights, expected)
        report.append(_row(layer, status, weights, expected, detail))
        if status == "matched":
            accepted[layer.name] = weights
    for name, weights in by_layer.items():
        if name not in names and weights:
            report.append({"layer": name, "class_name": "", "status": "unused",
                           "stored": [_shape_list(w.shape) for w in weights], "expected": None,
                           "detail": "no layer of this name in the architecture"})
    keras_model.attach_weights(model, accepted)
    return report


# ------------------------------------------------------------------ Keras 3 layout


def _match_keras3(model: Layer, store: keras3_vars.VarGroup) -> list[dict[str, Any]]:
    unmatched = keras3_vars.attach(model, store)
    report: list[dict[str, Any]] = []
    for layer in model.layers:
        weights = [w for sub in layer.walk() for w in sub.weights]
        expected = expected_shapes(layer)
        if not weights:
            if expected:
                report.append(_row(layer, "missing", [], expected,
                                   "the file holds no variables for this layer"))
            continue
        status, detail = compare(layer, weights, expected)
        report.append(_row(layer, status, weights, expected, detail))
        if status != "matched":
            for sub in layer.walk():
                sub.weights = []
    report += [{"layer": name, "class_name": "", "status": "unused", "stored": [],
                "expected": None, "detail": "stored variables match no layer by name"}
               for name in unmatched]
    return report


# ------------------------------------------------------------------ shapes


def expected_shapes(layer: Layer) -> list[Shape] | None:
    """Shapes of a layer's weights as far as its config determines them (None: unknown
    dimension); None when the class is not one we know."""
    c = layer.config if isinstance(layer.config, dict) else {}
    cls = layer.class_name
    if cls in WEIGHTLESS:
        return []
    bias = bool(c.get("use_bias", True))
    if cls == "Dense" and isinstance(c.get("units"), int):
        return [(None, c["units"])] + ([(c["units"],)] if bias else [])
    if cls in CONV and isinstance(c.get("filters"), int):
        size = c.get("kernel_size")
        size = [size] * CONV[cls] if isinstance(size, int) else list(size or [])
        if cls.endswith("Transpose"):
            kernel: Shape = (*size, c["filters"], None)
        else:
            kernel = (*size, None, c["filters"])
        return [kernel] + ([(c["filters"],)] if bias else [])
    if cls == "Embedding" and isinstance(c.get("output_dim"), int):
        return [(c.get("input_dim"), c["output_dim"])]
    if cls in ("LSTM", "GRU", "SimpleRNN") and isinstance(c.get("units"), int):
        gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[cls]
        u = c["units"]
        bias_shape: Shape = (2, 3 * u) if cls == "GRU" and c.get("reset_after") else (gates * u,)
        return [(None, gates * u), (u, gates * u)] + ([bias_shape] if bias else [])
    if cls == "BatchNormalization":
        n = int(bool(c.get("scale", True))) + int(bool(c.get("center", True))) + 2
        return [(None,)] * n
    return None


def compare(layer: Layer, weights: list[TensorInfo], expected: list[Shape] | None
            ) -> tuple[str, str]:
    if expected is None:
        return "matched", "class not checked for shapes; matched by name"
    if len(expected) != len(weights):
        return "shape mismatch", (f"the config expects {len(expected)} weights, the file "
                                  f"holds {len(weights)}")
    for want, weight in zip(expected, weights, strict=True):
        have = weight.shape or ()
        if len(want) != len(have) or any(w is not None and w != h for w, h in
                                         zip(want, have, strict=True)):
            return "shape mismatch", (f"{weight.name}: stored {_fmt(have)}, the config "
                                      f"expects {_fmt(want)}")
    return "matched", ""


def _fmt(shape: Shape) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _shape_list(shape: Shape | None) -> list[int | None] | None:
    return list(shape) if shape is not None else None


def _row(layer: Layer, status: str, weights: list[TensorInfo], expected: list[Shape] | None,
         detail: str) -> dict[str, Any]:
    return {"layer": layer.name, "class_name": layer.class_name, "status": status,
            "stored": [_shape_list(w.shape) for w in weights],
            "expected": [list(s) for s in expected] if expected is not None else None,
            "detail": detail}
