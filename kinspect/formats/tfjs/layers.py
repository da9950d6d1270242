"""`tfjs-layers`: a TensorFlow.js layers model, shown like the Keras model it was made from.

`modelTopology` holds the Keras config (`{keras_version, backend, model_config,
training_config}`, or the bare model config that tfjs's own `model.save` writes); the layers
and the parameter counts come from kinspect's Keras config reader, the weights from the
manifest, matched to layers by name (manifests may list them alphabetically, not in layer
order), read from the shards only when shown.
"""

from __future__ import annotations

from ...errors import FormatError
from ...model import Document, Layer, TensorInfo
from ...progress import NO_PROGRESS, Progress
from ..containers.probe import Probe
from ..keras import config as keras_config
from ..keras import document as keras_model
from ..reader import FormatReader
from . import common

ID = "tfjs-layers"
LABEL = "TensorFlow.js layers model"


def match(probe: Probe) -> bool:
    return common.kind(probe) == "layers"


def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading model.json")
    data = common.load_json(path)
    topology = data["modelTopology"]
    config = topology.get("model_config", topology)
    if not isinstance(config, dict) or "class_name" not in config:
        raise FormatError("TF.js layers model without a Keras model config in modelTopology")
    progress.step(0.3, "checking the weight shards")
    weights = common.manifest(path, data)
    model = keras_config.model_from_config(config)
    unmatched = keras_model.attach_weights(model, by_layer(weights.tensors(), model))
    producer = common.producer(data)
    for key in ("keras_version", "backend"):
        if key in topology:
            producer[key] = str(topology[key])
    warnings = common.manifest_warnings(weights)
    if unmatched:
        warnings.append("weights for layers the config does not have: " + ", ".join(unmatched))
    progress.step(0.9, "building the tree")
    doc = keras_model.build_document(
        path, ID, model, producer=producer, training_config=topology.get("training_config"),
        root_attrs=common.manifest_attrs(weights), warnings=warnings)
    doc.root.type = LABEL
    doc.extra["weights"] = [{**t.to_json(), **({"quantization": e.quantization["dtype"]}
                                               if e.quantization else {})}
                            for t, e in zip(weights.tensors(), weights.entries, strict=True)]
    progress.step(1.0, "done")
    return doc


def by_layer(tensors: list[TensorInfo], model: Layer) -> dict[str, list[TensorInfo]]:
    """Weights by the top-level layer their name starts with (`dense/kernel` -> dense); a
    nested model's weights are named by its own layers (`in_d/kernel`, as the converter takes
    them from Keras 2's weight names) and go to the nested model that holds that layer."""
    top = {layer.name: layer.name for layer in model.layers}
    for layer in model.layers:
        for inner in layer.walk():
            top.setdefault(inner.name, layer.name)
    out: dict[str, list[TensorInfo]] = {}
    for tensor in tensors:
        first = tensor.name.split("/", 1)[0]
        out.setdefault(top.get(first, first), []).append(tensor)
    return out


READER = FormatReader(ID, LABEL, match, read)
