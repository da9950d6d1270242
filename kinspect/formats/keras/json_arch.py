"""`keras-json`: a Keras architecture written by `model.to_json()` (every vintage).

List-style configs (Keras <= 2.1 Sequential), dict-style ones, functional `Model` /
`Functional`, Keras 3 configs with `module` keys, nested models and wrappers: all go through
keras_config, and the document is assembled by keras_model.build_document like every other
Keras format. A tfjs `model.json` (`modelTopology`) is read the same way.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ...errors import FormatError
from ...model import Document
from ...progress import NO_PROGRESS, Progress
from ..containers import bounds
from ..containers.probe import Probe
from ..reader import FormatReader
from . import config as keras_config
from . import document as keras_model
from . import shapes as keras_shapes

ID = "keras-json"
LABEL = "Keras architecture (JSON)"
MAX_BYTES = 256 * 1024 * 1024


def match(probe: Probe) -> bool:
    text = probe.text_head()
    if not text or not text.lstrip().startswith("{"):
        return False
    return '"class_name"' in text or '"modelTopology"' in text


def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading JSON")
    try:
        data = bounds.loads_json(read_text(path), "architecture JSON")
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc}") from exc
    return document_from_arch(path, ID, data, "to_json")


def read_text(path: str) -> str:
    """The file as text, refusing absurd sizes (an architecture is kilobytes)."""
    if os.path.getsize(path) > MAX_BYTES:
        raise FormatError(f"architecture file larger than {MAX_BYTES >> 20} MiB")
    with open(path, encoding="utf-8") as f:
        return f.read()


def unwrap(data: Any) -> dict[str, Any]:
    """The model config inside what a writer saved (to_json, tfjs topology, a full dump)."""
    if isinstance(data, dict) and isinstance(data.get("modelTopology"), dict):
        topology = data["modelTopology"]
        data = topology.get("model_config", topology)
    if isinstance(data, dict) and "model_config" in data and "class_name" not in data:
        data = data["model_config"]
    if not isinstance(data, dict) or "class_name" not in data:
        raise FormatError("no Keras model here: the top level has no 'class_name'")
    return data


def document_from_arch(path: str, format_id: str, data: Any, writer: str) -> Document:
    """A document for an architecture without weights (JSON, YAML)."""
    config = unwrap(data)
    model = keras_config.model_from_config(config)
    producer = {k: str(config[k]) for k in ("keras_version", "backend") if k in config}
    inferred = keras_shapes.infer(model)
    warnings = ["architecture only: no weights stored; weight shapes and parameter counts "
                "inferred from the config" if inferred else
                "architecture only: no weights stored, so no parameter counts (pair it with "
                "a weights file to get them)"]
    warnings += arch_version_warnings(config, writer)
    doc = keras_model.build_document(path, format_id, model, producer=producer,
                                     warnings=warnings)
    # Placeholder weights (shape and dtype, no values) when inferred: say so to exporters.
    doc.extra["weights_inferred"] = inferred
    if not inferred:  # a count we cannot stand behind is "unknown", not 0
        doc.summary = None
        for key in ("total params", "trainable params", "non-trainable params"):
            doc.root.attrs.pop(key, None)
        doc.root.params = None
    return doc


def arch_version_warnings(config: dict[str, Any], writer: str) -> list[str]:
    """What Keras 3 and tf_keras do with this architecture (checked with 3.15.1 / tf_keras
    2.21 on the corpus: Keras 2 JSON fails in Keras 3's model_from_json, list-style configs
    included, and tf_keras reads it)."""
    version = str(config.get("keras_version", ""))
    out: list[str] = []
    keras2 = bool(re.match(r"[12]\.", version)) or "module" not in config
    if keras2:
        label = f"Keras {version}" if version else "Keras 2"
        if writer == "to_yaml":
            out.append(f"written by {label} to_yaml; neither Keras 3 nor tf_keras has "
                       "model_from_yaml any more (removed for security): convert it to JSON")
        else:
            out.append(f"written by {label} to_json; Keras 3 model_from_json cannot read it "
                       "(tf_keras can)")
    if isinstance(config.get("config"), list):
        out.append("list-style Sequential config (Keras <= 2.1)")
    return out


READER = FormatReader(ID, LABEL, match, read)
