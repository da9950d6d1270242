"""Load, read the inputs and run, in one module-level call with a picklable result: what
`kinspect run` does, and the one entry point a confined child process can take
(kinspect.safety.confine.run_confined imports a function by name and pickles its result)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..errors import KinspectError
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


def run_file_confined(path: str, sources: list[str], *, arch: str | None = None,
                      progress: Progress = NO_PROGRESS, **kwargs: object) -> OneShot:
    """run_file in a confined child process (kinspect.safety.confine): it reads only the model
    (its folder for multi-file formats), ARCH and the input sources, writes only a private
    temporary folder, reaches no network. Errors come back as the KinspectError they are."""
    import tempfile

    from ..convert.registry import CHILD_WARM
    from ..convert.sources import source_format
    from ..convert.trust import confined_sources
    from ..safety.confine import is_confined, run_confined

    if is_confined():
        return run_file(path, sources, arch=arch, progress=progress, **kwargs)  # type: ignore[arg-type]
    reads = confined_sources(path, source_format(path), arch) + input_reads(sources)
    try:
        with tempfile.TemporaryDirectory(prefix="kinspect-run-") as tmp:
            return run_confined(run_file, path, list(sources), arch=arch, read=reads,
                                write=[tmp], warm=CHILD_WARM,
                                progress=progress if progress is not NO_PROGRESS else None,
                                **kwargs)
    except KinspectError as exc:
        exc.message = refused_message(exc.message)
        exc.path = exc.path or path  # the CLI contract: every error line names a file
        raise


def refused_message(message: str) -> str:
    """A run that failed because the kernel refused a file access (the confinement at work)
    says so first, naming the op and the path, instead of TensorFlow's long error text."""
    import re

    if "Permission denied" not in message and "PermissionDenied" not in message:
        return message
    node = re.search(r"Node: '([^']+)'\s*([^;\[]*?);?\s*Permission denied", message)
    if node and node.group(2).strip():
        return (f"running the model failed: the confinement refused {node.group(1)} access to "
                f"{node.group(2).strip()} (outside the model and its inputs): Permission denied")
    return f"the confinement refused a file access outside the model and its inputs; {message}"


def input_reads(items: list[str]) -> list[str]:
    """The files and folders `--input` items name (`[NAME=]SOURCE`, `FILE.npz:KEY`), for the
    confined child's read list. A JSON literal or `random` names none."""
    import os

    paths: list[str] = []
    for item in items:
        for source in {item, item.partition("=")[2]}:
            for candidate in (source, source.rpartition(":")[0]):
                if candidate and os.path.exists(candidate):
                    paths.append(os.path.abspath(candidate))
    return sorted(set(paths))
