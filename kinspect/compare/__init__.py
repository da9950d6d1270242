"""Compare two models: structure, weights, outputs and layer by layer (`kinspect compare`).

    from kinspect.compare import compare
    result = compare("model.h5", "frozen.pb")   # a Comparison
    result.equal, result.divergence            # first layer past the tolerance, with its inputs

structure.py matches layers and nodes; weights.py compares stored tensors exactly in bounded
memory; layers.py runs both (kinspect.run) and compares every matched layer output.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Comparison", "Tolerance", "compare"]
# Imported on first use (PEP 562): the CLI builds the `compare` parser from kinspect.compare.cli
# for every command, `kinspect info` included.
_HOMES = {"Comparison": ".comparison", "compare": ".comparison", "Tolerance": ".tolerance"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)
