"""A TF.js `weightsManifest`: which bytes of which shard hold which weight, and their values.

Layout (tfjs-core io/types.ts, WeightsManifestConfig): a list of groups, each with `paths`
(shard files, relative to model.json) and `weights` ({name, shape, dtype, quantization?}).
A group's weights are packed back to back, little-endian, across its shards in order; a
quantized weight ({dtype uint8|uint16, min, scale} or {dtype float16}) stores the quantized
values and keeps `dtype` as the original one. Strings are a uint32 byte length then the bytes,
per element. Everything is checked when the model is opened (missing shards, shards shorter or
longer than the manifest says) so that a broken folder is one clear error naming the shard;
values are read only when asked for.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import FormatError
from ...model import TensorInfo

# Bytes per stored value, by manifest dtype (tfjs DTYPE_VALUE_SIZE_MAP).
DTYPES: dict[str, Any] = {"float32": np.float32, "int32": np.int32, "bool": np.uint8,
                          "complex64": np.complex64, "float16": np.float16,
                          "uint8": np.uint8, "uint16": np.uint16, "int8": np.int8}
QUANTIZED = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


@dataclass
class Entry:
    """One weight: where it lives in its group's byte stream and how to decode it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    quantization: dict[str, Any] | None
    group: int
    offset: int = 0
    nbytes: int = 0
    strings: list[int] | None = None  # string weights: each element's byte length

    @property
    def stored_dtype(self) -> Any:
        if self.quantization:
            return QUANTIZED[self.quantization["dtype"]]
        return DTYPES[self.dtype]


@dataclass
class Group:
    paths: list[str]
    sizes: list[int] = field(default_factory=list)


class Manifest:
    """The checked manifest of one model.json; `tensor(entry)` gives a lazy TensorInfo."""

    def __init__(self, folder: str, groups_json: Any) -> None:
        self.folder = folder
        self.groups: list[Group] = []
        self.entries: list[Entry] = []
        if groups_json is None:
            groups_json = []
        if not isinstance(groups_json, list):
            raise FormatError("weightsManifest is not a list of weight groups")
        for index, group in enumerate(groups_json):
            self._add_group(index, group)

    def _add_group(self, index: int, group: Any) -> None:
        if not isinstance(group, dict) or not isinstance(group.get("paths"), list) \
                or not isinstance(group.get("weights"), list):
            raise FormatError(f"weightsManifest group {index + 1} has no 'paths' and 'weights'")
        paths = [str(p) for p in group["paths"]]
        sizes = []
        for shard in paths:
            full = self._shard_path(shard)
            if not os.path.isfile(full):
                raise FormatError(f"weight shard '{shard}' is missing (listed in the "
                                  f"weightsManifest, not found next to model.json)")
            sizes.append(os.path.getsize(full))
        entry_group = Group(paths, sizes)
        self.groups.append(entry_group)
        offset = 0
        for spec in group["weights"]:
            entry = _entry(spec, len(self.groups) - 1)
            entry.offset = offset
            if entry.dtype == "string":
                entry.strings = self._string_lengths(entry, offset)
                entry.nbytes = sum(4 + n for n in entry.strings)
            else:
                entry.nbytes = math.prod(entry.shape) * np.dtype(entry.stored_dtype).itemsize
            offset += entry.nbytes
            self.entries.append(entry)
        self._check_sizes(index, entry_group, offset)

    def _shard_path(self, shard: str) -> str:
        if os.path.isabs(shard) or ".." in shard.replace("\\", "/").split("/"):
            raise FormatError(f"weight shard path '{shard}' leaves the model's folder")
        return os.path.join(self.folder, shard)

    def _check_sizes(self, index: int, group: Group, needed: int) -> None:
        held = sum(group.sizes)
        if held == needed:
            return
        if held < needed:
            # Every shard but the last is full-sized: a smaller one before the last is cut.
            short = next((p for p, s in zip(group.paths[:-1], group.sizes[:-1], strict=True)
                          if s < group.sizes[0]), group.paths[-1])
            raise FormatError(f"weight shard '{short}' is short: the weightsManifest's weights "
                              f"of group {index + 1} need {needed:,} bytes, its shards hold "
                              f"{held:,} (truncated file, or the manifest disagrees)")
        raise FormatError(f"weightsManifest and shards disagree: group {index + 1}'s weights "
                          f"need {needed:,} bytes, its shards ({', '.join(group.paths)}) hold "
                          f"{held:,}")

    def read_bytes(self, group_index: int, offset: int, size: int) -> bytes:
        """`size` bytes from `offset` of a group's byte stream (which may span shards)."""
        group = self.groups[group_index]
        out = bytearray()
        start = 0
        for shard, shard_size in zip(group.paths, group.sizes, strict=True):
            end = start + shard_size
            if offset < end and offset + size > start:
                lo = max(offset, start) - start
                hi = min(offset + size, end) - start
                with open(self._shard_path(shard), "rb") as f:
                    f.seek(lo)
                    chunk = f.read(hi - lo)
                if len(chunk) != hi - lo:
                    raise FormatError(f"weight shard '{shard}' is shorter than when opened")
                out += chunk
            start = end
        if len(out) != size:
            raise FormatError(f"weights of group {group_index + 1} end before the manifest says")
        return bytes(out)

    def _string_lengths(self, entry: Entry, offset: int) -> list[int]:
        lengths = []
        total = sum(self.groups[entry.group].sizes)
        for _ in range(math.prod(entry.shape)):
            if offset + 4 > total:
                raise FormatError(f"string weight '{entry.name}' runs past its shards")
            n = int(np.frombuffer(self.read_bytes(entry.group, offset, 4), "<u4")[0])
            lengths.append(n)
            offset += 4 + n
        return lengths

    def values(self, entry: Entry) -> np.ndarray:
        """The weight's values as the model uses them (dequantized)."""
        raw = self.read_bytes(entry.group, entry.offset, entry.nbytes)
        if entry.strings is not None:
            out, pos = [], 0
            for n in entry.strings:
                out.append(raw[pos + 4:pos + 4 + n])
                pos += 4 + n
            return np.array(out, dtype=object).reshape(entry.shape)
        stored = np.frombuffer(raw, dtype=np.dtype(entry.stored_dtype).newbyteorder("<"))
        return dequantize(stored, entry).reshape(entry.shape)

    def tensor(self, entry: Entry) -> TensorInfo:
        dtype = "string" if entry.dtype == "string" else np.dtype(DTYPES[entry.dtype]).name
        if entry.dtype == "bool":
            dtype = "bool"
        return TensorInfo(entry.name, entry.shape, dtype, loader=lambda: self.values(entry))

    def tensors(self) -> list[TensorInfo]:
        return [self.tensor(e) for e in self.entries]

    @property
    def quantization(self) -> dict[str, int]:
        """How many weights each quantization dtype holds ({} when none is quantized)."""
        counts: dict[str, int] = {}
        for e in self.entries:
            if e.quantization:
                counts[e.quantization["dtype"]] = counts.get(e.quantization["dtype"], 0) + 1
        return counts


def dequantize(stored: np.ndarray, entry: Entry) -> np.ndarray:
    """tfjs-core io/io_utils.ts: q * scale + min for uint8/uint16 (rounded when the original
    was int32), float16 widened; unquantized values as stored (bool as numpy bool)."""
    q = entry.quantization
    if not q:
        return stored.astype(np.bool_) if entry.dtype == "bool" else stored.astype(
            DTYPES[entry.dtype])
    if q["dtype"] == "float16":
        return stored.astype(np.float32)
    out = stored.astype(np.float64) * float(q["scale"]) + float(q["min"])
    if entry.dtype == "int32" or q.get("original_dtype") == "int32":
        return np.round(out).astype(np.int32)
    return out.astype(np.float32)


def _entry(spec: Any, group: int) -> Entry:
    if not isinstance(spec, dict) or "name" not in spec:
        raise FormatError("weightsManifest weight entry without a 'name'")
    name = str(spec["name"])
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise FormatError(f"weight '{name}' has no valid shape in the weightsManifest: {shape}")
    dtype = str(spec.get("dtype", "float32"))
    if dtype not in DTYPES and dtype != "string":
        raise FormatError(f"weight '{name}' has unknown dtype '{dtype}'")
    quantization = spec.get("quantization")
    if quantization is not None:
        if not isinstance(quantization, dict) or quantization.get("dtype") not in QUANTIZED:
            raise FormatError(f"weight '{name}' has an unknown quantization: {quantization}")
        if quantization["dtype"] != "float16" and not all(
                isinstance(quantization.get(k), (int, float)) for k in ("min", "scale")):
            raise FormatError(f"weight '{name}' is quantized without 'min' and 'scale'")
    return Entry(name, tuple(shape), dtype, quantization, group)
