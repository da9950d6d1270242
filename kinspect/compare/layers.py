"""Run A and B on the same inputs and compare outputs and every matched layer's output.

Both models run once each, every matched layer fetched in the same forward pass as the outputs
(`kinspect.run`'s `run(feeds, layers=...)`), so a layer-by-layer comparison costs about two
plain predictions plus copying the activations. Which layer of A is which tensor of B:
- the same Keras layer names (two Keras files);
- a Keras layer and the last tensor under its name scope in a graph (`sequential/dense_1/Relu:0`
  for layer `dense_1`, `dense_1_1/...` for a Keras 3 export);
- two graphs: the node pairs of the structure comparison, as `node:0` tensors both can fetch.
The first matched layer past the tolerance is the first divergence; the errors of its inputs
(by the layer's inbound layers or the node's inputs) tell "diverges here" from "inherited".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import KinspectError
from ..model import Document
from ..progress import NO_PROGRESS, Progress
from .structure import Structure, scope_groups
from .tolerance import Tolerance
from .weights import DiffStats


@dataclass
class Diff:
    """Error of one output or one layer's output; `a`/`b` are the names on each side."""

    a: str
    b: str
    max_abs: float | None
    max_rel: float | None
    ok: bool
    scale: float = 0.0  # max |a|
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"a": self.a, "b": self.b, "max_abs": self.max_abs, "max_rel": self.max_rel,
                "ok": self.ok}
        if self.problem:
            data["problem"] = self.problem
        return data


@dataclass
class Divergence:
    a: str
    b: str
    max_abs: float | None
    inputs_max_abs: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "max_abs": self.max_abs,
                "inputs_max_abs": dict(self.inputs_max_abs)}


def diff_arrays(a_name: str, b_name: str, x: Any, y: Any, tol: Tolerance) -> Diff:
    """Exact errors of two arrays; a shape that cannot be lined up is a failed row."""
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        if x.size != y.size:
            return Diff(a_name, b_name, None, None, False,
                        problem=f"shape {list(x.shape)} vs {list(y.shape)}")
        y = y.reshape(x.shape)
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        same = bool(np.array_equal(x, y))
        return Diff(a_name, b_name, 0.0 if same else None, 0.0 if same else None, same,
                    problem=None if same else "values differ")
    stats = DiffStats()
    stats.add(x, y)
    return Diff(a_name, b_name, stats.max_abs, stats.max_rel,
                tol.accepts(stats.max_abs, stats.scale), stats.scale)


def pair_outputs(outs_a: list[str], outs_b: list[str]) -> list[tuple[str, str]]:
    """By name when both name the same set; otherwise by position."""
    if sorted(outs_a) == sorted(outs_b):
        return [(n, n) for n in outs_a]
    return list(zip(outs_a, outs_b, strict=False))


def pair_layers(structure: Structure, names_a: list[str], names_b: list[str]
                ) -> list[tuple[str, str]]:
    """(A name, B name) for every layer output both runners can fetch, in A's order."""
    set_b = set(names_b)
    if structure.mode == "layers":
        return [(n, n) for n in names_a if n in set_b]
    if structure.mode == "layers-graph":
        keras_on_a = bool(names_a) and not all(":" in n for n in names_a)
        keras, graph = (names_a, names_b) if keras_on_a else (names_b, names_a)
        pairs = keras_graph_pairs(keras, graph)
        return pairs if keras_on_a else [(g, k) for k, g in pairs]
    return graph_pairs(structure, names_a, names_b)


def keras_graph_pairs(keras: list[str], tensors: list[str]) -> list[tuple[str, str]]:
    """Keras layer -> the last tensor (graph order) under its scope in the graph."""
    from ..model import GraphNode

    nodes = [GraphNode(t.rsplit(":", 1)[0], "", outputs=[t]) for t in tensors]
    groups = scope_groups(keras, nodes)
    return [(name, groups[name][-1].outputs[0]) for name in keras if groups.get(name)]


def graph_pairs(structure: Structure, names_a: list[str], names_b: list[str]
                ) -> list[tuple[str, str]]:
    set_b = set(names_b)
    node_pairs = {p.a: p.b for p in structure.pairs if p.a and p.b}
    out = []
    for t in names_a:
        node, _, port = t.partition(":")
        other = node_pairs.get(node)
        candidates = [f"{other}:{port}" if port else other] if other else []
        candidates.append(t)
        hit = next((c for c in candidates if c in set_b), None)
        if hit is not None:
            out.append((t, hit))
    return out


def inbound_of(doc: Document, name: str) -> list[str]:
    """A's data inputs of layer or tensor NAME: a Keras layer's inbound layers, or a node's
    inputs that are computed (constants and stored weights left out)."""
    layer = doc.layer(name.split(":")[0])
    if layer is not None and doc.layers:
        return list(layer.inbound)
    by_name = {n.name: n for n in doc.nodes}
    node = by_name.get(name) or by_name.get(name.split(":")[0])
    if node is None:
        return []
    stored = {v.name for v in doc.variables}
    out = []
    for i in node.inputs:
        if i.startswith("^") or i in stored:
            continue
        src = by_name.get(i) or by_name.get(i.split(":")[0])
        if src is not None and src.op in ("Const", "Identity") and not src.inputs:
            continue
        out.append(i)
    return out


def compare_runs(runner_a: Any, runner_b: Any, feeds: Mapping[str, np.ndarray],
                 structure: Structure, tol: Tolerance, with_layers: bool = True,
                 progress: Progress = NO_PROGRESS, keep: dict[str, Any] | None = None
                 ) -> tuple[list[Diff], list[Diff]]:
    """(output diffs, layer diffs in A's order). KEEP, when given, receives A's name ->
    (A's values, B's values) of every compared tensor (the window plots their difference)."""
    pairs = pair_layers(structure, runner_a.layer_names(), runner_b.layer_names()) \
        if with_layers else []
    progress.step(0.1, f"running A with {len(pairs)} layer outputs")
    res_a = _named(runner_a, lambda: runner_a.run(dict(feeds), [a for a, _ in pairs]))
    progress.step(0.5, "running B")
    res_b = _named(runner_b, lambda: runner_b.run(feeds_for(runner_b, runner_a, feeds),
                                                  [b for _, b in pairs]))
    progress.step(0.9, "comparing")
    outputs = [diff_arrays(a, b, res_a.outputs[a], res_b.outputs[b], tol)
               for a, b in pair_outputs(list(res_a.outputs), list(res_b.outputs))]
    layers = [diff_arrays(a, b, res_a.layers[a], res_b.layers[b], tol) for a, b in pairs]
    if keep is not None:
        keep.update({a: (res_a.layers[a], res_b.layers[b]) for a, b in pairs})
        keep.update({a: (res_a.outputs[a], res_b.outputs[b])
                     for a, b in pair_outputs(list(res_a.outputs), list(res_b.outputs))})
    return outputs, layers


def _named(runner: Any, call: Any) -> Any:
    """CALL's errors name the runner's file (the CLI's `kinspect: FILE: …` line)."""
    try:
        return call()
    except KinspectError as exc:
        exc.path = exc.path or getattr(runner, "path", None) or None
        raise


def feeds_for(runner_b: Any, runner_a: Any, feeds: Mapping[str, np.ndarray]
              ) -> dict[str, np.ndarray]:
    """A's feeds under B's input names: by name when they agree, else by position."""
    names_b = list(runner_b.inputs)
    if sorted(names_b) == sorted(feeds):
        return dict(feeds)
    return dict(zip(names_b, (feeds[n] for n in runner_a.inputs), strict=False))


def first_divergence(doc_a: Document, layers: list[Diff]) -> Divergence | None:
    errors: dict[str, float | None] = {}
    for d in layers:
        errors[d.a] = d.max_abs
        errors.setdefault(d.a.removesuffix(":0"), d.max_abs)
    for d in layers:
        if d.ok:
            continue
        if doc_a.layers:
            inputs = {i: _error_of(doc_a, i, errors) for i in inbound_of(doc_a, d.a)}
        else:
            inputs = upstream_errors(doc_a, d.a, errors)
        return Divergence(d.a, d.b, d.max_abs, inputs)
    return None


def upstream_errors(doc: Document, name: str, errors: dict[str, float | None],
                    limit: int = 200) -> dict[str, float | None]:
    """The nearest compared tensors (or model inputs) upstream of graph tensor NAME: a
    Keras layer's scope in a graph holds several nodes (MatMul, BiasAdd, Relu) of which only
    the last is compared, so the walk goes back through the uncompared ones."""
    out: dict[str, float | None] = {}
    todo, seen = list(inbound_of(doc, name)), set()
    while todo and len(seen) < limit:
        tensor = todo.pop(0)
        if tensor in seen or tensor.startswith("("):
            continue
        seen.add(tensor)
        if any(k in errors for k in (tensor, f"{tensor}:0", tensor.removesuffix(":0"))) \
                or _is_input(doc, tensor):
            out[tensor] = _error_of(doc, tensor, errors)
        else:
            todo += inbound_of(doc, tensor)
    return out


def _error_of(doc: Document, name: str, errors: dict[str, float | None]) -> float | None:
    for key in (name, f"{name}:0", name.removesuffix(":0")):
        if key in errors:
            return errors[key]
    return 0.0 if _is_input(doc, name) else None


def _is_input(doc: Document, name: str) -> bool:
    """Model inputs are fed the same values on both sides: their error is 0."""
    layer = doc.layer(name)
    if layer is not None:
        return layer.class_name == "InputLayer"
    node = next((n for n in doc.nodes if n.name in (name, name.split(":")[0])), None)
    if node is not None:
        return node.op in ("Placeholder", "PlaceholderWithDefault")
    return not any(name in n.outputs for n in doc.nodes)  # tflite: a graph input tensor
