"""TensorFlow protobuf values as plain Python: shapes, dtypes, attributes, tensors as numpy.

Done by hand from the message fields (no `tf.make_ndarray`) because TensorFlow must not be
imported to show a graph; the rules follow tensor.proto (tensor_content first, else the typed
`*_val` field, a single value broadcast to the whole shape).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from google.protobuf import message

from ... import errors
from ...errors import FormatError
from ...model import Shape, TensorInfo
from . import protos as tf_protos

T = TypeVar("T")
# A value repeated to fill its declared shape may grow to this much, no more: stored values
# are bounded by the file, a broadcast scalar only by this (a 40-byte Const can claim 40 GB).
MAX_EXPANDED_BYTES = 256 << 20
# What damaged protobuf, flatbuffer or table content raises while being read.
DAMAGE = (message.DecodeError, *errors.DATA_ERRORS)


def as_format_errors(fn: Callable[..., T]) -> Callable[..., T]:
    """errors.as_format_errors, protobuf's DecodeError included."""
    return errors.as_format_errors(fn, DAMAGE)


# DataType number -> numpy dtype for tensor_content; the *_val field holding values otherwise.
_NUMPY: dict[int, Any] = {
    1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
    8: np.complex64, 9: np.int64, 10: np.bool_, 11: np.int8, 12: np.uint8, 13: np.int32,
    15: np.int16, 16: np.uint16, 17: np.uint16, 18: np.complex128, 19: np.float16,
    22: np.uint32, 23: np.uint64,
}
_VAL_FIELD: dict[int, str] = {
    1: "float_val", 2: "double_val", 3: "int_val", 4: "int_val", 5: "int_val", 6: "int_val",
    9: "int64_val", 10: "bool_val", 11: "int_val", 12: "int_val", 13: "int_val",
    15: "int_val", 16: "int_val", 17: "int_val", 19: "half_val", 22: "uint32_val",
    23: "uint64_val", 7: "string_val", 8: "scomplex_val", 18: "dcomplex_val", 14: "half_val",
}


def numpy_dtype(dt: int) -> Any:
    """The numpy dtype of a DataType number (bfloat16 and strings have none: object)."""
    return _NUMPY.get(dt % 100, object)


def shape_of(proto: Any) -> Shape | None:
    """TensorShapeProto -> (dims) with None for unknown; None when the rank is unknown."""
    if proto.unknown_rank:
        return None
    return tuple(d.size if d.size >= 0 else None for d in proto.dim)


def tensor_shape(proto: Any) -> Shape:
    return tuple(d.size for d in proto.tensor_shape.dim)


def tensor_to_numpy(proto: Any) -> np.ndarray:
    """A TensorProto's values (tensor_content, or the typed field broadcast to the shape)."""
    dt = proto.dtype % 100
    shape = tensor_shape(proto)
    count = math.prod(shape)
    if any(d < 0 for d in shape):
        raise FormatError(f"tensor has a negative dimension: {list(shape)}")
    if dt in _NUMPY and proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=_NUMPY[dt]).reshape(shape).copy()
    if dt == 14 and proto.tensor_content:  # bfloat16, shown as float32
        bits = np.frombuffer(proto.tensor_content, dtype=np.uint16)
        return _bfloat16_to_float32(bits).reshape(shape)
    field = _VAL_FIELD.get(dt)
    if field is None:
        raise ValueError(f"cannot show values of dtype {tf_protos.dtype_name(proto.dtype)}")
    values = list(getattr(proto, field))
    if dt == 19 or dt == 14:  # half_val holds the 16 bit patterns in int32s
        arr = np.array(values, dtype=np.uint16)
        arr = arr.view(np.float16) if dt == 19 else _bfloat16_to_float32(arr)
    elif dt == 7:
        arr = np.array(values, dtype=object)
    elif dt in (8, 18):
        arr = np.array(values[0::2], dtype=np.float64) + 1j * np.array(values[1::2])
        arr = arr.astype(_NUMPY[dt])
    else:
        arr = np.array(values, dtype=_NUMPY[dt])
    if arr.size == count:
        return arr.reshape(shape)
    if count * arr.dtype.itemsize > MAX_EXPANDED_BYTES:
        raise FormatError(f"a {arr.size}-value tensor claims shape {list(shape)}: "
                          f"{count * arr.dtype.itemsize} bytes once expanded, more than "
                          f"{MAX_EXPANDED_BYTES >> 20} MiB")
    if arr.size == 0:
        return np.zeros(shape, dtype=arr.dtype)
    # A shorter list repeats its last value (tensor.proto: "the last value is repeated").
    out = np.empty(count, dtype=arr.dtype)
    out[:arr.size] = arr[:count]
    out[arr.size:] = arr[-1]
    return out.reshape(shape)


def _bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def const_tensor(name: str, proto: Any) -> TensorInfo:
    """A TensorInfo over a TensorProto whose values are converted only when asked."""
    return TensorInfo(name, tensor_shape(proto), tf_protos.dtype_name(proto.dtype),
                      loader=as_format_errors(lambda: tensor_to_numpy(proto)))


def attr_value(value: Any) -> Any:
    """An AttrValue as something readable: dtype names, shapes, short lists, tensor summaries."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "list":
        lst = value.list
        for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            items = getattr(lst, field)
            if items:
                return [_scalar(field, item) for item in items]
        return []
    return _scalar(kind, getattr(value, kind))


def _scalar(kind: str, item: Any) -> Any:
    if kind == "s":
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            return repr(item)
    if kind == "type":
        return tf_protos.dtype_name(item)
    if kind == "shape":
        shape = shape_of(item)
        return list(shape) if shape is not None else "unknown rank"
    if kind == "tensor":
        shape = tensor_shape(item)
        return f"tensor {tf_protos.dtype_name(item.dtype)} {list(shape)}"
    if kind == "func":
        return f"function {item.name}"
    if kind == "placeholder":
        return f"${item}"
    return item


def readable_attrs(node_def: Any) -> dict[str, Any]:
    """All of a NodeDef's attributes (the `value` tensor as a summary, not its data)."""
    return {key: attr_value(node_def.attr[key]) for key in sorted(node_def.attr)}
