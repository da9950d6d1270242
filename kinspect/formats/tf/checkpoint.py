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
from . import graph_tree, session_bundle
from . import graphdef as tf_graphdef
from . import protos as tf_protos
from . import savedmodel as tf_savedmodel
from . import tensor as tf_tensor

ID = "tf-checkpoint"
LABEL = "TensorFlow checkpoint"
_DATA = re.compile(r"\.data-\d{5}-of-\d{5}$")
# A V1 shard, or the pattern a sharded V1 saver records in `checkpoint` and returns.
_V1_SHARD = re.compile(r"-(?:\d{5}|\?{5})-of-(\d{5})$")


def match(probe: Probe) -> bool:
    path = probe.path
    if probe.is_dir:
        return os.path.isfile(os.path.join(path, "checkpoint")) or bool(
            glob.glob(os.path.join(glob.escape(path), "*.index"))) or \
            _bundle_folder(path) is not None
    if not probe.exists:
        # A prefix: V2 (`.index`), V1 (one file or shards), or only its `.meta` graph.
        return os.path.isfile(path + ".index") or os.path.isfile(path + ".meta") or \
            bool(v1_files(path))
    if probe.name == "checkpoint":
        return _state_text(path) is not None
    if probe.suffix == ".meta":
        return probe.head[:1] == b"\x0a"
    if probe.suffix == ".index" or _DATA.search(path):
        return tf_bundle.is_table(prefix_of(path) + ".index")
    # A V1 checkpoint is one table file, often without a suffix (`export`, `model.ckpt`).
    return tf_bundle.is_table(path)


def prefix_of(path: str) -> str:
    """The checkpoint prefix of any of its files: `.index`, `.meta`, a V2 `.data-*` shard, a
    V1 `-00000-of-00001` shard, or the `-?????-of-00001` pattern a V1 saver records."""
    if path.endswith(".index"):
        return path[:-len(".index")]
    if path.endswith(".meta"):
        return path[:-len(".meta")]
    return _V1_SHARD.sub("", _DATA.sub("", path))


def v1_files(prefix: str) -> list[str]:
    """The V1 checkpoint files of PREFIX: the file itself (an unsharded saver's), else its
    `PREFIX-?????-of-NNNNN` shards (a sharded saver's, every SessionBundle export's)."""
    if os.path.isfile(prefix) and tf_bundle.is_table(prefix):
        return [prefix]
    shards = sorted(glob.glob(glob.escape(prefix) + "-[0-9][0-9][0-9][0-9][0-9]-of-"
                              "[0-9][0-9][0-9][0-9][0-9]"))
    return [f for f in shards if tf_bundle.is_table(f)]


def restore_path(prefix: str) -> str:
    """What TensorFlow's Saver.restore wants for PREFIX: the prefix itself (V2 or one V1 file),
    or the V1 shards' file pattern (`export-?????-of-00001`), which it globs; the bare prefix
    of sharded V1 files fails with 'The passed save_path is not a valid checkpoint'."""
    if os.path.exists(prefix + ".index") or os.path.isfile(prefix):
        return prefix
    shards = v1_files(prefix)
    if not shards:
        return prefix
    total = {m.group(1) for m in (_V1_SHARD.search(f) for f in shards) if m}
    if len(total) != 1 or len(shards) != int(next(iter(total))):
        raise FormatError(f"V1 checkpoint {os.path.basename(prefix)} is incomplete: "
                          f"{len(shards)} shard file(s) of "
                          f"{' or '.join(sorted(total)) or '?'}")
    return f"{prefix}-?????-of-{next(iter(total))}"


def _has_data(prefix: str) -> bool:
    return os.path.exists(prefix + ".index") or bool(v1_files(prefix))


def _bundle_folder(path: str) -> str | None:
    """A SessionBundle export folder (`export.meta`), or a TF Serving model folder whose
    highest numeric version folder is one; None otherwise."""
    if os.path.isfile(os.path.join(path, "export.meta")):
        return path
    try:
        versions = [e for e in os.listdir(path) if e.isdigit()
                    and os.path.isfile(os.path.join(path, e, "export.meta"))]
    except OSError:
        return None
    return os.path.join(path, max(versions, key=int)) if versions else None


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
    """A prefix recorded in `checkpoint`, always inside FOLDER: a relative one joined to it,
    an absolute one (written on another machine, or before the folder was moved) or one that
    climbs out of the folder by its base name there. Nothing outside the folder is read."""
    base = os.path.realpath(folder)
    joined = os.path.normpath(os.path.join(folder, recorded))
    inside = not os.path.isabs(recorded) and \
        os.path.realpath(joined).startswith(base + os.sep)
    return prefix_of(joined if inside else os.path.join(folder, os.path.basename(recorded)))


def locate(path: str) -> tuple[str, list[str], list[str]]:
    """(prefix or V1 file to open, every checkpoint listed, warnings)."""
    warnings: list[str] = []
    if os.path.isdir(path):
        path = _bundle_folder(path) or path
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
            found = sorted(_folder_prefixes(folder), key=_mtime)
            if not found:
                raise FormatError("folder holds no checkpoint (no 'checkpoint' state file, "
                                  "no .index, no V1 checkpoint beside a .meta)")
            latest, listed = found[-1], found
        if not _has_data(latest):
            warnings.append(f"'checkpoint' names {os.path.basename(latest)}, which is missing")
        return latest, listed, warnings
    return prefix_of(path), listed or [prefix_of(path)], warnings


def _folder_prefixes(folder: str) -> list[str]:
    """Checkpoints in a folder without a state file: V2 `.index` prefixes, and `.meta`
    prefixes with V1 data (a SessionBundle export's `export`)."""
    pattern = os.path.join(glob.escape(folder), "*")
    out = {f[:-len(".index")] for f in glob.glob(pattern + ".index")}
    out |= {p for p in (f[:-len(".meta")] for f in glob.glob(pattern + ".meta"))
            if v1_files(p)}
    return list(out)


def _mtime(prefix: str) -> float:
    files = [prefix + ".index"] if os.path.exists(prefix + ".index") else v1_files(prefix)
    return max((os.path.getmtime(f) for f in files), default=0.0)


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
    elif v1 := v1_files(prefix):
        doc.variables = tf_bundle.read_v1(v1)
        doc.producer["checkpoint_format"] = "V1"
        if v1 != [prefix]:
            root.attrs["shards"] = len(v1)
    else:
        name = os.path.basename(prefix)
        doc.warnings.append(f"no checkpoint data for {name} (no {name}.index, no V1 file "
                            f"{name} or {name}-?????-of-?????)")
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
            _session_bundle_signatures(doc, mg)
        if not doc.signatures:
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


def _session_bundle_signatures(doc: Document, mg: Any) -> None:
    """A SessionBundle export's `serving_signatures` shown as the document's signatures."""
    try:
        doc.signatures = session_bundle.signatures(mg)
    except FormatError as exc:
        doc.warnings.append(f"SessionBundle signatures unreadable: {exc.message}")
        return
    branch = graph_tree.signatures_branch(doc.signatures)
    if branch is not None:
        doc.root.children.insert(0, branch)
        branch.parent = doc.root
        doc.producer["export_format"] = "SessionBundle"


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
