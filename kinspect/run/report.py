"""What a run reports: per tensor shape, dtype, min / max / mean / std; the top-K classes of a
(batch, classes) output with labels; small outputs' values. One dict for --json, the window
and the human text."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ..errors import InvalidRequest
from ..tensor_stats import compute

MAX_VALUES = 1000  # outputs of at most this many numbers carry their values in the JSON


def load_labels(path: str) -> list[str]:
    """One label per line, or an ImageNet-style JSON index ({"0": ["n01440764", "tench"]})
    or a JSON list."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeError) as exc:
        raise InvalidRequest(f"cannot read the labels: {exc}", path) from exc
    if path.lower().endswith(".json"):
        return _json_labels(text, path)
    return [line.strip() for line in text.splitlines()]


def _json_labels(text: str, path: str) -> list[str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"labels file is not JSON: {exc}", path) from exc
    if isinstance(data, list):
        return [str(v[-1] if isinstance(v, list) and v else v) for v in data]
    if isinstance(data, dict) and all(str(k).isdigit() for k in data):
        out = [""] * (max(int(k) for k in data) + 1 if data else 0)
        for k, v in data.items():
            out[int(k)] = str(v[-1] if isinstance(v, list) and v else v)
        return out
    raise InvalidRequest("labels JSON must be a list or an index {\"0\": ...}", path)


def stats(values: np.ndarray) -> dict[str, float | None]:
    """Exact min / max / mean / std over the finite values (None when there are none)."""
    s = compute(np.asarray(values), limit=max(1, int(np.size(values))))
    return {"min": s.min, "max": s.max, "mean": s.mean, "std": s.std}


def is_scores(values: np.ndarray) -> bool:
    """A (batch, classes) output with more than one class."""
    return values.ndim == 2 and values.shape[1] > 1 and values.dtype.kind in "fiu"


def top_k(values: np.ndarray, k: int, labels: list[str] | None) -> list[list[dict[str, Any]]]:
    """Per batch row, the K highest scores: index, score, label (when known)."""
    rows = []
    for row in np.asarray(values):
        order = np.argsort(-row.astype(np.float64), kind="stable")[:k]
        rows.append([{"index": int(i), "score": float(row[i]),
                      **({"label": labels[i]} if labels and i < len(labels) else {})}
                     for i in order])
    return rows


def tensor_entry(values: np.ndarray, k: int = 0, labels: list[str] | None = None,
                 with_values: bool = True) -> dict[str, Any]:
    values = np.asarray(values)
    entry: dict[str, Any] = {"shape": list(values.shape), "dtype": values.dtype.name}
    if values.dtype.kind in "biuf":
        entry["stats"] = stats(values)
    if k and is_scores(values):
        entry["top"] = top_k(values, k, labels)
    if with_values and values.size <= MAX_VALUES and values.dtype.kind in "biuf":
        entry["values"] = values.tolist()
    return entry


def run_json(path: str, fmt: str, inputs: dict[str, Any], outputs: dict[str, np.ndarray],
             layers: dict[str, np.ndarray], seconds: dict[str, float], k: int,
             labels: list[str] | None, tensors: dict[str, str] | None = None) -> dict[str, Any]:
    """The `--json` object. INPUTS: name -> sources.Loaded."""
    outs = {}
    for name, values in outputs.items():
        entry = tensor_entry(values, k, labels)
        entry["tensor"] = (tensors or {}).get(name, name)
        outs[name] = entry
    return {
        "file": os.fspath(path), "format": fmt,
        "inputs": {n: {"source": x.source, "kind": x.kind, "shape": list(x.array.shape),
                       "dtype": x.array.dtype.name, "preprocess": x.preprocess}
                   for n, x in inputs.items()},
        "outputs": outs,
        "layers": {n: tensor_entry(v, with_values=False) for n, v in layers.items()},
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }


def human(report: dict[str, Any], warnings: list[str]) -> str:
    s = report["seconds"]
    lines = [f"{report['file']} ({report['format']}): loaded in {s['load']:.2f} s, "
             f"ran in {s['inference']:.3f} s"]
    lines += [f"warning: {w}" for w in warnings]
    for name, x in report["inputs"].items():
        lines.append(f"input {name}: {x['source']} -> {x['dtype']} {tuple(x['shape'])}, "
                     f"preprocess {x['preprocess']}")
    for name, out in report["outputs"].items():
        lines.append(f"output {name} ({out['tensor']}): {_describe(out)}")
        for r, row in enumerate(out.get("top", [])[:8]):
            prefix = f"  top {len(row)}" + (f" (item {r})" if len(out["top"]) > 1 else "") + ":"
            lines.append(prefix)
            lines += [f"    {e['index']:>6}  {e['score']:.6g}  {e.get('label', '')}".rstrip()
                      for e in row]
        if "values" in out and "top" not in out and np.size(out["values"]) <= 16:
            lines.append(f"  values: {out['values']}")
    for name, layer in report["layers"].items():
        lines.append(f"layer {name}: {_describe(layer)}")
    return "\n".join(lines)


def _describe(entry: dict[str, Any]) -> str:
    text = f"{entry['dtype']} {tuple(entry['shape'])}"
    st = entry.get("stats")
    if st and st["min"] is not None:
        text += (f"  min {st['min']:.6g}  max {st['max']:.6g}  mean {st['mean']:.6g}  "
                 f"std {st['std']:.6g}")
    return text
