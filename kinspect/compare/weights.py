"""Stored tensors of A and B matched and compared exactly, one tensor at a time.

Each pair is read in slices along its first axis (`TensorInfo.read_part`, h5py hyperslabs where
the reader has a slicer), so comparing two 100 MB files holds two slices of one tensor at a time,
not the files. Differences are exact over every value: max |a - b| and max relative difference
|a - b| / max(|a|, |b|) (symmetric, 0 where both are 0, never infinite: at most 2).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model import Document, TensorInfo
from ..progress import NO_PROGRESS, Progress
from .structure import Structure
from .tolerance import Tolerance

AMBIGUOUS_READ_LIMIT = 1 << 16  # values read to tell same-shaped constants apart
CHUNK_ELEMENTS = 1 << 20  # 1 Mi values per slice: 8 MB per float64 temporary (~6 alive)


@dataclass
class WeightDiff:
    a: str
    b: str
    shape: list[int | None] | None
    dtype: str
    max_abs: float | None = None
    max_rel: float | None = None
    ok: bool = True
    problem: str | None = None  # shape or dtype mismatch, unreadable values
    max_abs_a: float = 0.0  # largest |a|: the scale for --rtol

    @property
    def identical(self) -> bool:
        return self.problem is None and self.max_abs == 0.0

    def to_json(self) -> dict[str, Any]:
        data = {"a": self.a, "b": self.b, "shape": self.shape, "dtype": self.dtype,
                "max_abs": self.max_abs, "max_rel": self.max_rel, "ok": self.ok}
        if self.problem:
            data["problem"] = self.problem
        return data


@dataclass
class Weights:
    diffs: list[WeightDiff] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)

    def equal(self, unmatched_count: bool = True) -> bool:
        """Every compared pair within tolerance and, when UNMATCHED_COUNT (two files of one
        family), nothing on one side only."""
        if unmatched_count and (self.only_a or self.only_b):
            return False
        return all(d.ok for d in self.diffs)

    def to_json(self) -> dict[str, Any]:
        identical = sum(d.identical for d in self.diffs)
        return {
            "compared": len(self.diffs),
            "identical": identical,
            "within_tolerance": sum(d.ok and not d.identical for d in self.diffs),
            "differing": [d.to_json() for d in self.diffs if not d.identical],
            "only_a": list(self.only_a),
            "only_b": list(self.only_b),
        }


def stored_tensors(doc: Document) -> dict[str, TensorInfo]:
    """Key -> tensor for everything with values: Keras layer weights (`layer/#index`, so
    `dense/kernel:0` of an .h5 meets `layers/dense/vars/0` of a .keras), variables of
    checkpoints and SavedModels, constants of frozen graphs."""
    out: dict[str, TensorInfo] = {}
    for layer in doc.all_layers():
        for i, w in enumerate(layer.weights):
            if w.has_values:  # an architecture file lists weights it does not hold
                out[f"{layer.name}/#{i}"] = w
    for v in doc.variables:
        if v.has_values:
            out.setdefault(variable_key(v.name), v)
    if not out and doc.nodes:
        for node in doc.root.walk():
            if node.kind == "node" and node.tensor is not None and node.tensor.has_values:
                out.setdefault(variable_key(node.tensor.name), node.tensor)
    return out


def variable_key(name: str) -> str:
    name = name.split(":")[0]
    for tail in ("/.ATTRIBUTES/VARIABLE_VALUE",):
        name = name.removesuffix(tail)
    return name


Pairs = list[tuple[TensorInfo, TensorInfo]]


def pair_tensors(a: dict[str, TensorInfo], b: dict[str, TensorInfo],
                 structure: Structure | None = None) -> tuple[Pairs, list[str], list[str]]:
    """Same key first; then a Keras layer's weights with the constants under its scope in a
    graph (by shape, in order); then what is left in the same order with the same shapes (a
    SavedModel's `variables/0..n` are the Keras model's weights in order)."""
    pairs = [(a[k], b[k]) for k in a if k in b]
    rest_a = {k: t for k, t in a.items() if k not in b}
    rest_b = {k: t for k, t in b.items() if k not in a}
    if structure is not None and structure.mode == "layers-graph":
        pairs += _by_scope(structure, rest_a, rest_b)
    pairs += _by_order(rest_a, rest_b)
    return pairs, [t.name for t in rest_a.values()], [t.name for t in rest_b.values()]


def _by_scope(structure: Structure, rest_a: dict[str, TensorInfo],
              rest_b: dict[str, TensorInfo]) -> Pairs:
    """Keras `layer/#i` (on A or B) with the graph constants among the layer's scope nodes."""
    out: Pairs = []
    for p in structure.pairs:
        if not p.graph_nodes:
            continue
        if any(k.startswith(f"{p.a}/#") for k in rest_a):
            layer, keras_side, graph_side = p.a, rest_a, rest_b
        elif any(k.startswith(f"{p.b}/#") for k in rest_b):
            layer, keras_side, graph_side = p.b, rest_b, rest_a
        else:
            continue
        consts = [k for k in p.graph_nodes if k in graph_side]
        for key in [k for k in keras_side if k.rpartition("/#")[0] == layer]:
            shape = keras_side[key].shape
            same = [c for c in consts if graph_side[c].shape == shape]
            hit = same[0] if len(same) == 1 else _closest(keras_side[key], same, graph_side)
            if hit is not None:
                consts.remove(hit)
                tk, tg = keras_side.pop(key), graph_side.pop(hit)
                out.append((tk, tg) if keras_side is rest_a else (tg, tk))
    return out


def _closest(tensor: TensorInfo, keys: list[str], tensors: dict[str, TensorInfo]) -> str | None:
    """Of several constants with the tensor's shape (a BatchNormalization's beta, mean and
    variance), the one whose values are nearest; only small tensors are read for this."""
    if not keys or (tensor.size or 0) > AMBIGUOUS_READ_LIMIT:
        return keys[0] if keys else None
    try:
        mine = np.asarray(tensor.read(), dtype=np.float64)
        scores = [float(np.abs(mine - np.asarray(tensors[k].read(), dtype=np.float64)).max(
            initial=0.0)) for k in keys]
    except Exception:  # noqa: BLE001 - unreadable: fall back to order
        return keys[0]
    return keys[int(np.argmin(scores))]


def _by_order(rest_a: dict[str, TensorInfo], rest_b: dict[str, TensorInfo]) -> Pairs:
    """A group of B (`variables/0..n`) whose shapes are A's leftover shapes in order."""
    if not rest_a or not rest_b:
        return []
    shapes_a = [t.shape for t in rest_a.values()]
    groups: dict[str, list[str]] = {}
    for key in rest_b:
        head, _, tail = key.partition("/")
        if tail.isdigit():
            groups.setdefault(head, []).append(key)
    for keys in groups.values():
        keys.sort(key=lambda k: int(k.partition("/")[2]))
        if [rest_b[k].shape for k in keys] == shapes_a:
            out = list(zip(rest_a.values(), (rest_b[k] for k in keys), strict=True))
            rest_a.clear()
            for k in keys:
                del rest_b[k]
            return out
    return []


def compare_weights(a: Document, b: Document, tol: Tolerance, structure: Structure | None = None,
                    progress: Progress = NO_PROGRESS) -> Weights:
    pairs, only_a, only_b = pair_tensors(stored_tensors(a), stored_tensors(b), structure)
    out = Weights(only_a=only_a, only_b=only_b)
    for i, (ta, tb) in enumerate(pairs):
        progress.step(i / max(1, len(pairs)), f"weights: {ta.name}")
        out.diffs.append(compare_tensor(ta, tb, tol))
    return out


def compare_tensor(ta: TensorInfo, tb: TensorInfo, tol: Tolerance) -> WeightDiff:
    shape = list(ta.shape) if ta.shape is not None else None
    diff = WeightDiff(ta.name, tb.name, shape, ta.dtype)
    if ta.shape is not None and tb.shape is not None and tuple(ta.shape) != tuple(tb.shape):
        diff.problem, diff.ok = f"shape {ta.shape} -> {tb.shape}", False
        return diff
    if ta.dtype != tb.dtype:
        diff.problem = f"dtype {ta.dtype} -> {tb.dtype}"
        if _kind(ta.dtype) != _kind(tb.dtype):  # float vs quantized int: values not comparable
            diff.ok = False
            return diff
    try:
        stats = DiffStats()
        for xa, xb in _chunks(ta, tb):
            stats.add(xa, xb)
    except Exception as exc:  # noqa: BLE001 - one unreadable tensor is a row, not a crash
        diff.problem, diff.ok = f"cannot compare: {type(exc).__name__}: {exc}", False
        return diff
    diff.max_abs, diff.max_rel, diff.max_abs_a = stats.max_abs, stats.max_rel, stats.scale
    diff.ok = tol.accepts(stats.max_abs, stats.scale) and not (
        diff.problem and diff.problem.startswith("shape"))
    return diff


def _kind(dtype: str) -> str:
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return dtype


class DiffStats:
    """Running max |a-b|, max relative difference and max |a| over chunks."""

    def __init__(self) -> None:
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.scale = 0.0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        a = np.atleast_1d(np.asarray(a, dtype=np.float64))
        b = np.asarray(b, dtype=np.float64).reshape(a.shape)
        if not a.size:
            return
        d = np.abs(a - b)
        both_nan = np.isnan(a) & np.isnan(b)
        d[both_nan] = 0.0
        denom = np.maximum(np.abs(a), np.abs(b))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(denom > 0, d / np.where(denom > 0, denom, 1.0), 0.0)
        self.max_abs = max(self.max_abs, _nanmax(d))
        self.max_rel = max(self.max_rel, _nanmax(rel))
        self.scale = max(self.scale, float(np.nanmax(np.abs(a), initial=0.0)))


def _nanmax(x: np.ndarray) -> float:
    """A NaN on one side only is a difference as large as it gets."""
    return math.inf if np.isnan(x).any() else float(x.max(initial=0.0))


def _chunks(ta: TensorInfo, tb: TensorInfo) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Slices along the first axis; a side without a slicer is read once, whole (reading it
    per slice would read it again for every slice)."""
    shape = ta.shape
    if not shape or ta.size is None or ta.size <= CHUNK_ELEMENTS or shape[0] in (None, 0) \
            or (ta.slicer is None and tb.slicer is None):
        yield ta.read(), tb.read()
        return
    whole_a = ta.read() if ta.slicer is None else None
    whole_b = tb.read() if tb.slicer is None else None
    per_row = max(1, ta.size // int(shape[0]))
    step = max(1, CHUNK_ELEMENTS // per_row)
    for start in range(0, int(shape[0]), step):
        index = (slice(start, start + step),)
        xa = whole_a[index] if whole_a is not None else ta.read_part(index)
        xb = whole_b[index] if whole_b is not None else tb.read_part(index)
        yield xa, xb
