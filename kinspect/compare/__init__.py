"""Compare two models: structure, weights, outputs and layer by layer (`kinspect compare`).

    from kinspect.compare import compare
    result = compare("model.h5", "frozen.pb")   # a Comparison
    result.equal, result.divergence            # first layer past the tolerance, with its inputs

structure.py matches layers and nodes; weights.py compares stored tensors exactly in bounded
memory; layers.py runs both (kinspect.run) and compares every matched layer output.
"""

from __future__ import annotations

from .comparison import Comparison, compare
from .tolerance import Tolerance

__all__ = ["Comparison", "Tolerance", "compare"]
