"""Every graph-ish source normalised to one frozen GraphDef with named inputs and outputs.

Keras models, SavedModel signatures, TF1 checkpoints + .meta and GraphDefs all end up as a
`Frozen` (variables folded into constants), which the graph targets (frozen .pb, tflite, onnx)
and verification share, like tf2onnx's single loader. TensorFlow is imported here lazily.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConvertError, FormatError, InvalidRequest
from ..graph.outputs import node_name, tensor_name  # noqa: F401 - used by job/targets

# Ops that are never a model's output: bookkeeping, saving, training.
_NOT_OUTPUT_OPS = frozenset({
    "NoOp", "Const", "Assign", "AssignAdd", "AssignSub", "SaveV2", "RestoreV2", "Save",
    "Restore", "RestoreSlice", "SaveSlices", "MergeV2Checkpoints", "VariableV2", "Variable",
    "VarHandleOp", "AssignVariableOp", "Placeholder", "PlaceholderWithDefault",
    "ApplyAdam", "ApplyGradientDescent", "ResourceApplyAdam", "ShardedFilename",
    "StringJoin", "IsVariableInitialized", "VarIsInitializedOp",
})
_NOT_OUTPUT_PREFIXES = ("save/", "save_", "gradients/", "train/", "GradientDescent",
                        "Adam", "init", "report_uninitialized", "global_step")

_OUTPUT_NAME = re.compile(r"^(pred\w*|output\w*|softmax|sigmoid|logits|prob\w*|y|y_?hat)$",
                          re.IGNORECASE)


@dataclass
class Frozen:
    """A frozen GraphDef and its input / output tensor names (`name:0`)."""

    graph_def: Any
    inputs: list[str]
    outputs: list[str]
    output_aliases: dict[str, str] = field(default_factory=dict)  # signature key -> tensor
    warnings: list[str] = field(default_factory=list)


def read_graphdef(path: str) -> Any:
    """Parse a binary or text GraphDef."""
    import tensorflow as tf
    from google.protobuf import text_format

    with open(path, "rb") as f:
        data = f.read()
    graph = tf.compat.v1.GraphDef()
    try:
        graph.ParseFromString(data)
        if graph.node:
            return graph
    except Exception:  # noqa: BLE001 - maybe text; tried next
        pass
    graph = tf.compat.v1.GraphDef()
    try:
        text_format.Merge(data.decode("utf-8"), graph)
    except Exception as exc:  # noqa: BLE001 - protobuf raises several types
        raise FormatError(f"not a GraphDef: {exc}", path) from exc
    return graph


def placeholders(graph_def: Any) -> list[str]:
    return [f"{n.name}:0" for n in graph_def.node if n.op in ("Placeholder",)]


def output_candidates(graph_def: Any, limit: int = 8, named: bool = True) -> list[str]:
    """Likely outputs: nodes nobody consumes, minus saving, training and bookkeeping."""
    def usable(n: Any) -> bool:
        return n.op not in _NOT_OUTPUT_OPS and not n.name.startswith(_NOT_OUTPUT_PREFIXES) \
            and "/Assign" not in n.name

    consumed = {node_name(i) for n in graph_def.node if usable(n) for i in n.input}
    sinks = [n.name for n in graph_def.node if n.name not in consumed and usable(n)]
    # A training graph's sinks are its loss; the prediction is usually named like one.
    named_like = [n.name for n in graph_def.node if usable(n) and n.name not in sinks
             and _OUTPUT_NAME.search(n.name.rsplit("/", 1)[-1])]
    return ((named_like if named else []) + sinks)[:limit]


def prune(graph_def: Any, outputs: list[str]) -> Any:
    """Keep only what OUTPUTS need (extract_sub_graph wants node names without `:0`)."""
    import tensorflow as tf

    names = [node_name(o) for o in outputs]
    known = {n.name for n in graph_def.node}
    missing = [n for n in names if n not in known]
    if missing:
        raise InvalidRequest(f"no node named {', '.join(missing)} in the graph; likely "
                             f"outputs: {', '.join(output_candidates(graph_def))}")
    return quiet_tf1(tf.compat.v1.graph_util.extract_sub_graph, graph_def, names)


def quiet_tf1(fn: Any, *args: Any) -> Any:
    """A TF1 graph helper (they keep NodeDefs as they are) without the deprecation notice it
    prints on stderr at every call."""
    from tensorflow.python.util import deprecation

    with deprecation.silence():
        return fn(*args)


def _check_outputs(graph_def: Any, outputs: list[str] | None, what: str) -> list[str]:
    if outputs:
        return [tensor_name(o) for o in outputs]
    found = output_candidates(graph_def)
    raise InvalidRequest("--outputs is required; likely outputs: "
                         f"{', '.join(found) or '(none found)'}", what)


def from_graphdef(path: str, outputs: list[str] | None, graph: Any = None) -> Frozen:
    """A GraphDef pruned to OUTPUTS (default: its sink nodes); GRAPH: PATH already parsed."""
    graph = graph if graph is not None else read_graphdef(path)
    outs = [tensor_name(o) for o in outputs] if outputs else \
        [tensor_name(n) for n in output_candidates(graph, limit=1000, named=False)]
    if not outs:
        raise InvalidRequest("no output found in the graph: pass --outputs", path)
    pruned = prune(graph, outs)
    warnings = []
    if any(n.op in ("VariableV2", "VarHandleOp", "Variable") for n in pruned.node):
        warnings.append("graph holds variables: it is not frozen (its checkpoint is needed)")
    return Frozen(pruned, placeholders(pruned), outs, warnings=warnings)


def keras_concrete(model: Any) -> Any:
    """MODEL as one concrete function of its input specs, in inference mode."""
    import tensorflow as tf

    specs = keras_input_specs(model)
    single = len(specs) == 1
    fn = tf.function(lambda *xs: model(xs[0] if single else list(xs), training=False))
    return fn.get_concrete_function(*specs)


def from_keras(model: Any) -> Frozen:
    """Freeze a live Keras model."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    frozen = convert_variables_to_constants_v2(keras_concrete(model))
    graph_def = _outputs_only(frozen.graph.as_graph_def(), frozen)
    return Frozen(graph_def, [t.name for t in frozen.inputs], [t.name for t in frozen.outputs])


def _outputs_only(graph_def: Any, frozen: Any) -> Any:
    """Drop what the outputs do not need (the function's trailing NoOp), keeping inputs."""
    import tensorflow as tf

    keep = [node_name(t.name) for t in list(frozen.outputs) + list(frozen.inputs)]
    return quiet_tf1(tf.compat.v1.graph_util.extract_sub_graph, graph_def, keep)


def keras_input_specs(model: Any) -> list[Any]:
    import tensorflow as tf

    specs = []
    for i, t in enumerate(model.inputs):
        name = str(getattr(t, "name", "") or f"input_{i}").split(":")[0]
        name = name.replace("/", "_") or f"input_{i}"
        shape = [None if d is None else int(d) for d in tuple(t.shape)]
        specs.append(tf.TensorSpec(shape, tf.as_dtype(_dtype_name(t.dtype)), name=name))
    return specs


def _dtype_name(dtype: Any) -> str:
    return getattr(dtype, "name", None) or str(dtype)


def load_savedmodel(path: str) -> Any:
    """tf.saved_model.load, once per conversion (it runs a TF1 SavedModel's main op: the
    caller checks trust first)."""
    import tensorflow as tf

    try:
        return tf.saved_model.load(path)
    except Exception as exc:  # noqa: BLE001 - TF raises many types
        raise ConvertError(f"TensorFlow cannot load the SavedModel: {exc}", path) from exc


def signature_key(sigs: Any, signature: str | None, path: str) -> str:
    """The signature asked for, else serving_default, else the first by name; an InvalidRequest
    naming PATH when there is none or the asked one is missing (freeze, verify, run, TF1)."""
    if not sigs:
        raise InvalidRequest("the SavedModel has no signatures", path)
    key = signature or ("serving_default" if "serving_default" in sigs else sorted(sigs)[0])
    if key not in sigs:
        raise InvalidRequest(f"no signature '{key}'; it has: {', '.join(sorted(sigs))}", path)
    return key


def from_savedmodel(path: str, signature: str | None, loaded: Any = None) -> Frozen:
    """Freeze one signature of any SavedModel (TF1 or TF2, Keras or not)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    loaded = loaded if loaded is not None else load_savedmodel(path)
    sigs = dict(loaded.signatures)
    key = signature_key(sigs, signature, path)
    fn = sigs[key]
    frozen = convert_variables_to_constants_v2(fn)
    outs = [t.name for t in frozen.outputs]
    keys = sorted(fn.structured_outputs) if isinstance(fn.structured_outputs, dict) else []
    aliases = dict(zip(keys, outs, strict=False)) if len(keys) == len(outs) else {}
    warnings = [] if signature else [f"froze signature '{key}' (of {', '.join(sorted(sigs))})"]
    return Frozen(_outputs_only(frozen.graph.as_graph_def(), frozen),
                  [t.name for t in frozen.inputs], outs,
                  aliases, warnings)


def from_checkpoint(path: str, outputs: list[str] | None) -> Frozen:
    """Freeze a TF1 checkpoint with its .meta; old meta graphs get a valid version first."""
    import tensorflow as tf

    from .sources import checkpoint_parts

    meta_path, prefix = checkpoint_parts(path)
    meta = tf.compat.v1.MetaGraphDef()
    with open(meta_path, "rb") as f:
        meta.ParseFromString(f.read())
    warnings = _fix_version(meta)
    if not outputs:
        outputs = bundle_outputs(meta, meta_path, warnings)
    outs = _check_outputs(meta.graph_def, outputs, meta_path)
    graph = tf.Graph()
    with graph.as_default():
        try:
            saver = tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)
        except Exception as exc:  # noqa: BLE001
            raise ConvertError(f"cannot import the meta graph: {exc}", meta_path) from exc
        with tf.compat.v1.Session(graph=graph) as sess:
            try:
                _restore(sess, graph, saver, prefix)
            except Exception as exc:  # noqa: BLE001
                raise ConvertError(f"cannot restore the checkpoint {prefix}: "
                                   f"{' '.join(str(exc).split())[:300]}", path) from exc
            graph_def = graph.as_graph_def()
            prune(graph_def, outs)  # clear error for unknown names
            frozen = quiet_tf1(tf.compat.v1.graph_util.convert_variables_to_constants,
                               sess, graph_def, [node_name(o) for o in outs])
            frozen = _fold_old_variables(sess, frozen)
    return Frozen(frozen, placeholders(frozen), outs, warnings=warnings)


def bundle_outputs(meta: Any, meta_path: str, warnings: list[str]) -> list[str] | None:
    """A SessionBundle export's default outputs (its `serving_signatures`), or None."""
    from ..formats.tf import session_bundle

    try:
        found = session_bundle.default_outputs(meta)
    except FormatError as exc:
        exc.path = exc.path or meta_path
        raise
    if found:
        warnings.append(f"outputs from the SessionBundle signatures: {', '.join(found)}")
    return found or None


def _fix_version(meta: Any) -> list[str]:
    """TF 2.21 refuses meta graphs whose tensorflow_version does not parse (`0.12.head`)."""
    from packaging.version import InvalidVersion, Version

    version = meta.meta_info_def.tensorflow_version
    if not version:  # TensorFlow reads a missing version as "before 1.9"
        return []
    try:
        Version(version)
        return []
    except InvalidVersion:
        meta.meta_info_def.tensorflow_version = "1.0.0"
        return [f"meta graph records tensorflow_version '{version}': read as 1.0.0"]


def write_graphdef(graph_def: Any, path: str, as_text: bool) -> None:
    from google.protobuf import text_format

    if as_text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(graph_def))
    else:
        with open(path, "wb") as f:
            f.write(graph_def.SerializeToString())


def run_checkpoint(path: str, inputs: list[str], outputs: list[str],
                   arrays: list[Any]) -> list[Any]:
    """Run the checkpoint's own graph (restored variables, not our frozen copy)."""
    import tensorflow as tf

    from .sources import checkpoint_parts

    meta_path, prefix = checkpoint_parts(path)
    meta = tf.compat.v1.MetaGraphDef()
    with open(meta_path, "rb") as f:
        meta.ParseFromString(f.read())
    _fix_version(meta)
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)
        with tf.compat.v1.Session(graph=graph) as sess:
            _restore(sess, graph, saver, prefix)
            return list(sess.run(outputs, feed_dict=dict(zip(inputs, arrays, strict=True))))


def _restore(sess: Any, graph: Any, saver: Any, prefix: str) -> None:
    """Restore with the meta graph's own saver; old savers (V1 `RestoreSlice`) may leave
    variables unset here, so those are restored again by a fresh Saver, by name."""
    import tensorflow as tf

    if saver is not None:
        saver.restore(sess, prefix)
    missing = [m.decode() for m in
               sess.run(tf.compat.v1.report_uninitialized_variables())] if graph.get_operations() \
        else []
    if not missing:
        return
    stored = {name for name, _ in tf.train.list_variables(prefix)}
    refs = {name: graph.get_tensor_by_name(f"{name}:0") for name in missing if name in stored
            and graph.get_operation_by_name(name).type in ("Variable", "VariableV2")}
    if refs:
        tf.compat.v1.train.Saver(var_list=refs).restore(sess, prefix)


def _fold_old_variables(sess: Any, graph_def: Any) -> Any:
    """TF 2.21's convert_variables_to_constants skips the pre-1.0 `Variable` op; fold those
    into Consts with their restored values (the same thing it does for VariableV2)."""
    import tensorflow as tf

    old = [n for n in graph_def.node if n.op == "Variable"]
    if not old:
        return graph_def
    values = sess.run([f"{n.name}:0" for n in old])
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    by_name = {n.name: v for n, v in zip(old, values, strict=True)}
    for node in out.node:
        if node.name in by_name:
            value = by_name[node.name]
            node.op = "Const"
            for key in list(node.attr):
                del node.attr[key]
            node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
    return out
