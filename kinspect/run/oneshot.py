"""Load, read the inputs and run, in one module-level call with a picklable result: what
`kinspect run` does, and the one entry point a confined child process can take
(kinspect.safety.confine.run_confined imports a function by name and pickles its result)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..progress import NO_PROGRESS, Progress
from .runner import RunResult
from .sources import Loaded


@dataclass
class OneShot:
    """A whole run: what was loaded, fed and returned, and how long loading and running took."""

    path: str
    format: str
    inputs: dict[str, Loaded]
    result: RunResult
    load_seconds: float
    run_seconds: float
    output_tensors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def run_file(path: str, sources: list[str], *, arch: str | None = None,
             signature: str | None = None, outputs: list[str] | None = None,
             preprocess: str | None = None, layers: str | list[str] | None = None,
             trust_code: bool = False, progress: Progress = NO_PROGRESS) -> OneShot:
    """PATH run on SOURCES (`[NAME=]SOURCE` items as `--input` takes them)."""
    from . import load, session
    from .sources import parse_inputs

    start = time.perf_counter()
    runner = load(path, arch=arch, signature=signature, outputs=outputs,
                  trust_code=trust_code, progress=progress)
    loaded_in = time.perf_counter() - start
    try:
        named = parse_inputs(sources, list(runner.inputs))
        inputs = session.read_inputs(runner, named, preprocess)
        result, seconds = session.execute(runner, inputs, session.layer_list(runner, layers))
    finally:
        runner.close()
    return OneShot(path, runner.format, inputs, result, loaded_in, seconds,
                   dict(runner.output_tensors), list(runner.warnings))
