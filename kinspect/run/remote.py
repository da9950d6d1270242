"""A model loaded once in a confined child and run there as often as asked: what the window's
Run page holds instead of an in-process Runner, so that a model's code (a scanner miss, or what
the user trusted) runs behind the same wall as `kinspect run`: it reads only the model's files,
writes only a private temporary folder and reaches no network.

    runner = load_confined(path, trust_code=False, progress=progress)   # a Runner
    runner.run({"x": array}, layers=["dense"])                          # in the child
    runner.close()                                                      # ends the child

Inputs are read in the window's process (images, .npy: data, never code) and sent as arrays;
results come back as arrays. Cancelling a call ends the child, and with it the loaded model.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import KinspectError
from ..progress import NO_PROGRESS, Progress
from .runner import Runner, RunResult, TensorSpec

# The child's one loaded model (a confined process serves one Runner).
_loaded: Runner | None = None
# The parent's private folders of live children: removed at exit even when a worker thread
# loading a model is stopped with the interpreter (quitting while the Run page loads).
_folders: set[str] = set()


@dataclass
class Description:
    """What the window needs to know about the loaded model (picklable)."""

    format: str
    inputs: dict[str, TensorSpec]
    outputs: list[str]
    output_tensors: dict[str, str]
    layers: list[str]
    warnings: list[str]
    model_name: str | None
    free_batch: bool
    check_shape: bool


def _load_here(path: str, arch: str | None, signature: str | None,
               outputs: list[str] | None, trust_code: bool,
               progress: Progress = NO_PROGRESS) -> Description:
    """In the child: load the model and keep it for the calls that follow."""
    from . import load

    global _loaded
    runner = load(path, arch=arch, signature=signature, outputs=outputs,
                  trust_code=trust_code, progress=progress)
    _loaded = runner
    return Description(runner.format, dict(runner.inputs), list(runner.outputs),
                       dict(runner.output_tensors), list(runner.layer_names()),
                       list(runner.warnings), getattr(runner, "model_name", None),
                       runner.free_batch, runner.check_shape)


def _run_here(feeds: dict[str, np.ndarray], layers: list[str],
              progress: Progress = NO_PROGRESS) -> RunResult:
    """In the child: one forward pass of the loaded model (PROGRESS is there for the parent's
    cancel, which ends this process)."""
    assert _loaded is not None, "no model loaded in this process"
    return _loaded.run(feeds, layers)


def _warm_here(feeds: dict[str, np.ndarray], layers: list[str]) -> None:
    assert _loaded is not None, "no model loaded in this process"
    _loaded.warm(feeds, layers)


class ConfinedRunner(Runner):
    """A Runner whose model lives in a confined child; `run` checks the feeds here first."""

    def __init__(self, path: str, child: Any, described: Description, folder: str) -> None:
        super().__init__()
        self.path, self.format = path, described.format
        self.inputs, self.outputs = described.inputs, described.outputs
        self.warnings = described.warnings
        self.model_name = described.model_name
        self.free_batch, self.check_shape = described.free_batch, described.check_shape
        self._output_tensors, self._layers = described.output_tensors, described.layers
        self._child = child
        self._progress: Progress | None = None
        # The child and its temporary folder end with this object at the latest.
        self._finalizer = weakref.finalize(self, _end, child, folder)

    @property
    def output_tensors(self) -> dict[str, str]:
        return dict(self._output_tensors)

    @property
    def alive(self) -> bool:
        """False once the child has ended (cancelled, died or closed): load again."""
        return bool(self._child.alive)

    def layer_names(self) -> list[str]:
        return list(self._layers)

    def run(self, feeds: Mapping[str, np.ndarray], layers: Sequence[str] | None = None,
            progress: Progress | None = None) -> RunResult:
        """As Runner.run; a cancel through PROGRESS ends the child (and the loaded model)."""
        self._progress = progress
        try:
            return super().run(feeds, layers)
        finally:
            self._progress = None

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        return self._call(_run_here, feeds, layers, progress=self._progress)

    def warm(self, feeds: Mapping[str, np.ndarray], layers: Sequence[str] = ()) -> None:
        self._call(_warm_here, dict(feeds), list(layers))

    def _call(self, fn: Any, *args: Any, progress: Progress | None = None) -> Any:
        try:
            return self._child.call(fn, *args, progress=progress)
        except KinspectError as exc:
            from .oneshot import refused_message

            exc.message = refused_message(exc.message)
            exc.path = exc.path or self.path
            raise

    def close(self) -> None:
        self._finalizer()


def _end(child: Any, folder: str) -> None:
    child.close()
    shutil.rmtree(folder, ignore_errors=True)
    _folders.discard(folder)


@atexit.register
def _remove_folders() -> None:
    for folder in list(_folders):
        shutil.rmtree(folder, ignore_errors=True)


def load_confined(path: str, *, arch: str | None = None, signature: str | None = None,
                  outputs: list[str] | None = None, trust_code: bool = False,
                  progress: Progress = NO_PROGRESS) -> ConfinedRunner:
    """PATH loaded in a new confined child (trust is checked there, as `load` does)."""
    from ..convert.registry import CHILD_WARM
    from ..convert.sources import source_format
    from ..convert.trust import confined_sources
    from ..safety.confine import ConfinedProcess

    reads = confined_sources(path, source_format(path), arch)
    folder = tempfile.mkdtemp(prefix="kinspect-run-")
    _folders.add(folder)
    child = ConfinedProcess(read=reads, write=[folder], warm=CHILD_WARM)
    try:
        described = child.call(_load_here, path, arch, signature, outputs, trust_code,
                               progress=progress if progress is not NO_PROGRESS else None)
    except BaseException as exc:
        _end(child, folder)
        if isinstance(exc, KinspectError):
            exc.path = exc.path or path
        raise
    return ConfinedRunner(path, child, described, folder)
