"""`compare(A, B)`: structure, weights, outputs and layer by layer, as one Comparison.

The CLI and the Compare view both call `compare`. Documents are opened as data (no code runs);
running needs a clean scan or --trust-code, checked by `kinspect.run.load`. A side that cannot
run (weights only, architecture only) makes the comparison stop after the weights, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequest, KinspectError
from ..model import Document
from ..progress import NO_PROGRESS, Progress
from .layers import Diff, Divergence, compare_runs, first_divergence
from .structure import Structure, compare_structure
from .tolerance import DEFAULT, Tolerance
from .weights import Weights, compare_weights

# Formats that hold no runnable model on their own (kinspect.run refuses them without --arch).
NOT_RUNNABLE = {"keras-weights-h5": "weights only", "keras-json": "architecture only",
                "keras-yaml": "architecture only", "tfjs-layers": "TensorFlow.js model",
                "tfjs-graph": "TensorFlow.js model"}


@dataclass
class Side:
    path: str
    arch: str | None = None
    doc: Document | None = None


@dataclass
class Comparison:
    a: Side
    b: Side
    tol: Tolerance
    structure: Structure
    weights: Weights
    outputs: list[Diff] = field(default_factory=list)
    layers: list[Diff] = field(default_factory=list)
    divergence: Divergence | None = None
    ran: bool = False
    not_run: str | None = None  # why outputs were not compared
    inputs: dict[str, Any] = field(default_factory=dict)  # name -> shape, dtype, source
    feeds: dict[str, Any] = field(default_factory=dict, repr=False)
    # With keep_values: A's name -> (A's values, B's values) of every compared tensor.
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        same_family = self.structure.mode != "layers-graph"
        return (self.structure.equal and self.weights.equal(same_family)
                and all(d.ok for d in self.outputs) and all(d.ok for d in self.layers))


def open_side(path: str, arch: str | None, progress: Progress = NO_PROGRESS) -> Document:
    from ..formats import open_document

    if arch:
        from ..formats.keras.pairing import open_pair

        return open_pair(path, arch)
    return open_document(path, progress=progress)


def compare(path_a: str, path_b: str, *, arch_a: str | None = None, arch_b: str | None = None,
            inputs: list[str] | None = None, tol: Tolerance = DEFAULT, run: bool = True,
            layers: bool = True, trust_code: bool = False, keep_values: bool = False,
            progress: Progress = NO_PROGRESS) -> Comparison:
    """Compare A and B. Raises FormatError / InvalidRequest / UnsafeContent naming the file."""
    a, b = Side(path_a, arch_a), Side(path_b, arch_b)
    progress.step(0.0, f"opening {path_a}")
    a.doc = open_side(path_a, arch_a)
    progress.step(0.05, f"opening {path_b}")
    b.doc = open_side(path_b, arch_b)
    progress.step(0.1, "matching layers")
    structure = compare_structure(a.doc, b.doc)
    weights = compare_weights(a.doc, b.doc, tol, structure, _sub(progress, 0.1, 0.3))
    result = Comparison(a, b, tol, structure, weights)
    result.not_run = why_not_runnable(a) or why_not_runnable(b)
    if not run:
        result.not_run = "--no-run"
    elif result.not_run is None:
        run_both_confined(result, inputs or [], layers, trust_code, _sub(progress, 0.3, 1.0),
                          keep_values)
    progress.step(1.0, "done")
    return result


def why_not_runnable(side: Side) -> str | None:
    fmt = side.doc.format if side.doc else ""
    if fmt in NOT_RUNNABLE and not (side.arch and fmt == "keras-weights-h5"):
        return f"{side.path}: {NOT_RUNNABLE[fmt]}, nothing to run"
    if fmt == "tf-checkpoint" and side.doc is not None and not side.doc.nodes:
        return f"{side.path}: checkpoint without a graph (.meta), nothing to run"
    return None


def run_both_confined(result: Comparison, inputs: list[str], with_layers: bool, trust: bool,
                      progress: Progress, keep_values: bool = False) -> None:
    """run_both in a confined child (kinspect.safety.confine, issue 22): it reads only both
    models, their architecture files and the inputs, writes only a private temporary folder,
    reaches no network. The documents stay here (opened as data); the child gets the paths."""
    import dataclasses
    import tempfile

    from ..convert.registry import CHILD_WARM
    from ..convert.sources import source_format
    from ..convert.trust import confined_sources
    from ..run.oneshot import input_reads, refused_message
    from ..safety.confine import is_confined, run_confined

    if is_confined():  # a failed --verify's divergence search, inside the conversion's child
        run_both(result, inputs, with_layers, trust, progress, keep_values)
        return
    bare = dataclasses.replace(result, a=Side(result.a.path, result.a.arch),
                               b=Side(result.b.path, result.b.arch))
    reads = input_reads(inputs)
    for side in (result.a, result.b):
        reads += confined_sources(side.path, source_format(side.path), side.arch)
    try:
        with tempfile.TemporaryDirectory(prefix="kinspect-compare-") as tmp:
            ran = run_confined(run_both_child, bare, inputs, with_layers, trust, keep_values,
                               read=reads, write=[tmp], warm=CHILD_WARM,
                               progress=None if progress is NO_PROGRESS else progress)
    except KinspectError as exc:
        exc.message = refused_message(exc.message)
        exc.path = exc.path or result.a.path
        raise
    for name in ("outputs", "layers", "inputs", "feeds", "values", "warnings", "ran"):
        setattr(result, name, getattr(ran, name))
    result.divergence = first_divergence(result.a.doc, result.layers)  # type: ignore[arg-type]


def run_both_child(bare: Comparison, inputs: list[str], with_layers: bool, trust: bool,
                   keep_values: bool, progress: Progress = NO_PROGRESS) -> Comparison:
    """The confined child's job: BARE (no documents) with its runs filled in."""
    run_both(bare, inputs, with_layers, trust, progress, keep_values)
    return bare


def run_both(result: Comparison, inputs: list[str], with_layers: bool, trust: bool,
             progress: Progress, keep_values: bool = False) -> None:
    from ..run import load

    progress.step(0.0, f"loading {result.a.path}")
    runner_a = load(result.a.path, arch=result.a.arch, trust_code=trust,
                    progress=_sub(progress, 0.0, 0.25))
    try:
        progress.step(0.25, f"loading {result.b.path}")
        runner_b = load(result.b.path, arch=result.b.arch, trust_code=trust,
                        progress=_sub(progress, 0.25, 0.4))
        try:
            result.warnings += runner_a.warnings + runner_b.warnings
            try:
                feeds = make_feeds(runner_a, inputs, result, runner_b)
            except InvalidRequest as exc:
                exc.path = exc.path or result.a.path  # inputs are A's: the line names A
                raise
            result.outputs, result.layers = compare_runs(
                runner_a, runner_b, feeds, result.structure, result.tol, with_layers,
                _sub(progress, 0.4, 1.0), result.values if keep_values else None)
            if result.a.doc is not None:  # None in the confined child: the parent does it
                result.divergence = first_divergence(result.a.doc, result.layers)
            result.ran = True
        finally:
            runner_b.close()
    finally:
        runner_a.close()


def make_feeds(runner: Any, items: list[str], result: Comparison,
               other: Any = None) -> dict[str, Any]:
    """--input sources for A's inputs (as `kinspect run` reads them); the rest from the
    converter's seeded generator, as --verify makes them, in a shape both sides take (a
    dimension A leaves open takes B's size: a .tflite converted with batch 1, a scalar)."""
    from ..convert.verify import sample
    from ..run.sources import load_source, parse_inputs

    given = parse_inputs(items, list(runner.inputs))
    feeds: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, spec in runner.inputs.items():
        if name in given:
            loaded = load_source(spec, given[name], "none")
            feeds[name], sources[name] = loaded.array, loaded.source
    specs_b = list(other.inputs.values()) if other is not None else []
    rest = [(n, _merged(s.shape, specs_b[i].shape if i < len(specs_b) else None), s.dtype)
            for i, (n, s) in enumerate(runner.inputs.items()) if n not in given]
    for (name, _, _), array in zip(rest, sample(rest), strict=True):
        feeds[name], sources[name] = array, "random"
    feeds = {n: feeds[n] for n in runner.inputs}
    result.inputs = {n: {"shape": list(v.shape), "dtype": str(v.dtype), "source": sources[n]}
                     for n, v in feeds.items()}
    if not feeds:
        raise InvalidRequest("the model has no inputs to feed", result.a.path)
    result.feeds = feeds
    return feeds


def _merged(a: tuple | None, b: tuple | None) -> tuple | None:
    """A's shape with B's sizes where A has none; B's shape when A's rank is unknown."""
    if a is None or b is None:
        return a if b is None else b
    if len(a) != len(b):
        return a
    return tuple(x if x is not None else y for x, y in zip(a, b, strict=True))


def _sub(progress: Progress, start: float, end: float) -> Progress:
    """PROGRESS rescaled to [START, END], cancelling through the same flag."""
    if progress is NO_PROGRESS:
        return progress
    return _Scaled(progress, start, end)


class _Scaled(Progress):
    def __init__(self, parent: Progress, start: float, end: float) -> None:
        super().__init__()
        self.parent, self.start, self.end = parent, start, end

    @property  # type: ignore[override]
    def cancelled(self) -> bool:
        return self.parent.cancelled

    @cancelled.setter
    def cancelled(self, value: bool) -> None:
        if value:
            self.parent.cancel()

    def step(self, fraction: float, message: str = "") -> None:
        self.parent.step(self.start + (self.end - self.start) * fraction, message)
