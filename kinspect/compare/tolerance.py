"""When two arrays count as equal: `--atol` / `--rtol`, with --verify's defaults.

A difference passes when max |a - b| <= atol + rtol * max |a|: the relative part scales with
the reference tensor's magnitude, as `convert --verify` does (activations near zero differ
by float reordering, and an elementwise relative test would fail them on noise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_ATOL = 1e-5  # convert.verify.TOLERANCE
DEFAULT_RTOL = 1e-5


@dataclass(frozen=True)
class Tolerance:
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL

    def limit(self, scale: float) -> float:
        return self.atol + self.rtol * scale

    def accepts(self, max_abs: float | None, scale: float) -> bool:
        if max_abs is None or math.isnan(max_abs):
            return False
        return max_abs <= self.limit(scale)


DEFAULT = Tolerance()
