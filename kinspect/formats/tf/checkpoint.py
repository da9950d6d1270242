"""`tf-checkpoint`: TF1 and TF2 checkpoints, read without TensorFlow.

Accepts a prefix (`model.ckpt-100`), its `.index` or `.data-*` file, the companion `.meta`, a V1
checkpoint file, or a folder with a `checkpoint` file (every checkpoint it names is listed, the
latest is opened) such as an estimator's model dir with `graph.pbtxt`. Variables come from the
`.index` table with values read from the data shards only when asked; TF2 object-graph keys
(`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`) are shown as a tree.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any

from google.protobuf import message, text_format

from ...errors import FormatError
from ...model import Document, Kind, Node
from ...progress import NO_PROGRESS, Progress
from ..containers.probe import Probe
from ..reader import FormatReader
from . import bundle as tf_bundle
from . import graph_tree
from . import graphdef as tf_graphdef
from . import protos as tf_protos
from . import savedmodel as tf_savedmodel
from . import tensor as tf_tensor

ID = "tf-checkpoint"
LABEL = "TensorFlow checkpoint"
_DATA = re.compile(r"\.data-\d{5}-of-\d{5}$")


def match(probe: Probe) -> bool:
    path = probe.path
    if probe.is_dir:
        return os.path.isfile(os.path.join(path, "checkpoint")) or bool(
            glob.glob(os.path.join(glob.escape(path), "*.index")))
    if not probe.exists:
        return os.path.isfile(path + ".index")
    if probe.name == "checkpoint":
        return _state_text(path) is not None
    if probe.suffix == ".meta":
        return probe.head[:1] == b"\x0a"
    if probe.suffix == ".index" or _DATA.search(path):
        return tf_bundle.is_table(prefix_of(path) + ".index")
    # A V1 checkpoint is one table file, often without a suffix (`export`, `model.ckpt`).
    return tf_bundle.is_table(path)


def prefix_of(path: str) -> str:
    if path.endswith(".index"):
        return path[:-len(".index")]
    if path.endswith(".meta"):
        return path[:-len(".meta")]
    return _DATA.sub("", path)


def _state_text(path: str) -> Any | None:
    """The CheckpointState of a `checkpoint` file (text protobuf), or None."""
    try:
        with open(path, "rb") as f:
            text = f.read(1 << 20).decode("utf-8")
        state = tf_protos.CheckpointState()
        text_format.Parse(text, state, allow_unknown_field=True)
    except (OSError, UnicodeDecodeError, text_format.ParseError):
        return None
    return state if state.model_checkpoint_path or state.all_model_checkpoint_paths else None


def _resolve(folder: str, recorded: str) -> str:
    """A path recorded in `checkpoint` (relative, or absolute from another machine)."""
    candidates = [recorded if os.path.isabs(recorded) else os.path.join(folder, recorded),
                  os.path.join(folder, os.path.basename(recorded))]
    for cand in candidates:
        if os.path.exists(cand + ".index") or os.path.isfile(cand):
            return cand
    return candidates[-1]


def locate(path: str) -> tuple[str, list[str], list[str]]:
    """(prefix or V1 file to open, every checkpoint listed, warnings)."""
    warnings: list[str] = []
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    listed: list[str] = []
    state_file = os.path.join(folder, "checkpoint")
    state = _state_text(state_file) if os.path.isfile(state_file) else None
    if state is not None:
        listed = [_resolve(folder, p) for p in state.all_model_checkpoint_paths]
        latest = _resolve(folder, state.model_checkpoint_path) \
            if state.model_checkpoint_path else (listed[-1] if listed else "")
        if latest and latest not in listed:
            listed.append(latest)
    else:
        latest = ""
    if os.path.isdir(path) or os.path.basename(path) == "checkpoint":
        if not latest:
            found = sorted(glob.glob(os.path.join(glob.escape(folder), "*.index")),
                           key=os.path.getmtime)
            if not found:
                raise FormatError("folder holds no checkpoint")
            latest = found[-1][:-len(".index")]
            listed = [f[:-len(".index")] for f in found]
        if not (os.path.exists(latest + ".index") or os.path.isfile(latest)):
            warnings.append(f"'checkpoint' names {os.path.basename(latest)}, which is missing")
        return latest, listed, warnings
    return prefix_of(path), listed or [prefix_of(path)], warnings


@tf_tensor.as_format_errors
def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading checkpoint index")
    prefix, listed, warnings = locate(path)
    meta_path = _companion_meta(path, prefix)
    doc = _graph_document(path, meta_path, prefix)
    doc.warnings += warnings
    root = doc.root
    object_graph = None
    if os.path.exists(prefix + ".index"):
        header, doc.variables, object_graph = tf_bundle.read_bundle(prefix)
        doc.producer["checkpoint_format"] = "V2"
        root.attrs["shards"] = header.num_shards
    elif os.path.isfile(prefix):
        doc.variables = tf_bundle.read_v1(prefix)
        doc.producer["checkpoint_format"] = "V1"
    else:
        doc.warnings.append(f"no checkpoint data for {os.path.basename(prefix)}")
    progress.step(0.7, "building tree")
    root.attrs["checkpoint"] = prefix
    doc.extra["checkpoint"] = prefix
    doc.extra["checkpoints"] = listed
    if len(listed) > 1 or (listed and listed[-1] != prefix):
        root.add(Node(Kind.GROUP, "Checkpoints", str(len(listed)), children=[
            Node(Kind.ATTRIBUTE, os.path.basename(p),
                 "opened" if p == prefix else "checkpoint", attrs={"prefix": p})
            for p in listed]))
    trackable = object_graph is not None
    doc.producer["checkpoint_kind"] = "TF2 object-based" if trackable else "TF1 name-based"
    branch = graph_tree.variables_branch(doc.variables)
    if branch is not None:
        root.children.insert(0, branch)
        branch.parent = root
    if trackable:
        root.add(_object_graph_branch(object_graph, {v.name: v for v in doc.variables}))
    progress.step(1.0, "done")
    return doc


def _companion_meta(path: str, prefix: str) -> str | None:
    for cand in (path if path.endswith(".meta") else "", prefix + ".meta"):
        if cand and os.path.isfile(cand):
            return cand
    metas = sorted(glob.glob(os.path.join(glob.escape(os.path.dirname(prefix) or "."),
                                          "*.meta")), key=os.path.getmtime)
    return metas[-1] if metas else None


companion_meta = _companion_meta  # public for kinspect.convert (one locator for both)


def _graph_document(path: str, meta_path: str | None, prefix: str) -> Document:
    """The graph that goes with the checkpoint: its `.meta`, or an estimator's graph.pbtxt."""
    if meta_path is not None:
        with open(meta_path, "rb") as f:
            data = f.read()
        mg = tf_protos.MetaGraphDef()
        try:
            mg.ParseFromString(data)
        except message.DecodeError as exc:
            raise FormatError(f"broken .meta graph: {exc}") from exc
        doc = tf_savedmodel.meta_graph_document(path, ID, mg, LABEL)
        doc.warnings = [w for w in doc.warnings if not w.startswith("no signatures")]
        if not mg.signature_def:
            doc.warnings.append("meta graph has no signatures: name the input and output "
                                "tensors when converting")
        doc.root.attrs["meta graph"] = meta_path
        doc.extra["meta_graph"] = meta_path
        return doc
    pbtxt = os.path.join(os.path.dirname(prefix) or ".", "graph.pbtxt")
    if os.path.isfile(pbtxt):
        doc = tf_graphdef.graph_document(path, ID, tf_graphdef.parse(pbtxt))
        doc.root.type = LABEL
        doc.root.attrs["graph"] = pbtxt
        doc.extra["graph"] = pbtxt
        doc.extra.pop("frozen", None)
        return doc
    doc = Document(path=path, format=ID, root=graph_tree.root_node(path, LABEL))
    doc.warnings.append("no .meta graph or graph.pbtxt beside the checkpoint: variables only")
    return doc


def _object_graph_branch(serialized: bytes, by_key: dict[str, Any]) -> Node:
    """TF2 object graph: objects by the names the program gave them, with their variables."""
    og = tf_protos.TrackableObjectGraph.FromString(serialized)

    def rows(i: int, seen: frozenset[int]) -> list[Node]:
        out = []
        obj = og.nodes[i]
        for attr in obj.attributes:
            tensor = by_key.get(attr.checkpoint_key)
            out.append(Node(Kind.VARIABLE if tensor is not None else Kind.ATTRIBUTE, attr.name,
                            tensor.dtype if tensor is not None else "saved value", tensor=tensor,
                            attrs={"checkpoint key": attr.checkpoint_key}))
        for ref in obj.children:
            j = ref.node_id
            child = og.nodes[j] if j < len(og.nodes) else None
            keys = [a.checkpoint_key for a in child.attributes] if child is not None else []
            out.append(Node(Kind.GROUP, ref.local_name, keys[0] if len(keys) == 1 else "",
                            attrs={"node_id": j},
                            children_factory=None if child is None or j in seen
                            else (lambda j=j: rows(j, seen | {j}))))
        return out

    return Node(Kind.GROUP, "Object graph", f"{len(og.nodes)} objects",
                children_factory=lambda: rows(0, frozenset({0})))


READER = FormatReader(ID, LABEL, match, read)
