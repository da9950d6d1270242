"""Human-readable summaries of a document, for `kinspect info` and the window's Summary view."""

from __future__ import annotations

from .model import Document, Layer, format_shape


def summary_rows(doc: Document) -> list[tuple[str, str, str, int]]:
    """(layer, class, output shape if known, params) like `model.summary()`; nested indented."""
    rows: list[tuple[str, str, str, int]] = []

    def add(layer: Layer, depth: int) -> None:
        rows.append(("  " * depth + layer.name, layer.class_name, layer.shape_text or "",
                     layer.params))
        for child in layer.layers:
            add(child, depth + 1)

    for layer in doc.layers:
        add(layer, 0)
    return rows


def op_counts(doc: Document) -> list[tuple[str, int]]:
    """Graph nodes per op, most frequent first (ties by op name): `info` and the Summary page."""
    counts: dict[str, int] = {}
    for node in doc.nodes:
        counts[node.op] = counts.get(node.op, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def human_info(doc: Document) -> str:
    lines = [f"File:      {doc.path}", f"Format:    {doc.format}"]
    if doc.producer:
        lines.append("Producer:  " + ", ".join(f"{k} {v}" for k, v in doc.producer.items()))
    if doc.layers:
        rows = summary_rows(doc)
        width = max(24, *(len(r[0]) for r in rows)) + 2
        lines += ["", f"{'Layer':<{width}}{'Type':<24}{'Output shape':<20}{'Params':>12}",
                  "-" * (width + 56)]
        lines += [f"{n:<{width}}{c:<24}{s:<20}{p:>12,}" for n, c, s, p in rows]
    if doc.summary:
        s = doc.summary
        lines += ["", f"Total params:         {s.total:,}",
                  f"Trainable params:     {s.trainable:,}",
                  f"Non-trainable params: {s.non_trainable:,}"]
    if doc.nodes:
        top = op_counts(doc)[:8]
        lines += ["", f"Graph nodes: {len(doc.nodes):,} ("
                  + ", ".join(f"{op} {n}" for op, n in top) + ")"]
    for key, sig in doc.signatures.items():
        lines.append(f"\nSignature '{key}' {sig.method}")
        for alias, spec in sig.inputs.items():
            lines.append(f"  input  {alias}: {spec.name} {spec.dtype} {format_shape(spec.shape)}")
        for alias, spec in sig.outputs.items():
            lines.append(f"  output {alias}: {spec.name} {spec.dtype} {format_shape(spec.shape)}")
    if doc.variables:
        lines.append(f"\nVariables: {len(doc.variables)}")
        lines += [f"  {v.name} {v.dtype} {format_shape(v.shape)}" for v in doc.variables[:50]]
        if len(doc.variables) > 50:
            lines.append(f"  … {len(doc.variables) - 50} more")
    pairing = doc.extra.get("pairing")
    if isinstance(pairing, dict):  # weights + architecture (formats/pairing.py)
        counts = ", ".join(f"{n} {status}" for status, n in pairing["counts"].items())
        lines += ["", f"Weights matched by name to {pairing['architecture']}: {counts}"]
        lines += [f"  {r['layer']:<24}{r['status']:<16}{r['detail']}" for r in pairing["layers"]]
    if doc.warnings:
        lines.append("")
        lines += [f"warning: {w}" for w in doc.warnings]
    return "\n".join(lines)
