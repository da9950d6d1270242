"""Run any model file on real inputs: one loader, one Runner per family.

Public API (stable; `kinspect compare` builds on it)::

    from kinspect.run import load
    runner = load(path, arch=None, signature=None, outputs=None, trust_code=False,
                  progress=NO_PROGRESS)
    runner.inputs          # {name: TensorSpec(name, shape, dtype)}, in the model's order
    runner.outputs         # [output name, ...]
    runner.layer_names()   # Keras layer names / graph tensor names (`node:0`) in graph order
    result = runner.run({name: array}, layers=None | ["dense", ...])
    result.outputs         # {output name: np.ndarray}
    result.layers          # {layer or tensor name: np.ndarray}, from the same forward pass

One call from file to results, with a picklable result (what `kinspect run` does, and the
function a confined child process runs)::

    from kinspect.run.oneshot import run_file
    shot = run_file(path, ["x=image.png"], preprocess="tf", layers="all", trust_code=False)
    shot.inputs, shot.result.outputs, shot.result.layers, shot.load_seconds, shot.run_seconds

`load` checks trust first (running executes the model: a file whose scan finds code, custom
objects or file operations raises UnsafeContent unless `trust_code`), then loads the model
once; the Runner keeps it loaded for the next `run`. TensorFlow is imported lazily, inside
`load`. Everything from opening the file to the first result goes through `load` + `run`, so
the pair can be wrapped (confined in a child process) as one entry point.
"""

from __future__ import annotations

from .load import load
from .runner import RunError, Runner, RunResult, TensorSpec, check_feeds

__all__ = ["Runner", "RunError", "RunResult", "TensorSpec", "check_feeds", "load"]
