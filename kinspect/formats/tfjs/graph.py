"""`tfjs-graph`: a TensorFlow.js graph model, shown like the frozen GraphDef it was made from.

`modelTopology` is a GraphDef in protobuf's JSON mapping (tensorflowjs_converter writes it
with `MessageToDict`): parsed with `json_format` into TensorFlow's own GraphDef class (via
tf/protos, no TensorFlow runtime), so the graph rows, `:0` names, scopes and functions are the
GraphDef reader's. The converter strips every Const's values into the weight shards (it keeps
dtype and shape), so a Const row gets its tensor from the manifest by node name instead.
`signature` (inside `userDefinedMetadata` in old files) becomes the `serving_default`
signature; a `modelInitializer` (hash tables) is a second graph.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from ...errors import FormatError
from ...model import Document, Kind, Node, Signature, TensorInfo, TensorSpec
from ...progress import NO_PROGRESS, Progress
from ..containers.probe import Probe
from ..reader import FormatReader
from ..tf import graph_tree, graphdef
from ..tf import protos as tf_protos
from ..tf import tensor as tf_tensor
from ..tf.ops import graph_nodes
from . import common

ID = "tfjs-graph"
LABEL = "TensorFlow.js graph model"
SIGNATURE_KEY = "serving_default"


def match(probe: Probe) -> bool:
    return common.kind(probe) == "graph"


@tf_tensor.as_format_errors
def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading model.json")
    data = common.load_json(path)
    graph = parse_graph(data["modelTopology"], "modelTopology")
    progress.step(0.4, "checking the weight shards")
    weights = common.manifest(path, data)
    consts = {t.name: t for t in weights.tensors()}
    doc = graphdef.graph_document(path, ID, graph)
    doc.producer = {**common.producer(data), **doc.producer}
    doc.root.type = LABEL
    doc.root.attrs.update(common.manifest_attrs(weights))
    branches = [_with_weights(b, consts) for b in doc.root.children]
    signature = data.get("signature")
    metadata = data.get("userDefinedMetadata")
    if signature is None and isinstance(metadata, dict):
        signature = metadata.get("signature")  # TECH-NOTES: where old converters put it
    if isinstance(signature, dict):
        doc.signatures = {SIGNATURE_KEY: parse_signature(signature)}
        sig_branch = graph_tree.signatures_branch(doc.signatures)
        if sig_branch is not None:
            branches.insert(0, sig_branch)
    branches.append(graph_tree.variables_branch(list(consts.values()), "Weights")
                    or Node(Kind.GROUP, "Weights", "none"))
    if isinstance(metadata, dict) and metadata:
        from ..keras.document import config_node

        branches.append(config_node("User-defined metadata", metadata))
    initializer = data.get("modelInitializer")
    if isinstance(initializer, dict) and initializer:
        init = parse_graph(initializer, "modelInitializer")
        init_nodes = graph_nodes(init.node)
        branches.append(graph_tree.nodes_branch("Initializer graph", init_nodes, init.node,
                                                role=None))
        doc.extra["initializer_nodes"] = len(init_nodes)
    doc.root.set_children(branches)
    doc.warnings += common.manifest_warnings(weights)
    doc.extra["weights"] = [t.to_json() for t in consts.values()]
    missing = [n.name for n in doc.nodes if n.op == "Const" and n.name not in consts]
    if missing:
        doc.warnings.append(f"{len(missing)} Const node(s) without weights in the manifest "
                            f"(first: {missing[0]})")
    progress.step(1.0, "done")
    return doc


def parse_graph(topology: Any, what: str) -> Any:
    if not isinstance(topology, dict):
        raise FormatError(f"{what} is not a GraphDef object")
    try:
        return json_format.ParseDict(topology, tf_protos.GraphDef(), ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        raise FormatError(f"{what} is not a GraphDef in JSON: "
                          f"{' '.join(str(exc).split())[:200]}") from exc


def parse_signature(signature: dict[str, Any]) -> Signature:
    try:
        proto = json_format.ParseDict(signature, tf_protos.SignatureDef(),
                                      ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        raise FormatError(f"signature is not a SignatureDef in JSON: {exc}") from exc

    def specs(infos: Any) -> dict[str, TensorSpec]:
        return {alias: TensorSpec(info.name, tf_protos.dtype_name(info.dtype),
                                  tf_tensor.shape_of(info.tensor_shape)
                                  if info.HasField("tensor_shape") else None)
                for alias, info in infos.items()}

    return Signature(SIGNATURE_KEY, proto.method_name, specs(proto.inputs), specs(proto.outputs))


def _with_weights(branch: Node, consts: dict[str, TensorInfo]) -> Node:
    """The branch with every Const row's tensor taken from the manifest (the graph keeps only
    dtype and shape). Lazy branches stay lazy: rows are patched when they are built."""
    if isinstance(branch, graph_tree.GraphRow):
        if branch.type == "Const" and branch.name in consts:
            branch.tensor = consts[branch.name]
        return branch
    if not branch.may_have_children:
        return branch
    return Node(branch.kind, branch.name, branch.type, attrs=branch.attrs, role=branch.role,
                count=branch.count, params=branch.params, shape_text=branch.shape_text,
                children_factory=lambda: [_with_weights(c, consts) for c in branch.children])


READER = FormatReader(ID, LABEL, match, read)
