"""What both TF.js readers share: finding model.json, telling layers from graph models by
content, loading the JSON, the producer fields and the weights manifest.

A TF.js model is a folder holding `model.json` and weight shards; either may be opened. The
JSON's `modelTopology` is a Keras config (layers model) or a GraphDef in protobuf JSON (graph
model). Old files have no `format` key (TECH-NOTES: files in the wild), so the topology itself
decides.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ...errors import FormatError
from ..containers import bounds
from ..containers.probe import Probe
from .manifest import Manifest

MODEL_JSON = "model.json"
# model.json files are kilobytes (layers) to a few MB (big graph topologies).
MAX_JSON_BYTES = 256 << 20
# Head patterns: `"format": "graph-model"`, and a topology that starts as a GraphDef does.
_FORMAT = re.compile(r'"format"\s*:\s*"(layers-model|graph-model)"')
_GRAPH_TOPOLOGY = re.compile(r'"modelTopology"\s*:\s*\{\s*"(node|library|versions)"')
_LAYERS_TOPOLOGY = re.compile(r'"modelTopology"\s*:\s*\{\s*"(keras_version|backend|'
                              r'model_config|class_name|training_config)"')
# A head that is inconclusive is settled by parsing the file, up to this size.
_PARSE_TO_DECIDE = 16 << 20


def json_path(path: str) -> str:
    """model.json of a folder, or the file itself."""
    return os.path.join(path, MODEL_JSON) if os.path.isdir(path) else path


def kind(probe: Probe) -> str | None:
    """"layers", "graph" or None (not a TF.js model.json), from content."""
    if probe.is_dir:
        inner = os.path.join(probe.path, MODEL_JSON)
        return kind(Probe(inner)) if os.path.isfile(inner) else None
    if not probe.exists:
        return None
    text = probe.text_head()
    if not text or not text.lstrip().startswith("{") or '"modelTopology"' not in text \
            and '"weightsManifest"' not in text:
        return None
    found = _FORMAT.search(text)
    if found:
        return "graph" if found.group(1) == "graph-model" else "layers"
    if _GRAPH_TOPOLOGY.search(text):
        return "graph"
    if _LAYERS_TOPOLOGY.search(text):
        return "layers"
    if probe.size > _PARSE_TO_DECIDE:
        return None
    try:
        data = load_json(probe.path)
    except FormatError:
        return None
    return kind_of_data(data)


def kind_of_data(data: Any) -> str | None:
    if not isinstance(data, dict) or "modelTopology" not in data:
        return None
    fmt = data.get("format")
    if fmt in ("graph-model", "layers-model"):
        return "graph" if fmt == "graph-model" else "layers"
    topology = data.get("modelTopology")
    if isinstance(topology, dict) and ("node" in topology or "library" in topology):
        return "graph"
    return "layers"


def load_json(path: str) -> dict[str, Any]:
    path = json_path(path)
    if os.path.getsize(path) > MAX_JSON_BYTES:
        raise FormatError(f"model.json larger than {MAX_JSON_BYTES >> 20} MiB")
    with open(path, encoding="utf-8") as f:
        data = bounds.loads_json(f.read(), "TF.js model.json")
    if not isinstance(data, dict) or not isinstance(data.get("modelTopology"), dict):
        raise FormatError("not a TF.js model.json: no 'modelTopology' object")
    return data


def manifest(path: str, data: dict[str, Any]) -> Manifest:
    return Manifest(os.path.dirname(os.path.abspath(json_path(path))), data.get("weightsManifest"))


def producer(data: dict[str, Any]) -> dict[str, Any]:
    return {k: str(data[k]) for k in ("format", "generatedBy", "convertedBy") if k in data}


def manifest_attrs(weights: Manifest) -> dict[str, Any]:
    """What the root row says about the shards (and their quantization)."""
    attrs: dict[str, Any] = {
        "weight groups": len(weights.groups),
        "shards": ", ".join(p for g in weights.groups for p in g.paths),
        "shard bytes": sum(sum(g.sizes) for g in weights.groups)}
    if weights.quantization:
        attrs["quantization"] = ", ".join(f"{k}: {n} weights"
                                          for k, n in sorted(weights.quantization.items()))
    return attrs


def manifest_warnings(weights: Manifest) -> list[str]:
    if not weights.quantization:
        return []
    return ["quantized weights (" + ", ".join(sorted(weights.quantization)) + "): values shown "
            "dequantized as TF.js loads them (q * scale + min; float16 widened)"]
