"""Broken and hostile inputs the format readers must survive: link cycles in HDF5 stores,
oversized graph outputs, broken optional SavedModel files, leaked temp files, raw OS errors.
Each builds its input here, and each runs in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from kinspect.formats import open_document


def _cyclic_store(path: Path, links: int) -> Path:
    """A Keras 3 `.weights.h5` with one 3-float variable and `links` hard links from
    `layers/<x>` back to the root group."""
    with h5py.File(path, "w") as f:
        layers = f.create_group("layers")
        layers.create_group("dense").create_group("vars").create_dataset("0", data=np.zeros(3))
        for name in "ab"[:links]:
            layers[name] = f["/"]
    return path


@pytest.mark.timeout(60)
@pytest.mark.parametrize("links", [1, 2])
def test_link_cycle_in_weight_store_is_read_once(tmp_path: Path, links: int) -> None:
    path = _cyclic_store(tmp_path / "cycle.weights.h5", links)
    start = time.monotonic()
    doc = open_document(str(path))
    assert time.monotonic() - start < 10
    assert doc.summary is not None and doc.summary.total == 3
    stored = [w.name for layer in doc.all_layers() for w in layer.weights]
    assert stored == ["layers/dense/vars/0"]
