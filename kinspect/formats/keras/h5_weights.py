"""Keras weight groups in HDF5, read with h5py alone (metadata now, values on demand).

The same layout serves full models (`model_weights/`), weights-only files (layer groups at the
root) and optimizer state: a group with `layer_names`, each layer group with `weight_names`
that name its datasets relative to the layer group, exactly as Keras wrote them
(`dense_1/kernel:0` in Keras 2, `sequential/dense/kernel` in Keras 3 legacy files).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import numpy as np

from ...errors import as_format_errors
from ...model import TensorInfo
from ..containers import bounds, h5_guard


def text(value: Any) -> str:
    """An HDF5 attribute as str (h5py gives bytes, str or numpy scalars depending on writer)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def text_list(value: Any) -> list[str]:
    """A `layer_names` / `weight_names` attribute as a list of str (empty arrays are float64)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [text(value)]
    return [text(v) for v in np.asarray(value).reshape(-1) if not isinstance(v, float)]


def json_attr(attrs: h5py.AttributeManager, key: str) -> Any:
    """A JSON-valued attribute (`model_config`, `training_config`), or None when absent."""
    if key not in attrs:
        return None
    bounds.check_attr_bytes(attrs.get_id(key).get_storage_size(), f"attribute {key}")
    return bounds.loads_json(text(attrs[key]), f"attribute {key}")


def producer(attrs: h5py.AttributeManager) -> dict[str, str]:
    """`keras_version` and `backend` as the writer recorded them (full models and weights)."""
    return {key: text(attrs[key]) for key in ("keras_version", "backend") if key in attrs}


def dataset_loader(path: str, dataset: str) -> Callable[[], np.ndarray]:
    """Reopens the file on demand, so a document holds no open handle and no values; a file
    changed or gone since is a FormatError (the window calls this from a GUI slot)."""

    def load() -> np.ndarray:
        with h5py.File(path, "r") as f:
            return np.asarray(h5_guard.dataset(f, dataset, whole=True)[()])

    return as_format_errors(load)


def dataset_slicer(path: str, dataset: str) -> Callable[[tuple[Any, ...]], np.ndarray]:
    """Reads `dataset[index]` only (an HDF5 hyperslab): the window samples big weights this way."""

    def read(index: tuple[Any, ...]) -> np.ndarray:
        with h5py.File(path, "r") as f:
            return np.asarray(h5_guard.dataset(f, dataset)[index])

    return as_format_errors(read)


def tensor_info(file_path: str, dataset: h5py.Dataset, name: str) -> TensorInfo:
    return TensorInfo(name=name, shape=tuple(int(d) for d in dataset.shape),
                      dtype=dtype_name(dataset.dtype),
                      loader=dataset_loader(file_path, dataset.name),
                      slicer=dataset_slicer(file_path, dataset.name))


def dtype_name(dtype: np.dtype) -> str:
    if dtype.kind in ("S", "O", "U"):
        return "string"
    return dtype.name


def layer_weights(file_path: str, group: h5py.Group) -> dict[str, list[TensorInfo]]:
    """Layer name -> its weights in stored order, for a group carrying `layer_names`."""
    out: dict[str, list[TensorInfo]] = {}
    for layer_name in text_list(group.attrs.get("layer_names")):
        layer_group = group.get(layer_name)
        if not isinstance(layer_group, h5py.Group):
            out[layer_name] = []
            continue
        out[layer_name] = group_weights(file_path, layer_group)
    return out


def group_weights(file_path: str, layer_group: h5py.Group) -> list[TensorInfo]:
    """The weights of one layer group: by `weight_names` when present, else every dataset."""
    names = text_list(layer_group.attrs.get("weight_names"))
    if not names and "weight_names" not in layer_group.attrs:
        return all_datasets(file_path, layer_group)
    weights = []
    for name in names:
        dataset = layer_group.get(name)
        if isinstance(dataset, h5py.Dataset):
            weights.append(tensor_info(file_path, dataset, name))
    return weights


def all_datasets(file_path: str, group: h5py.Group) -> list[TensorInfo]:
    """Every dataset below a group, named by its path relative to the group (sorted as stored)."""
    found: list[TensorInfo] = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            found.append(tensor_info(file_path, obj, name))

    group.visititems(visit)
    return found
