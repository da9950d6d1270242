"""Images (Pillow) as a batch for an image input: RGB or grayscale to match its channels,
resized to its height and width (nearest, as keras.utils.load_img does by default)."""

from __future__ import annotations

import os

import numpy as np

from ..errors import InvalidRequest
from . import preprocess as prep
from .runner import TensorSpec

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def image_layout(spec: TensorSpec) -> tuple[int, int | None, int | None, bool] | None:
    """(channels, height, width, channels_first) of an image input, else None."""
    shape = spec.shape
    if shape is None or len(shape) != 4 or np.dtype(spec.dtype).kind not in "fu":
        return None
    if shape[-1] in (1, 3):
        return int(shape[-1]), shape[1], shape[2], False
    if shape[1] in (1, 3):
        return int(shape[1]), shape[2], shape[3], True
    return None


def load_images(spec: TensorSpec, path: str, mode: str) -> tuple[np.ndarray, str, np.ndarray]:
    """(batch preprocessed by MODE, the mode used, the first image as read) of PATH."""
    layout = image_layout(spec)
    if layout is None:
        raise InvalidRequest(f"input {spec.name}: an image needs an input of shape (batch, "
                             f"height, width, 1 or 3 channels); this one expects "
                             f"{spec.dtype} {spec.shape_text()}")
    files = _files(spec, path)
    channels, height, width, first = layout
    images = [_read(spec, f, channels, height, width) for f in files]
    if len({i.shape for i in images}) > 1:
        raise InvalidRequest(f"input {spec.name}: the images in {path} differ in size and the "
                             "input has no fixed height and width")
    batch = np.stack(images).astype(np.float32)
    raw = batch[0].copy()
    if first:
        batch = np.moveaxis(batch, -1, 1)
    if np.dtype(spec.dtype).kind == "u":  # quantized models take the 0..255 values
        return batch.astype(spec.dtype), "none", raw
    return prep.apply(batch, mode, first), mode, raw


def _files(spec: TensorSpec, path: str) -> list[str]:
    if not os.path.isdir(path):
        if not os.path.isfile(path):
            raise InvalidRequest(f"input {spec.name}: no such file: {path}")
        return [path]
    files = sorted(os.path.join(path, n) for n in os.listdir(path)
                   if n.lower().endswith(IMAGE_SUFFIXES))
    if not files:
        raise InvalidRequest(f"input {spec.name}: no images in {path}")
    return files


def _read(spec: TensorSpec, path: str, channels: int, height: int | None,
          width: int | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("RGB" if channels == 3 else "L")
            if height and width and img.size != (width, height):
                img = img.resize((width, height), Image.Resampling.NEAREST)
            array = np.asarray(img, dtype=np.float32)
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidRequest(f"input {spec.name}: {path} is not a readable image: "
                             f"{' '.join(str(exc).split())[:200]}") from exc
    return array[..., None] if channels == 1 else array
