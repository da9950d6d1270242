"""Where an input's values come from: `.npy`, `FILE.npz:key`, an image or a folder of images,
a JSON array (file or literal), or `random` (the converter's seeded generator).

Never `allow_pickle`; JSON is parsed, never evaluated. Errors name the input.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidRequest
from .images import IMAGE_SUFFIXES, load_images
from .runner import TensorSpec


@dataclass
class Loaded:
    """An input's values and how they were made (for the report)."""

    array: np.ndarray
    source: str
    kind: str  # npy, npz, image, images, json, random
    preprocess: str = "none"
    image: np.ndarray | None = None  # the first image before preprocessing (for a preview)


def parse_inputs(items: list[str], names: list[str]) -> dict[str, str]:
    """`--input NAME=SOURCE` items -> {name: source}; a lone SOURCE goes to a lone input."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, source = item.partition("=")
        if sep and (name in names or not os.path.exists(item)):
            if name not in names:
                raise InvalidRequest(f"input {name}: the model has no such input; its inputs: "
                                     f"{', '.join(names)}")
            out[name] = source
        elif len(names) == 1:
            out[names[0]] = item
        else:
            raise InvalidRequest(f"the model has {len(names)} inputs ({', '.join(names)}): "
                                 f"give each as --input NAME=SOURCE")
    return out


def load_source(spec: TensorSpec, source: str, preprocess: str) -> Loaded:
    """The values of SOURCE for input SPEC (shape and dtype checked later, by the runner).
    PREPROCESS applies to images only."""
    try:
        return _load(spec, source, preprocess)
    except InvalidRequest:
        raise
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"input {spec.name}: cannot read {source}: "
                             f"{' '.join(str(exc).split())[:200]}") from exc


def _load(spec: TensorSpec, source: str, preprocess: str) -> Loaded:
    if source == "random":
        from ..convert.verify import sample

        # A batch of one: graphs often fix their batch size inside (tf2onnx_gru reshapes to 1).
        shape = spec.shape
        if shape and shape[0] is None:
            shape = (1, *shape[1:])
        (array,) = sample([(spec.name, shape, spec.dtype)])
        return Loaded(array, "random", "random")
    if source.lstrip().startswith("[") or (not os.path.exists(source) and _is_number(source)):
        return Loaded(_json_array(spec, source, "the JSON value"), source[:40], "json")
    path, key = _split_npz(source)
    if os.path.isdir(path) or path.lower().endswith(IMAGE_SUFFIXES):
        array, used, raw = load_images(spec, path, preprocess)
        return Loaded(array, path, "images" if os.path.isdir(path) else "image", used, raw)
    if not os.path.isfile(path):
        raise InvalidRequest(f"input {spec.name}: no such file: {path}")
    if path.lower().endswith(".npz"):
        return Loaded(_npz(spec, path, key), source, "npz")
    if path.lower().endswith(".json"):
        with open(path, encoding="utf-8") as f:
            return Loaded(_json_array(spec, f.read(), path), source, "json")
    return Loaded(_npy(spec, path), source, "npy")


def _is_number(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (int, float))
    except ValueError:
        return False


def _split_npz(source: str) -> tuple[str, str | None]:
    base, sep, key = source.rpartition(":")
    if sep and base.lower().endswith(".npz") and not os.path.exists(source):
        return base, key
    return source, None


def _npy(spec: TensorSpec, path: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickle" in str(exc).lower():
            raise InvalidRequest(f"input {spec.name}: {path} holds Python objects (pickled), "
                                 "which are never loaded") from exc
        raise InvalidRequest(f"input {spec.name}: {path} is not a valid .npy file: "
                             f"{' '.join(str(exc).split())[:200]}") from exc


def _npz(spec: TensorSpec, path: str, key: str | None) -> np.ndarray:
    with np.load(path, allow_pickle=False) as archive:
        keys = list(archive.keys())
        pick = key or (spec.name if spec.name in keys else keys[0] if len(keys) == 1 else None)
        if pick is None or pick not in keys:
            raise InvalidRequest(f"input {spec.name}: name the array as {path}:KEY; it holds "
                                 f"{', '.join(keys[:10]) or 'nothing'}")
        try:
            return archive[pick]
        except ValueError as exc:
            raise InvalidRequest(f"input {spec.name}: {path}:{pick} holds Python objects "
                                 "(pickled), which are never loaded") from exc


def _json_array(spec: TensorSpec, text: str, where: str) -> np.ndarray:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"input {spec.name}: {where} is not JSON: {exc}") from exc
    try:
        array = np.array(data)
    except ValueError as exc:
        raise InvalidRequest(f"input {spec.name}: {where} is not a rectangular array") from exc
    if array.dtype.kind not in "biuf":
        raise InvalidRequest(f"input {spec.name}: {where} holds {array.dtype} values, not "
                             "numbers")
    want = np.dtype(spec.dtype)
    if array.dtype.kind in "iu" and want.kind == "f" or array.dtype.kind == "f" == want.kind:
        array = array.astype(want)  # JSON has no float32: numbers take the input's type
    return array
