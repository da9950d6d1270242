"""`tf-savedmodel`: a SavedModel folder (TF1 or TF2), its `saved_model.pb`, or a TF Serving
parent holding numbered versions. Read as data: nothing is loaded through TensorFlow's runtime.

Shows meta graphs and tags, signatures as `saved_model_cli show --all` lists them, the graph,
functions, variables from `variables/variables.index` (values on demand), Keras layers from
`keras_metadata.pb`, the object graph, assets and the fingerprint.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from google.protobuf import message

from ...errors import FormatError
from ...model import Document, Kind, Node, Signature, TensorSpec
from ...progress import NO_PROGRESS, Progress
from ..containers import bounds, pb_wire
from ..containers.probe import Probe
from ..reader import FormatReader
from . import bundle as tf_bundle
from . import graph_tree
from . import graphdef as tf_graphdef
from . import protos as tf_protos
from . import tensor as tf_tensor

ID = "tf-savedmodel"
LABEL = "TensorFlow SavedModel"
PB, PBTXT = "saved_model.pb", "saved_model.pbtxt"
# Files that are only parts of a SavedModel: opened, they show the SavedModel beside them.
PARTS = ("keras_metadata.pb", "fingerprint.pb")
_TEXT_START = pb_wire.text_start("saved_model_schema_version", "meta_graphs")


def _model_file(folder: str) -> str | None:
    for name in (PB, PBTXT):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def versions(folder: str) -> list[str]:
    """Numbered version folders holding a SavedModel, as TF Serving lays them out, ascending."""
    try:
        names = [n for n in os.listdir(folder) if n.isdigit()]
    except OSError:
        return []
    return [n for n in sorted(names, key=int) if _model_file(os.path.join(folder, n))]


def locate(path: str) -> tuple[str, str, list[str]]:
    """(model folder, saved_model.pb(txt) path, numbered versions when given a Serving parent)."""
    if os.path.isdir(path):
        found = _model_file(path)
        if found:
            return path, found, []
        numbered = versions(path)
        if numbered:
            folder = os.path.join(path, numbered[-1])
            return folder, _model_file(folder) or "", numbered
        raise FormatError("folder holds no saved_model.pb")
    folder = os.path.dirname(path) or "."
    if os.path.basename(path) in PARTS:
        found = _model_file(folder)
        if found:
            return folder, found, []
    return folder, path, []


def match(probe: Probe) -> bool:
    if probe.is_dir:
        return bool(_model_file(probe.path) or versions(probe.path))
    if not probe.exists:
        return False
    if probe.name in (PB, PBTXT):
        return True
    if probe.name in PARTS and _model_file(os.path.dirname(probe.path) or "."):
        return True
    head = probe.head
    # SavedModel: field 1 saved_model_schema_version (varint 1) then field 2 meta_graphs.
    if head[:3] == b"\x08\x01\x12":
        return True
    text = probe.text_head()
    return text is not None and bool(_TEXT_START.match(text))


def parse(path: str) -> Any:
    """The SavedModel in a file, binary or text (decided by content, as tf_graphdef does)."""
    with open(path, "rb") as f:
        data = f.read()
    saved = pb_wire.parse(data, tf_protos.SavedModel(), _TEXT_START, "SavedModel")
    if not saved.meta_graphs:
        raise FormatError("SavedModel holds no meta graph")
    return saved


def main_meta_graph(saved: Any) -> Any:
    """The meta graph tagged `serve` (what Serving and `saved_model_cli` use), else the first."""
    return next((mg for mg in saved.meta_graphs if "serve" in mg.meta_info_def.tags),
                saved.meta_graphs[0])


def signatures(meta_graph: Any) -> dict[str, Signature]:
    """Signature defs in `saved_model_cli show --all` order: keys and aliases sorted."""
    out: dict[str, Signature] = {}
    for key in sorted(meta_graph.signature_def):
        sd = meta_graph.signature_def[key]
        out[key] = Signature(key, sd.method_name,
                             {alias: tensor_spec(sd.inputs[alias]) for alias in sorted(sd.inputs)},
                             {alias: tensor_spec(sd.outputs[alias])
                              for alias in sorted(sd.outputs)})
    return out


def tensor_spec(info: Any) -> TensorSpec:
    encoding = info.WhichOneof("encoding")
    if encoding == "coo_sparse":
        name = info.coo_sparse.values_tensor_name
    elif encoding == "composite_tensor":
        name = "composite tensor"
    else:
        name = info.name
    # An absent tensor_shape reads as a scalar, as `saved_model_cli` prints it: "()".
    shape = tf_tensor.shape_of(info.tensor_shape)
    return TensorSpec(name, tf_protos.dtype_name(info.dtype), shape)


@tf_tensor.as_format_errors
def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    folder, pb_path, numbered = locate(path)
    progress.step(0.0, "parsing saved_model.pb")
    saved = parse(pb_path)
    mg = main_meta_graph(saved)
    progress.step(0.4, "indexing nodes")
    doc = meta_graph_document(path, ID, mg, LABEL)
    doc.producer["saved_model_schema_version"] = saved.saved_model_schema_version
    doc.extra["tags"] = [list(m.meta_info_def.tags) for m in saved.meta_graphs]
    root = doc.root
    root.attrs["folder"] = folder
    if os.path.basename(path) in PARTS:
        doc.warnings.append(f"{os.path.basename(path)} is part of a SavedModel: showing the "
                            f"SavedModel in {os.path.basename(os.path.abspath(folder))}")
    if numbered:
        root.attrs["versions"] = numbered
        doc.extra["versions"] = numbered
        doc.warnings.append(f"TF Serving layout: showing version {numbered[-1]} "
                            f"of {', '.join(numbered)}")
    if len(saved.meta_graphs) > 1:
        root.add(_meta_graphs_branch(saved))
    progress.step(0.7, "reading variables")
    prefix = os.path.join(folder, "variables", "variables")
    if os.path.exists(prefix + ".index"):
        try:
            _header, doc.variables, _og = tf_bundle.read_bundle(prefix)
        except FormatError as exc:
            doc.warnings.append(f"variables/variables.index: {exc.message}")
            root.add(Node(Kind.ERROR, "Variables", error=exc.message))
    elif _has_variable_ops(doc):
        doc.warnings.append("SavedModel has variable ops but no variables/variables.index")
    branch = graph_tree.variables_branch(doc.variables)
    if branch is not None:
        root.add(branch)
    for title, build in (("Keras layers (keras_metadata.pb)", lambda: _keras_branch(folder, doc)),
                         ("Assets", lambda: _assets_branch(folder, mg)),
                         ("Fingerprint", lambda: _fingerprint_branch(folder, doc)),
                         ("Object graph", lambda: _object_graph_branch(mg))):
        extra = _optional_branch(title, build, doc)
        if extra is not None:
            root.add(extra)
    progress.step(1.0, "done")
    return doc


def _optional_branch(title: str, build: Callable[[], Node | None], doc: Document
                     ) -> Node | None:
    """An optional extra (keras_metadata.pb, assets, fingerprint.pb, object graph): when broken
    it becomes an error row and a warning, as variables.index does, and the model still opens."""
    try:
        return build()
    except (FormatError, *tf_tensor.DAMAGE) as exc:
        error = exc.message if isinstance(exc, FormatError) else f"{type(exc).__name__}: {exc}"
        doc.warnings.append(f"{title}: {error}")
        return Node(Kind.ERROR, title, error=error)


def git_version(text: str) -> str:
    """TF 1.x under Python 3 stored str(bytes) in this field, quotes and all
    ("b'v1.11.0-rc2-4-gc19e29306c'"); the version is what is inside."""
    if len(text) > 3 and text[:2] in ("b'", 'b"') and text[-1] == text[1]:
        return text[2:-1]
    return text


def meta_graph_document(path: str, fmt: str, mg: Any, label: str) -> Document:
    """A Document over one MetaGraphDef (SavedModel, or a checkpoint's `.meta`)."""
    info = mg.meta_info_def
    table = graph_tree.op_outputs_from_op_list(info.stripped_op_list) \
        if len(info.stripped_op_list.op) else None
    nodes = graph_tree.graph_nodes(mg.graph_def.node, table)
    root = graph_tree.root_node(
        path, label, tags=list(info.tags), tensorflow_version=info.tensorflow_version,
        tensorflow_git_version=git_version(info.tensorflow_git_version), nodes=len(nodes))
    sigs = signatures(mg)
    doc = Document(path=path, format=fmt, root=root, nodes=nodes, signatures=sigs)
    doc.extra["placeholders"] = [n.name for n in nodes if n.op in ("Placeholder",
                                                                    "PlaceholderV2")]
    doc.extra["functions"] = [f.signature.name for f in mg.graph_def.library.function]
    if info.tensorflow_version:
        doc.producer["tensorflow_version"] = info.tensorflow_version
    if info.tensorflow_git_version:
        doc.producer["tensorflow_git_version"] = git_version(info.tensorflow_git_version)
    doc.producer.update(tf_graphdef.producer(mg.graph_def))
    sig_branch = graph_tree.signatures_branch(sigs)
    if sig_branch is not None:
        root.add(sig_branch)
    else:
        doc.warnings.append("no signatures: give input and output tensor names explicitly "
                            "when converting or serving")
    for branch in tf_graphdef.graph_branches(nodes, mg.graph_def):
        root.add(branch)
    return doc


def _has_variable_ops(doc: Document) -> bool:
    return any(n.op in ("VarHandleOp", "VariableV2", "Variable") for n in doc.nodes)


def _meta_graphs_branch(saved: Any) -> Node:
    rows = [Node(Kind.GROUP, ", ".join(mg.meta_info_def.tags) or "(no tags)", "meta graph",
                 attrs={"tags": list(mg.meta_info_def.tags), "nodes": len(mg.graph_def.node),
                        "signatures": sorted(mg.signature_def)})
            for mg in saved.meta_graphs]
    return Node(Kind.GROUP, "Meta graphs", str(len(rows)), children=rows)


def _keras_branch(folder: str, doc: Document) -> Node | None:
    """Layers recorded by tf.keras in keras_metadata.pb (JSON per object, read as data)."""
    path = os.path.join(folder, "keras_metadata.pb")
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        raw = f.read()
    try:
        objects = [(o.node_path, o.identifier, o.metadata)
                   for o in tf_protos.SavedMetadata.FromString(raw).nodes]
    except message.DecodeError:
        # Some writers (TensorFlow.NET) put bytes that are not UTF-8 in the string fields,
        # which protobuf refuses; the wire format is simple enough to read leniently.
        objects = _lenient_saved_metadata(raw)
        doc.warnings.append("keras_metadata.pb is malformed (bad UTF-8 or lengths): "
                            f"showing the {len(objects)} object(s) that could be read")
    rows = []
    for node_path, identifier, metadata in objects:
        try:
            data = bounds.loads_json(metadata, "keras_metadata.pb") if metadata else {}
        except (ValueError, FormatError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        name = data.get("name") or node_path
        rows.append(Node(Kind.LAYER, str(name), str(data.get("class_name", identifier)),
                         attrs={"node_path": node_path, "identifier": identifier,
                                **{k: v for k, v in data.items() if k not in ("config",)},
                                "config": data.get("config")}))
    doc.extra["keras_layers"] = [{"node_path": r.attrs["node_path"], "name": r.name,
                                  "class_name": r.type} for r in rows]
    return Node(Kind.GROUP, "Keras layers (keras_metadata.pb)", str(len(rows)), children=rows)


def _lenient_saved_metadata(raw: bytes) -> list[tuple[str, str, str]]:
    """(node_path, identifier, metadata) of each SavedObject, read leniently.

    Each object is found by its `node_path` field (tag 0x1a, a path starting "root") rather
    than by the enclosing lengths, which some writers get wrong; text is decoded with
    replacement characters.
    """
    out = []
    for found in re.finditer(rb"\x1a[\x01-\x7f]root", raw):
        strings = {f: v.decode("utf-8", "replace") for f, v in _fields(raw[found.start():])
                   if isinstance(v, bytes)}
        metadata = strings.get(5, "")
        brace = raw.find(b"{", found.start())
        if brace != -1:  # the JSON's own end, not the (possibly wrong) stated length
            try:
                obj, _end = json.JSONDecoder().raw_decode(raw[brace:].decode("utf-8", "replace"))
                metadata = json.dumps(obj)
            except ValueError:
                pass
        out.append((strings.get(3, ""), strings.get(4, ""), metadata))
    return out


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """Top-level (field number, varint or bytes) pairs of a protobuf message."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = pb_wire.varint_or_end(buf, pos)
        if key < 0:
            break
        field, wire = key >> 3, key & 7
        if any(f == field for f, _v in out):  # the next object begins
            break
        if wire == 0:
            value, pos = pb_wire.varint_or_end(buf, pos)
            if value < 0:
                break
            out.append((field, value))
        elif wire == 2:
            size, pos = pb_wire.varint_or_end(buf, pos)
            if size < 0:
                break
            out.append((field, buf[pos:pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:  # misframed (TensorFlow.NET writes wrong lengths): keep what was read
            break
    return out


def _assets_branch(folder: str, mg: Any) -> Node | None:
    rows = [Node(Kind.ATTRIBUTE, a.filename, "asset", attrs={"tensor": a.tensor_info.name})
            for a in mg.asset_file_def]
    listed = {r.name for r in rows}
    assets = os.path.join(folder, "assets")
    if os.path.isdir(assets):
        for name in sorted(os.listdir(assets)):
            if name not in listed:
                rows.append(Node(Kind.ATTRIBUTE, name, "asset file",
                                 attrs={"size": os.path.getsize(os.path.join(assets, name))}))
    return Node(Kind.GROUP, "Assets", str(len(rows)), children=rows) if rows else None


def _fingerprint_branch(folder: str, doc: Document) -> Node | None:
    path = os.path.join(folder, "fingerprint.pb")
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        fp = tf_protos.FingerprintDef.FromString(f.read())
    attrs = {field.name: value for field, value in fp.ListFields()
             if field.name != "version"}
    doc.extra["fingerprint"] = {k: v for k, v in attrs.items() if isinstance(v, int)}
    return Node(Kind.GROUP, "Fingerprint", "", attrs=attrs, children=[
        Node(Kind.ATTRIBUTE, k, "", attrs={"value": v}) for k, v in attrs.items()])


def _object_graph_branch(mg: Any) -> Node | None:
    """The TF2 object graph from the root object, children named as the program named them."""
    og = mg.object_graph_def
    if not len(og.nodes):
        return None

    def rows(i: int, seen: frozenset[int]) -> list[Node]:
        out = []
        for ref in og.nodes[i].children:
            j = ref.node_id
            obj = og.nodes[j] if j < len(og.nodes) else None
            kind = obj.WhichOneof("kind") if obj is not None else "missing"
            attrs: dict[str, Any] = {"node_id": j}
            if kind == "variable":
                attrs.update(name=obj.variable.name,  # type: ignore[union-attr]
                             dtype=tf_protos.dtype_name(obj.variable.dtype),  # type: ignore
                             shape=str(tf_tensor.shape_of(obj.variable.shape)))  # type: ignore
            out.append(Node(Kind.GROUP, ref.local_name, kind or "", attrs=attrs,
                            children_factory=None if j in seen or obj is None or not obj.children
                            else (lambda j=j: rows(j, seen | {j}))))
        return out

    return Node(Kind.GROUP, "Object graph", f"{len(og.nodes)} objects",
                children_factory=lambda: rows(0, frozenset({0})))


READER = FormatReader(ID, LABEL, match, read)
