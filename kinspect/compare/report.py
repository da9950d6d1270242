"""A Comparison as the `--json` object and as text for a person."""

from __future__ import annotations

import math
from typing import Any

from .comparison import Comparison
from .structure import ADDED, CHANGED, REMOVED

LISTED = 20  # rows of each kind in the human text; --json lists everything


def to_json(c: Comparison) -> dict[str, Any]:
    data = {
        "equal": c.equal,
        "a": {"path": c.a.path, "format": c.a.doc.format if c.a.doc else None},
        "b": {"path": c.b.path, "format": c.b.doc.format if c.b.doc else None},
        "tolerance": {"atol": c.tol.atol, "rtol": c.tol.rtol},
        "structure": c.structure.to_json(),
        "weights": c.weights.to_json(),
        "ran": c.ran,
        "not_run": c.not_run,
        "inputs": c.inputs,
        "outputs": {d.a: {"b": d.b, "max_abs": d.max_abs, "max_rel": d.max_rel, "ok": d.ok}
                    for d in c.outputs},
        "layers": [d.to_json() for d in c.layers],
        "first_divergence": c.divergence.to_json() if c.divergence else None,
        "warnings": list(c.warnings),
    }
    return finite(data)


def finite(value: Any) -> Any:
    """JSON has no infinity or NaN: such errors become the strings "inf" / "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else "inf"
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def human(c: Comparison) -> str:
    lines = [f"A: {c.a.path} ({c.a.doc.format if c.a.doc else '?'})",
             f"B: {c.b.path} ({c.b.doc.format if c.b.doc else '?'})",
             f"tolerance: atol {c.tol.atol:g}, rtol {c.tol.rtol:g}"]
    lines += structure_lines(c) + weight_lines(c) + run_lines(c)
    lines += [f"warning: {w}" for w in c.warnings]
    lines.append("EQUAL within tolerance" if c.equal else "DIFFERENT")
    return "\n".join(lines)


def structure_lines(c: Comparison) -> list[str]:
    s = c.structure
    counts = s.to_json()["counts"]
    out = [f"structure ({s.mode}): " + ", ".join(f"{v} {k}" for k, v in counts.items())]
    for status, sign in ((REMOVED, "-"), (ADDED, "+")):
        rows = s.of(status)
        out += [f"  {sign} {p.a or p.b} ({p.kind_a or p.kind_b})" for p in rows[:LISTED]]
        if len(rows) > LISTED:
            out.append(f"  … {len(rows) - LISTED} more {status}")
    changed = s.of(CHANGED)
    for p in changed[:LISTED]:
        name = p.a if p.a == p.b else f"{p.a} ~ {p.b}"
        out.append(f"  ~ {name}: " + "; ".join(p.changes[:4]))
    if len(changed) > LISTED:
        out.append(f"  … {len(changed) - LISTED} more changed")
    return out


def weight_lines(c: Comparison) -> list[str]:
    w = c.weights.to_json()
    out = [f"weights: {w['compared']} compared, {w['identical']} identical, "
           f"{w['within_tolerance']} within tolerance, "
           f"{sum(not d.ok for d in c.weights.diffs)} differ"
           + (f"; only in A: {len(w['only_a'])}" if w["only_a"] else "")
           + (f"; only in B: {len(w['only_b'])}" if w["only_b"] else "")]
    bad = [d for d in c.weights.diffs if not d.ok]
    for d in bad[:LISTED]:
        text = d.problem or f"max_abs {num(d.max_abs)}, max_rel {num(d.max_rel)}"
        out.append(f"  {d.a}: {text}")
    if len(bad) > LISTED:
        out.append(f"  … {len(bad) - LISTED} more")
    return out


def run_lines(c: Comparison) -> list[str]:
    if not c.ran:
        return [f"outputs: not run ({c.not_run})"] if c.not_run else []
    out = ["inputs: " + ", ".join(f"{n} {v['dtype']}{tuple(v['shape'])} from {v['source']}"
                                  for n, v in c.inputs.items())]
    for d in c.outputs:
        out.append(f"output {d.a}" + (f" ~ {d.b}" if d.b != d.a else "")
                   + f": max_abs {num(d.max_abs)}, max_rel {num(d.max_rel)} "
                   + ("ok" if d.ok else "FAIL") + (f" ({d.problem})" if d.problem else ""))
    bad = sum(not d.ok for d in c.layers)
    out.append(f"layers: {len(c.layers)} compared, {bad} past the tolerance")
    div = c.divergence
    if div is None:
        if c.layers:
            out.append("first divergence: none")
        return out
    ins = ", ".join(f"{n} {num(v)}" for n, v in div.inputs_max_abs.items()) or "none"
    out.append(f"first divergence: {div.a}" + (f" ~ {div.b}" if div.b != div.a else "")
               + f": max_abs {num(div.max_abs)}; its inputs' max_abs: {ins}")
    return out
