"""SessionBundle exports (TensorFlow Serving before SavedModel): `export.meta` whose
`serving_signatures` collection holds a `tensorflow.serving.Signatures` message packed in an
`Any`, beside a V1 checkpoint `export-?????-of-?????`.

No maintained package ships the message any more (tensorflow-serving-api dropped
session_bundle/manifest.proto), so its few messages are declared here from that file's field
numbers and built in a private descriptor pool (no clash with a real import of it).
"""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory

from ...errors import FormatError
from ...model import Signature, TensorSpec
from . import protos as tf_protos
from . import tensor as tf_tensor

COLLECTION = "serving_signatures"
_PACKAGE = "tensorflow.serving"
_STRING, _MESSAGE = 9, 11  # FieldDescriptorProto types
_OPTIONAL, _REPEATED = 1, 3

# message -> [(field, number, type name or None for string, repeated, oneof index)]
_FIELDS: dict[str, list[tuple[str, int, str | None, bool, int | None]]] = {
    "TensorBinding": [("tensor_name", 1, None, False, None)],
    "RegressionSignature": [("input", 1, "TensorBinding", False, None),
                            ("output", 2, "TensorBinding", False, None)],
    "ClassificationSignature": [("input", 1, "TensorBinding", False, None),
                                ("classes", 2, "TensorBinding", False, None),
                                ("scores", 3, "TensorBinding", False, None)],
    "GenericSignature": [("map", 1, "GenericSignature.MapEntry", True, None)],
    "Signature": [("regression_signature", 1, "RegressionSignature", False, 0),
                  ("classification_signature", 2, "ClassificationSignature", False, 0),
                  ("generic_signature", 3, "GenericSignature", False, 0)],
    "Signatures": [("default_signature", 1, "Signature", False, None),
                   ("named_signatures", 2, "Signatures.NamedSignaturesEntry", True, None)],
}
_MAPS = {"GenericSignature": ("MapEntry", "TensorBinding"),
         "Signatures": ("NamedSignaturesEntry", "Signature")}


def _add_field(msg: Any, name: str, number: int, type_name: str | None, repeated: bool,
               oneof: int | None = None) -> None:
    field = msg.field.add(name=name, number=number, label=_REPEATED if repeated else _OPTIONAL,
                          type=_MESSAGE if type_name else _STRING)
    if type_name:
        field.type_name = f".{_PACKAGE}.{type_name}"
    if oneof is not None:
        field.oneof_index = oneof


@functools.cache
def signatures_class() -> Any:
    """The `tensorflow.serving.Signatures` message class (manifest.proto, proto3)."""
    fdp = descriptor_pb2.FileDescriptorProto(name="kinspect/session_bundle/manifest.proto",
                                             package=_PACKAGE, syntax="proto3")
    for name, fields in _FIELDS.items():
        msg = fdp.message_type.add(name=name)
        if name == "Signature":
            msg.oneof_decl.add(name="type")
        if name in _MAPS:
            entry_name, value_type = _MAPS[name]
            entry = msg.nested_type.add(name=entry_name)
            entry.options.map_entry = True
            _add_field(entry, "key", 1, None, False)
            _add_field(entry, "value", 2, value_type, False)
        for fname, number, type_name, repeated, oneof in fields:
            _add_field(msg, fname, number, type_name, repeated, oneof)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.Signatures"))


def read(meta_graph: Any) -> Any | None:
    """The Signatures message of a SessionBundle meta graph, or None when it has none."""
    if COLLECTION not in meta_graph.collection_def:
        return None
    packed = list(meta_graph.collection_def[COLLECTION].any_list.value)
    if not packed:
        return None
    if len(packed) != 1 or not packed[0].type_url.endswith(f"{_PACKAGE}.Signatures"):
        raise FormatError(f"'{COLLECTION}' collection holds {len(packed)} value(s) of type "
                          f"{packed[0].type_url or '(none)'}, not one tensorflow.serving."
                          "Signatures")
    try:
        return signatures_class().FromString(packed[0].value)
    except message.DecodeError as exc:
        raise FormatError(f"broken '{COLLECTION}' collection: {exc}") from exc


def signatures(meta_graph: Any) -> dict[str, Signature]:
    """The export's signatures as Document signatures: `default` first, then the named ones
    by name. Generic signatures do not say which bindings are inputs; by TensorFlow Serving's
    convention the named generic signature `inputs` holds the inputs, every other one outputs."""
    sigs = read(meta_graph)
    if sigs is None:
        return {}
    nodes = {n.name: n for n in meta_graph.graph_def.node}
    out: dict[str, Signature] = {}
    if sigs.HasField("default_signature"):
        out["default"] = _signature("default", sigs.default_signature, nodes)
    for key in sorted(sigs.named_signatures):
        out[key] = _signature(key, sigs.named_signatures[key], nodes)
    return out


def default_outputs(meta_graph: Any) -> list[str]:
    """Output tensor names to freeze when none are given: the default signature's, else the
    named generic signature `outputs`'s (TF Serving's layout), else []."""
    found = signatures(meta_graph)
    for key in ("default", "outputs"):
        if key in found and found[key].outputs:
            return [spec.name for spec in found[key].outputs.values()]
    return []


def _signature(key: str, sig: Any, nodes: dict[str, Any]) -> Signature:
    kind = sig.WhichOneof("type")
    if kind == "regression_signature":
        r = sig.regression_signature
        return Signature(key, "regression", _specs({"input": r.input}, nodes),
                         _specs({"output": r.output}, nodes))
    if kind == "classification_signature":
        c = sig.classification_signature
        return Signature(key, "classification", _specs({"input": c.input}, nodes),
                         _specs({"classes": c.classes, "scores": c.scores}, nodes))
    if kind == "generic_signature":
        bindings = _specs({k: sig.generic_signature.map[k]
                           for k in sorted(sig.generic_signature.map)}, nodes)
        return Signature(key, "generic", bindings if key == "inputs" else {},
                         {} if key == "inputs" else bindings)
    return Signature(key, "(empty)")


def _specs(bindings: dict[str, Any], nodes: dict[str, Any]) -> dict[str, TensorSpec]:
    return {alias: _spec(b.tensor_name, nodes) for alias, b in bindings.items()
            if b.tensor_name}


def _spec(tensor: str, nodes: dict[str, Any]) -> TensorSpec:
    """Dtype and shape of TENSOR from its node: a placeholder's `dtype`/`shape`, else `T` and
    the recorded `_output_shapes`; unknown when the node records neither."""
    name, _, index = tensor.lstrip("^").partition(":")
    node = nodes.get(name)
    if node is None:
        return TensorSpec(tensor, "(not in the graph)", None)
    dtype = next((node.attr[a].type for a in ("dtype", "T") if a in node.attr), 0)
    shape = None
    if "shape" in node.attr:
        shape = tf_tensor.shape_of(node.attr["shape"].shape)
    elif "_output_shapes" in node.attr:
        shapes = node.attr["_output_shapes"].list.shape
        i = int(index or 0)
        shape = tf_tensor.shape_of(shapes[i]) if i < len(shapes) else None
    return TensorSpec(tensor, tf_protos.dtype_name(dtype) if dtype else "unknown", shape)
