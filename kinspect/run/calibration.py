"""Representative inputs for `kinspect convert --to tflite --quantize int8 --calibration
SOURCE`, read by the same loaders as `kinspect run`'s inputs (a folder of images, an .npz,
.npy, JSON). Handed to the converter as `Options.calibration_loader` by the front ends, since
kinspect.convert may not import kinspect.run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidRequest
from .preprocess import guess_mode
from .runner import TensorSpec
from .sources import load_source


def load(specs: list[tuple[str, Any, str]], source: str, model_name: str | None = None,
         ) -> list[np.ndarray]:
    """One array per input, samples along axis 0. SOURCE feeds a lone input; for several,
    an .npz with one key per input name (`FILE.npz` is read as `FILE.npz:NAME` per input).
    Images are preprocessed as `kinspect run` would by default for MODEL_NAME."""
    mode = guess_mode(model_name)
    if len(specs) > 1 and not source.lower().endswith(".npz"):
        raise InvalidRequest(f"--calibration {source}: the model has {len(specs)} inputs; "
                             "give an .npz with one array per input name")
    out = []
    for name, shape, dtype in specs:
        spec = TensorSpec(name.split(":")[0], tuple(shape) if shape is not None else None, dtype)
        item = f"{source}:{spec.name}" if len(specs) > 1 else source
        array = np.asarray(load_source(spec, item, mode).array)
        if shape is not None and array.ndim == len(shape) - 1:
            array = array[None]
        out.append(array.astype(dtype) if np.dtype(dtype).kind == "f" else array)
    counts = {len(a) for a in out}
    if len(counts) != 1:
        raise InvalidRequest(f"--calibration {source}: the inputs have different sample counts "
                             f"({sorted(counts)})")
    return out
