"""Keras 3 weight stores (`model.weights.h5` in a `.keras` zip, and `.weights.h5` files).

Keras 3 writes one group per saveable object: `layers/<key>/vars/0..N`, where `<key>` is the
snake-cased class name made unique (`dense`, `dense_1`) or, for an attribute, its name (`cell`,
`forward_layer`, `layer`), and the `vars` group carries the object's real name in its `name`
attribute. Variables are numbered, not named, so their names (and which ones are
non-trainable) come from a table of the built-in layers below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from ...errors import as_format_errors
from ...model import Layer, TensorInfo
from ...progress import NO_PROGRESS, Progress
from ..containers import h5_guard
from . import h5_weights

MAX_DEPTH = 64


@dataclass(eq=False)
class VarGroup:
    """One saveable object of the store: its key, real name, own variables, sub-objects."""

    key: str
    name: str
    path: str
    weights: list[TensorInfo] = field(default_factory=list)
    children: list[VarGroup] = field(default_factory=list)

    def walk(self) -> list[VarGroup]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def all_weights(self) -> list[TensorInfo]:
        return [w for group in self.walk() for w in group.weights]


def is_store(members: frozenset[str] | set[str]) -> bool:
    """Root members of a Keras 3 weight store (`layers` and/or `vars`, no `model_weights`)."""
    return ("vars" in members or "layers" in members) and "model_weights" not in members


def read_store(file_path: str, root: h5py.Group,
               open_h5: Callable[[], AbstractContextManager[h5py.File]] | None = None,
               progress: Progress = NO_PROGRESS) -> tuple[VarGroup, VarGroup | None]:
    """(model object, optimizer object or None) from the root of a store. `open_h5` reopens the
    store for reading values when it is not a plain file (the entry of a `.keras` zip)."""
    walk = _Walk(file_path, open_h5, progress, {root.id})
    model = walk.read(root, "", "", 0)
    optimizer = next((c for c in model.children if c.key == "optimizer"), None)
    model.children = [c for c in model.children if c.key != "optimizer"]
    return model, optimizer


@dataclass
class _Walk:
    """One walk of a store. HDF5 hard links can point back up (a cycle) or share a group
    between parents, so each group is read once: `seen` holds the ids of groups already read."""

    file_path: str
    open_h5: Callable[[], AbstractContextManager[h5py.File]] | None
    progress: Progress
    seen: set[Any]

    def read(self, group: h5py.Group, key: str, path: str, depth: int) -> VarGroup:
        self.progress.check()
        vars_group = group.get("vars")
        name = key
        weights: list[TensorInfo] = []
        if isinstance(vars_group, h5py.Group) and vars_group.id not in self.seen:
            self.seen.add(vars_group.id)
            name = h5_weights.text(vars_group.attrs.get("name", key))
            for var_key in sorted(vars_group.keys(), key=_number):
                dataset = vars_group[var_key]
                if isinstance(dataset, h5py.Dataset):
                    info = h5_weights.tensor_info(self.file_path, dataset,
                                                  dataset.name.lstrip("/"))
                    if self.open_h5 is not None:
                        info.loader, info.slicer = _readers(self.open_h5, dataset.name)
                    weights.append(info)
        node = VarGroup(key=key, name=name, path=path, weights=weights)
        if depth >= MAX_DEPTH:
            return node
        for sub_key in group.keys():
            sub = group.get(sub_key)
            if sub_key == "vars" or not self._first_visit(sub):
                continue
            sub_path = f"{path}/{sub_key}" if path else sub_key
            if "vars" in sub or sub_key in ("optimizer",):
                node.children.append(self.read(sub, sub_key, sub_path, depth + 1))
            else:  # a container (a list attribute such as `layers`): its items are objects
                for item_key in sub.keys():
                    item = sub.get(item_key)
                    if self._first_visit(item):
                        node.children.append(self.read(item, item_key, f"{sub_path}/{item_key}",
                                                       depth + 1))
        return node

    def _first_visit(self, obj: Any) -> bool:
        """True for a group not read yet (and marks it read)."""
        if not isinstance(obj, h5py.Group) or obj.id in self.seen:
            return False
        self.seen.add(obj.id)
        return True


def _readers(open_h5: Callable[[], AbstractContextManager[h5py.File]], dataset: str
             ) -> tuple[Callable[[], np.ndarray], Callable[[tuple[Any, ...]], np.ndarray]]:
    def load() -> np.ndarray:
        with open_h5() as f:
            return np.asarray(h5_guard.dataset(f, dataset, whole=True)[()])

    def part(index: tuple[Any, ...]) -> np.ndarray:
        with open_h5() as f:
            return np.asarray(h5_guard.dataset(f, dataset)[index])

    return as_format_errors(load), as_format_errors(part)


def _number(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 30, key)


def class_from_key(key: str) -> str:
    """`batch_normalization_3` -> `BatchNormalization`, `conv2d` -> `Conv2D` (a guess from the
    snake-cased class name Keras used as the key)."""
    base = re.sub(r"_\d+$", "", key)
    special = {"conv1d": "Conv1D", "conv2d": "Conv2D", "conv3d": "Conv3D", "lstm": "LSTM",
               "gru": "GRU", "re_lu": "ReLU", "leaky_re_lu": "LeakyReLU", "prelu": "PReLU",
               "depthwise_conv2d": "DepthwiseConv2D", "separable_conv2d": "SeparableConv2D",
               "max_pooling2d": "MaxPooling2D", "average_pooling2d": "AveragePooling2D",
               "global_average_pooling2d": "GlobalAveragePooling2D",
               "conv2d_transpose": "Conv2DTranspose", "lstm_cell": "LSTMCell",
               "gru_cell": "GRUCell", "simple_rnn": "SimpleRNN", "zero_padding2d": "ZeroPadding2D"}
    if base in special:
        return special[base]
    return "".join(part.capitalize() for part in base.split("_"))


# Variable names in creation order, by class; a callable gets the layer config.
_RNN_CELL = ["kernel", "recurrent_kernel", "bias"]


def _bn_names(config: dict[str, Any], count: int) -> list[str]:
    names = (["gamma"] if config.get("scale", True) else []) + \
        (["beta"] if config.get("center", True) else [])
    names += ["moving_mean", "moving_variance"]
    if len(names) != count and count >= 2:  # config unknown: the last two are the statistics
        names = ["gamma", "beta"][:count - 2] + ["moving_mean", "moving_variance"]
    return names


VARIABLE_NAMES: dict[str, Callable[[dict[str, Any], int], list[str]]] = {
    "BatchNormalization": _bn_names,
    "SyncBatchNormalization": _bn_names,
    "LayerNormalization": lambda c, n: ["gamma", "beta"],
    "Dense": lambda c, n: ["kernel", "bias"],
    "EinsumDense": lambda c, n: ["kernel", "bias"],
    "Embedding": lambda c, n: ["embeddings"],
    "Conv1D": lambda c, n: ["kernel", "bias"],
    "Conv2D": lambda c, n: ["kernel", "bias"],
    "Conv3D": lambda c, n: ["kernel", "bias"],
    "Conv2DTranspose": lambda c, n: ["kernel", "bias"],
    "DepthwiseConv2D": lambda c, n: ["kernel", "bias"],
    "SeparableConv2D": lambda c, n: ["depthwise_kernel", "pointwise_kernel", "bias"],
    "LSTMCell": lambda c, n: _RNN_CELL,
    "GRUCell": lambda c, n: _RNN_CELL,
    "SimpleRNNCell": lambda c, n: _RNN_CELL,
    "Normalization": lambda c, n: ["mean", "variance", "count"],
    "PReLU": lambda c, n: ["alpha"],
}
NON_TRAINABLE = {"moving_mean", "moving_variance", "mean", "variance", "count"}
STATE_OBJECTS = {"seed_generator"}  # random state, never trainable


def variable_names(class_name: str, config: dict[str, Any], count: int) -> list[str] | None:
    """Names of a layer's numbered variables, when the class is a built-in we know."""
    table = VARIABLE_NAMES.get(class_name)
    if table is None:
        return None
    names = table(config if isinstance(config, dict) else {}, count)
    return names[:count] if len(names) >= count else None


def label_weights(group: VarGroup, class_name: str, config: dict[str, Any],
                  layer_trainable: bool = True) -> None:
    """Set trainability of a group's variables from the class table (and of its sub-objects:
    an RNN's `cell`, a seed generator's state)."""
    names = variable_names(class_name, config, len(group.weights))
    for i, weight in enumerate(group.weights):
        base = names[i] if names else None
        weight.trainable = layer_trainable and base not in NON_TRAINABLE and \
            group.key not in STATE_OBJECTS
    for child in group.children:
        child_class = class_from_key(child.key) if child.key not in ("cell",) else \
            _cell_class(class_name)
        label_weights(child, child_class, config, layer_trainable)


def _cell_class(rnn_class: str) -> str:
    return {"LSTM": "LSTMCell", "GRU": "GRUCell", "SimpleRNN": "SimpleRNNCell"}.get(
        rnn_class, rnn_class + "Cell")


def attach(model: Layer, store: VarGroup) -> list[str]:
    """Give config layers their variables by real name; returns names matching no layer."""
    unmatched: list[str] = []
    _attach_children(model, store, unmatched)
    model.weights = list(store.weights)
    return unmatched


def _attach_children(layer: Layer, group: VarGroup, unmatched: list[str]) -> None:
    by_name = {child.name: child for child in layer.layers}
    for sub in group.children:
        target = by_name.get(sub.name)
        if target is None and sub.key in ("layer", "forward_layer", "backward_layer"):
            target = _wrapped(layer, sub.key)
        if target is None:
            if sub.all_weights():
                unmatched.append(sub.path or sub.name)
            continue
        _attach_layer(target, sub, unmatched)


def _wrapped(layer: Layer, key: str) -> Layer | None:
    prefix = {"forward_layer": "forward_", "backward_layer": "backward_"}.get(key)
    for child in layer.layers:
        if prefix is None or child.name.startswith(prefix):
            return child
    return None


def _attach_layer(layer: Layer, group: VarGroup, unmatched: list[str]) -> None:
    config = layer.config if isinstance(layer.config, dict) else {}
    if layer.layers:
        layer.weights = list(group.weights)
        label_weights(VarGroup(group.key, group.name, group.path, group.weights), layer.class_name,
                      config, layer.trainable)
        _attach_children(layer, group, unmatched)
        return
    label_weights(group, layer.class_name, config, layer.trainable)
    layer.weights = group.all_weights()


def layers_from_store(store: VarGroup) -> list[Layer]:
    """Layers built from the store alone (weights-only files, subclassed models)."""
    layers = []
    for sub in store.children:
        class_name = class_from_key(sub.key)
        layer = Layer(name=sub.name, class_name=class_name)
        label_weights(sub, class_name, {})
        if any(child.children or child.weights for child in sub.children) and \
                not any(c.key in ("cell", "layer", "forward_layer", "backward_layer",
                                  "seed_generator") for c in sub.children):
            layer.weights = list(sub.weights)
            layer.layers = layers_from_store(sub)
        else:
            layer.weights = sub.all_weights()
        layers.append(layer)
    return layers


def variable_label(layer: Layer, weight: TensorInfo) -> str | None:
    """`kernel`, `moving_mean`… for a numbered Keras 3 variable (`…/vars/N`) of a known class;
    an RNN's variables sit in its `cell` object."""
    head, sep, index = weight.name.rpartition("/vars/")
    if not sep or not index.isdigit():
        return None
    siblings = [w for w in layer.weights if w.name.rpartition("/vars/")[0] == head]
    class_name = _cell_class(layer.class_name) if head.endswith("/cell") else layer.class_name
    config = layer.config if isinstance(layer.config, dict) else {}
    names = variable_names(class_name, config, len(siblings))
    position = int(index)
    return names[position] if names is not None and position < len(names) else None
