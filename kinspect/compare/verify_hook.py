"""What `convert --verify` and Save As say when a verification fails: the first layer where
source and result part, from the layer-by-layer comparison.

kinspect.compare sits above kinspect.convert, so the front ends hand `first_divergence_text`
to the converter (`Options.divergence_finder`), as they hand in kinspect.run's input loaders.
"""

from __future__ import annotations

from .comparison import compare
from .report import num
from .tolerance import Tolerance


def first_divergence_text(src: str, result: str, arch: str | None, tolerance: float,
                          trust_code: bool = False) -> str | None:
    """`first diverging layer: NAME (max_abs X; its inputs' max_abs: ...)`, or None when no
    matched layer exceeds TOLERANCE (the difference appears only in the outputs)."""
    c = compare(src, result, arch_a=arch, tol=Tolerance(tolerance, tolerance),
                trust_code=trust_code)
    div = c.divergence
    if div is None:
        if c.layers:
            return f"no intermediate layer of {len(c.layers)} compared exceeds {tolerance:g}"
        return None
    ins = ", ".join(f"{n} {num(v)}" for n, v in div.inputs_max_abs.items()) or "none"
    name = div.a if div.b == div.a else f"{div.a} (result: {div.b})"
    return f"first diverging layer: {name}, max_abs {num(div.max_abs)}; its inputs' max_abs: {ins}"
