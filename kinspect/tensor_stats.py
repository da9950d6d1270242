"""Statistics, a histogram and 1-D/2-D slices of a tensor's values, for the details pane.

Qt-free so it is tested headless and runs on a worker thread. Big tensors are summarised from an
evenly strided sample (at most `SAMPLE_LIMIT` elements): min/max/mean/std of a 250 M element
tensor then cost milliseconds instead of seconds, and the result says it was sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAMPLE_LIMIT = 1_000_000
BINS = 50


@dataclass
class TensorStats:
    """What the tensor view shows above the plot; `sampled` tells the user it is an estimate."""

    size: int
    count: int  # elements the statistics were computed from
    sampled: bool
    numeric: bool
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    nonfinite: int = 0
    counts: list[int] = field(default_factory=list)
    edges: list[float] = field(default_factory=list)


def sample(values: np.ndarray, limit: int = SAMPLE_LIMIT) -> np.ndarray:
    """A flat view of at most `limit` evenly spaced elements (no copy of the whole tensor)."""
    flat = values.reshape(-1)
    if flat.size <= limit:
        return flat
    step = -(-flat.size // limit)  # ceil division: strided view, O(limit) work afterwards
    return flat[::step]


def sample_index(shape: tuple[int, ...], limit: int = SAMPLE_LIMIT) -> tuple[slice, ...]:
    """Per-axis strides whose selection holds at most `limit` elements, spread over every axis,
    for readers that can read a strided part of a tensor (an HDF5 hyperslab) without the rest."""
    steps = [1] * len(shape)
    while np.prod([-(-d // s) for d, s in zip(shape, steps, strict=True)], dtype=float) > limit:
        # double the stride of the axis that still keeps the most elements
        axis = max(range(len(shape)), key=lambda i: -(-shape[i] // steps[i]))
        steps[axis] *= 2
    return tuple(slice(None, None, s) for s in steps)


TABLE_ROWS = TABLE_COLS = 2000


def table_index(shape: tuple[int, ...], leading: tuple[int, ...] = (),
                rows: int = TABLE_ROWS, cols: int = TABLE_COLS) -> tuple[int | slice, ...]:
    """The part of a big tensor a values table shows: one 2-D slice (leading axes fixed, 0 by
    default), cut to the first `rows` x `cols`."""
    if not shape:
        return ()
    if len(shape) == 1:
        return (slice(0, rows),)
    extra = len(shape) - 2
    fixed = tuple(leading[:extra]) + (0,) * max(0, extra - len(leading))
    return fixed + (slice(0, rows), slice(0, cols))


def table_truncated(shape: tuple[int, ...]) -> bool:
    """Whether `table_index` cuts the slice of a tensor of this shape."""
    if not shape:
        return False
    if len(shape) == 1:
        return shape[0] > TABLE_ROWS
    return shape[-2] > TABLE_ROWS or shape[-1] > TABLE_COLS


def is_numeric(values: np.ndarray) -> bool:
    return values.dtype.kind in "biuf"


def compute(values: np.ndarray, limit: int = SAMPLE_LIMIT, bins: int = BINS,
            size: int | None = None) -> TensorStats:
    """min / max / mean / std and a histogram over finite values (of a sample when big).
    `size` is the whole tensor's size when `values` is already a sample of it."""
    values = np.asarray(values)
    part = sample(values, limit)
    total = int(values.size) if size is None else int(size)
    stats = TensorStats(size=total, count=int(part.size),
                        sampled=part.size < total, numeric=is_numeric(values))
    if not stats.numeric or part.size == 0:
        return stats
    data = part.astype(np.float64)
    finite = np.isfinite(data)
    stats.nonfinite = int(data.size - np.count_nonzero(finite))
    data = data[finite]
    if data.size == 0:
        return stats
    stats.min, stats.max = float(data.min()), float(data.max())
    # Values near the float64 limits overflow a plain sum and the histogram's range (max - min):
    # work on values scaled into [-1, 1] and scale the results back.
    scale = max(abs(stats.min), abs(stats.max)) if np.isinf(stats.max - stats.min) else 1.0
    scaled = data / scale if scale != 1.0 else data
    stats.mean = float(scaled.mean()) * scale
    stats.std = float(scaled.std()) * scale
    low, high = stats.min / scale, stats.max / scale
    if low == high:  # one distinct value: one bar centred on it
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(scaled, bins=bins, range=(low, high))
    stats.counts = [int(c) for c in counts]
    stats.edges = [float(e) * scale for e in edges]
    return stats


def slice_2d(values: np.ndarray, leading: tuple[int, ...] = ()) -> np.ndarray:
    """The 1-D or 2-D slice a values table shows: scalars become 1x1, vectors one column,
    higher ranks are indexed by `leading` (one index per leading axis, default 0)."""
    values = np.asarray(values)
    if values.ndim == 0:
        return values.reshape(1, 1)
    if values.ndim == 1:
        return values.reshape(-1, 1)
    extra = values.ndim - 2
    index = tuple(leading[:extra]) + (0,) * max(0, extra - len(leading))
    return values[index] if extra else values


def format_value(value: object) -> str:
    """A table cell: floats with 6 significant digits, everything else as numpy prints it."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
