"""Image preprocessing as keras.applications defines it, and the default for a model.

Modes (x: RGB values 0..255): `tf` x/127.5 - 1; `torch` x/255 then ImageNet mean/std;
`caffe` RGB->BGR then the ImageNet BGR mean subtracted; `unit` x/255; `none` unchanged.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidRequest

MODES = ("tf", "torch", "caffe", "unit", "none")
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], np.float32)
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)

# keras.applications model names (model.name) -> the mode their preprocess_input uses.
# EfficientNet, ConvNeXt and RegNet rescale inside the model: `none`.
_KNOWN = (
    (r"^resnet\d+v2", "tf"), (r"^resnet\d+$", "caffe"), (r"^vgg\d+", "caffe"),
    (r"^densenet", "torch"), (r"^inception", "tf"), (r"^xception", "tf"),
    (r"^mobilenet", "tf"), (r"^nasnet", "tf"),
)


def guess_mode(model_name: str | None) -> str:
    """The mode for a keras.applications model named MODEL_NAME, else `none`."""
    name = (model_name or "").lower()
    for pattern, mode in _KNOWN:
        if re.search(pattern, name):
            return mode
    return "none"


def apply(images: np.ndarray, mode: str, channels_first: bool = False) -> np.ndarray:
    """IMAGES (batch of 0..255 float32, RGB or grayscale) preprocessed by MODE."""
    if mode not in MODES:
        raise InvalidRequest(f"unknown preprocess mode '{mode}'; one of {', '.join(MODES)}")
    x = images.astype(np.float32)
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    channels = x.shape[-1]
    if mode == "tf":
        x = x / 127.5 - 1.0
    elif mode == "unit":
        x = x / 255.0
    elif mode == "torch":
        mean, std = (_TORCH_MEAN, _TORCH_STD) if channels == 3 else \
            (_TORCH_MEAN.mean(), _TORCH_STD.mean())
        x = (x / 255.0 - mean) / std
    elif mode == "caffe":
        if channels == 3:
            x = x[..., ::-1] - _CAFFE_MEAN_BGR
        else:
            x = x - _CAFFE_MEAN_BGR.mean()
    x = x.astype(np.float32)
    return np.ascontiguousarray(np.moveaxis(x, -1, 1) if channels_first else x)
