"""One run from sources to results, shared by `kinspect run` and the Run page: the inputs
read and checked, the forward pass timed, the results saved to .npz atomically."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InvalidRequest
from ..progress import NO_PROGRESS, Progress
from . import preprocess as prep
from .runner import Runner, RunResult
from .sources import Loaded, load_source


def default_preprocess(runner: Runner) -> str:
    """The mode keras.applications uses for the model, when it is one of them; else none."""
    return prep.guess_mode(getattr(runner, "model_name", None))


def read_inputs(runner: Runner, sources: dict[str, str], preprocess: str | None = None,
                default: str = "random") -> dict[str, Loaded]:
    """Each input's values from its source (inputs without one: DEFAULT)."""
    unknown = [n for n in sources if n not in runner.inputs]
    if unknown:
        raise InvalidRequest(f"input {unknown[0]}: the model has no such input; its inputs: "
                             f"{', '.join(runner.inputs)}")
    mode = preprocess or default_preprocess(runner)
    if mode not in prep.MODES:
        raise InvalidRequest(f"unknown preprocess mode '{mode}'; one of "
                             f"{', '.join(prep.MODES)}")
    return {name: load_source(spec, sources.get(name, default), mode)
            for name, spec in runner.inputs.items()}


def layer_list(runner: Runner, layers: str | Sequence[str] | None) -> list[str]:
    """`all`, a comma-separated string or a list -> layer names (`:0` optional for graphs)."""
    if not layers:
        return []
    known = runner.layer_names()
    if layers == "all":
        return known
    names = [n.strip() for n in (layers.split(",") if isinstance(layers, str) else layers)
             if n.strip()]
    out = []
    for name in names:
        if name not in known and f"{name}:0" in known:
            name = f"{name}:0"
        out.append(name)
    return out


def execute(runner: Runner, inputs: dict[str, Loaded], layers: list[str],
            progress: Progress = NO_PROGRESS) -> tuple[RunResult, float]:
    """The forward pass on INPUTS and its wall time in seconds."""
    progress.step(0.5, "running the model")
    start = time.perf_counter()
    result = runner.run({n: x.array for n, x in inputs.items()}, layers, progress=progress)
    seconds = time.perf_counter() - start
    progress.step(1.0, "done")
    return result, seconds


def save_npz(path: str, inputs: dict[str, Any], result: RunResult) -> None:
    """inputs/NAME, outputs/NAME, layers/NAME arrays in one .npz, written atomically."""
    from ..convert.atomic import atomic_path

    arrays = {f"inputs/{n}": np.asarray(getattr(x, "array", x)) for n, x in inputs.items()}
    arrays.update({f"outputs/{n}": np.asarray(v) for n, v in result.outputs.items()})
    arrays.update({f"layers/{n}": np.asarray(v) for n, v in result.layers.items()})
    with atomic_path(path, force=True, suffix=".npz") as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
