"""What every runner offers: named input specs, output names, fetchable layers, `run`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Cancelled, InvalidRequest, KinspectError


class RunError(KinspectError):
    """The model was loaded but running it failed (TensorFlow / onnxruntime said why)."""


@dataclass(frozen=True)
class TensorSpec:
    """An input's name, shape (None: any size) and numpy dtype name."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str

    def shape_text(self) -> str:
        if self.shape is None:
            return "(any shape)"
        return "(" + ", ".join("None" if d is None else str(d) for d in self.shape) + ")"


@dataclass
class RunResult:
    """Final outputs and the requested intermediate values of one forward pass."""

    outputs: dict[str, np.ndarray]
    layers: dict[str, np.ndarray] = field(default_factory=dict)


class Runner:
    """Base of the per-family runners. Subclasses set `inputs`, `outputs`, `format` and
    implement `_run(feeds, layers)`; `run` checks the feeds first."""

    format: str = ""
    path: str = ""
    # Whether the first dimension may differ from the spec (signatures and interpreters take
    # other batch sizes even when the stored spec says 1; half_plus_two TF2: (1,) takes (3,)).
    free_batch: bool = False
    # Whether shapes are checked at all: a loaded SavedModel signature takes any shape whatever
    # its stored spec says (TF relaxes it: times_three's x is declared () and takes [1, 2, 3]).
    check_shape: bool = True

    def __init__(self) -> None:
        self.inputs: dict[str, TensorSpec] = {}
        self.outputs: list[str] = []
        self.warnings: list[str] = []

    @property
    def output_tensors(self) -> dict[str, str]:
        """Output name -> the tensor it is (`node:0` in graphs); the name itself otherwise."""
        return {n: n for n in self.outputs}

    def layer_names(self) -> list[str]:
        """Names whose values `run(..., layers=[...])` can return, in graph order."""
        return []

    def run(self, feeds: Mapping[str, np.ndarray], layers: Sequence[str] | None = None,
            progress: Any = None) -> RunResult:
        """One forward pass. PROGRESS: a run in this process cannot be interrupted (TensorFlow
        has no cancel), so only a confined runner (run/remote.py) acts on its cancel."""
        arrays = check_feeds(self.inputs, feeds, self.free_batch, self.check_shape)
        wanted = list(layers or [])
        if wanted:
            known = set(self.layer_names())
            unknown = [n for n in wanted if n not in known]
            if unknown:
                raise InvalidRequest(f"no layer or tensor named {', '.join(unknown[:5])}; "
                                     f"see --layers all")
        try:
            return self._run(arrays, wanted)
        except (KinspectError, Cancelled):
            raise
        except Exception as exc:  # noqa: BLE001 - TF / onnxruntime raise many types
            text = " ".join(str(exc).split())
            raise RunError(f"running the model failed: {type(exc).__name__}: {text[:300]}",
                           self.path) from exc

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        raise NotImplementedError

    def warm(self, feeds: Mapping[str, np.ndarray], layers: Sequence[str] = ()) -> None:
        """Make the next runs on inputs like FEEDS fast (a window calls it on a worker after
        the first run); runners that are already compiled do nothing."""

    def close(self) -> None:
        """Free the loaded model (sessions, interpreters)."""


def check_feeds(specs: Mapping[str, TensorSpec], feeds: Mapping[str, Any],
                free_batch: bool = False, check_shape: bool = True) -> dict[str, np.ndarray]:
    """FEEDS as arrays of each input's dtype, every input given, shapes compatible; a
    mismatch names the input, what it expects and what it got (InvalidRequest)."""
    unknown = [n for n in feeds if n not in specs]
    if unknown:
        raise InvalidRequest(f"input {unknown[0]}: the model has no such input; its inputs: "
                             f"{', '.join(specs)}")
    missing = [n for n in specs if n not in feeds]
    if missing:
        raise InvalidRequest(f"input {missing[0]}: no value given (--input "
                             f"{missing[0]}=SOURCE)")
    out = {}
    for name, spec in specs.items():
        out[name] = _checked(spec, np.asarray(feeds[name]), free_batch, check_shape)
    return out


def _checked(spec: TensorSpec, array: np.ndarray, free_batch: bool,
             check_shape: bool) -> np.ndarray:
    want = np.dtype(spec.dtype)
    got = array.dtype
    if got.kind in "OVUSM" and want.kind not in "OSU":
        raise InvalidRequest(f"input {spec.name}: expects {spec.dtype} {spec.shape_text()}, "
                             f"got {got} values")
    if got != want:
        if not _safe_cast(got, want):
            raise InvalidRequest(f"input {spec.name}: expects {spec.dtype} "
                                 f"{spec.shape_text()}, got {got}")
        array = array.astype(want)
    if spec.shape is not None and check_shape:
        shape = tuple(array.shape)
        fits = len(shape) == len(spec.shape) and all(
            d is None or d == g or (i == 0 and free_batch)
            for i, (d, g) in enumerate(zip(spec.shape, shape, strict=True)))
        if not fits:
            raise InvalidRequest(f"input {spec.name}: expects shape {spec.shape_text()}, got "
                                 f"{shape}")
    return array


def _safe_cast(got: np.dtype, want: np.dtype) -> bool:
    """Numbers convert to the input's type when no value class is lost: ints and floats to a
    float input, small ints to wider ints, bools to anything numeric."""
    if got.kind == "b":
        return want.kind in "biuf"
    if want.kind == "f":
        return got.kind in "iuf"
    if want.kind in "iu":
        return got.kind in "iu"
    return np.can_cast(got, want, "same_kind")
