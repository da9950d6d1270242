"""SavedModels TF 2's loader rejects, loaded by the TF1 loader in a graph session.

TF 2.21's `tf.saved_model.load` prunes every signature of a TF1 SavedModel and sets each
signature's recorded shapes on the pruned graph, so one signature whose recorded shape
contradicts the graph ("Shapes must be equal rank, but are 2 and 1") fails the whole model,
even when another signature is wanted. `tf.compat.v1.saved_model.loader.load` in a v1 Session
restores the variables and runs the main op without touching the signatures, so every
signature can then be frozen, run and verified one by one (TECH-NOTES). The converter and
`kinspect run` both load through `load` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConvertError, InvalidRequest

TF2_LOADER = "tf.saved_model.load"
TF1_LOADER = "TF1 loader (tf.compat.v1.saved_model.loader.load)"


@dataclass
class V1SavedModel:
    """A SavedModel loaded by the TF1 loader: its graph, the session holding its restored
    variables, the MetaGraphDef loaded, and why TF 2's loader refused it."""

    path: str
    graph: Any
    session: Any
    meta_graph: Any
    tf2_error: str

    @property
    def signatures(self) -> dict[str, Any]:
        return dict(self.meta_graph.signature_def)

    def signature(self, key: str | None) -> tuple[str, Any]:
        """(key, SignatureDef): KEY, else serving_default, else the first by name."""
        from .freeze import signature_key

        sigs = self.signatures
        key = signature_key(sigs, key, self.path)
        return key, sigs[key]

    def tensors(self, key: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
        """(key, inputs, outputs) of a signature: tensor names by alias, aliases sorted (the
        order TensorFlow flattens a signature's keyword arguments and results in)."""
        key, sig = self.signature(key)

        def names(infos: Any) -> dict[str, str]:
            out = {}
            for alias in sorted(infos):
                if infos[alias].WhichOneof("encoding") != "name":
                    raise InvalidRequest(f"signature '{key}': {alias} is a sparse or composite "
                                         "tensor, which cannot be frozen or fed", self.path)
                out[alias] = infos[alias].name
            return out

        return key, names(sig.inputs), names(sig.outputs)

    def run(self, key: str | None, arrays: list[Any]) -> list[Any]:
        """The signature's outputs (sorted by alias) on ARRAYS (its inputs, sorted by alias)."""
        _, ins, outs = self.tensors(key)
        feed = dict(zip(ins.values(), arrays, strict=True))
        return list(self.session.run(list(outs.values()), feed_dict=feed))

    def close(self) -> None:
        self.session.close()


def serving_tags(path: str) -> list[str]:
    """The tags of the meta graph to load: `serve` when there is one, else the first's (the
    meta graph `kinspect info` shows)."""
    from ..formats.tf import savedmodel as tf_savedmodel

    saved = tf_savedmodel.parse(tf_savedmodel.locate(path)[1])
    tag_sets = [list(mg.meta_info_def.tags) for mg in saved.meta_graphs]
    return next((t for t in tag_sets if "serve" in t), tag_sets[0] if tag_sets else ["serve"])


def load_v1(path: str, tf2_error: BaseException | str) -> V1SavedModel:
    """PATH (a SavedModel folder) loaded by the TF1 loader in a new graph session; the main
    op runs (the caller checks trust first)."""
    import tensorflow as tf

    first = " ".join(str(tf2_error).split())[:300]
    graph = tf.Graph()
    sess = tf.compat.v1.Session(graph=graph)
    try:
        with graph.as_default():
            meta = tf.compat.v1.saved_model.loader.load(sess, serving_tags(path), path)
    except Exception as exc:  # noqa: BLE001 - TF raises many types
        sess.close()
        raise ConvertError(f"TensorFlow cannot load the SavedModel: {first}; TF1 loader: "
                           f"{' '.join(str(exc).split())[:300]}", path) from exc
    return V1SavedModel(path, graph, sess, meta, first)


def load(path: str) -> Any:
    """`tf.saved_model.load(PATH)`, else the TF1 loader: a loaded object or a V1SavedModel."""
    import tensorflow as tf

    try:
        return tf.saved_model.load(path)
    except Exception as exc:  # noqa: BLE001 - TF raises many types; the TF1 loader next
        return load_v1(path, exc)


def loader_note(loaded: Any) -> tuple[str, list[str]]:
    """(loader name, warnings) for a conversion report."""
    if isinstance(loaded, V1SavedModel):
        return TF1_LOADER, [f"tf.saved_model.load failed ({loaded.tf2_error}): loaded with "
                            "the TF1 SavedModel loader in a graph session"]
    return TF2_LOADER, []


def freeze_signature(loaded: V1SavedModel, signature: str | None) -> Any:
    """One signature of a TF1-loaded SavedModel as a Frozen graph: variables folded from the
    session, inputs made placeholders (an input may be any tensor, e.g. the Identity after a
    ParseExample), pruned to its outputs. Output aliases: the signature's keys."""
    import tensorflow as tf

    from .freeze import Frozen, _fold_old_variables, node_name, quiet_tf1

    key, ins, outs = loaded.tensors(signature)
    graph_def = _inputs_as_placeholders(loaded.graph.as_graph_def(), loaded.meta_graph
                                        .signature_def[key], ins)
    frozen = quiet_tf1(tf.compat.v1.graph_util.convert_variables_to_constants,
                       loaded.session, graph_def, [node_name(t) for t in outs.values()])
    frozen = _fold_old_variables(loaded.session, frozen)
    kept = {n.name for n in frozen.node}
    unused = [t for t in ins.values() if node_name(t) not in kept]
    if unused:
        raise InvalidRequest(f"signature '{key}': its outputs do not use input(s) "
                             f"{', '.join(unused)}", loaded.path)
    warnings = [] if signature else [f"froze signature '{key}' (of "
                                     f"{', '.join(sorted(loaded.signatures))})"]
    return Frozen(frozen, list(ins.values()), list(outs.values()), dict(outs), warnings)


def _inputs_as_placeholders(graph_def: Any, sig: Any, ins: dict[str, str]) -> Any:
    """A copy of GRAPH_DEF where each input tensor's node is a Placeholder of the dtype and
    shape the signature records, so the frozen graph is fed where the signature is."""
    import tensorflow as tf

    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    by_name = {n.name: n for n in out.node}
    for alias, tensor in ins.items():
        name, _, index = tensor.partition(":")
        node = by_name.get(name)
        if node is None or node.op == "Placeholder":
            continue
        if index not in ("", "0"):
            raise InvalidRequest(f"input {alias} is output {index} of {name}; only a node's "
                                 "first output can become a placeholder")
        info = sig.inputs[alias]
        node.op = "Placeholder"
        del node.input[:]
        for attr in list(node.attr):
            del node.attr[attr]
        node.attr["dtype"].type = info.dtype
        if info.HasField("tensor_shape"):
            node.attr["shape"].shape.CopyFrom(info.tensor_shape)
        else:  # not recorded (TF 1.0): unknown, not a scalar
            node.attr["shape"].shape.unknown_rank = True
    return out
