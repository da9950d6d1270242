"""Limits on what a file may ask kinspect to build, checked before anything is built.

Why: a hostile file is small on disk and huge in memory. Measured here (issue 22) without these
checks: a 48 MB JSON of nested dicts took over 15 GB in `info`; 88 MB with a million layers took
136 s and 7 GB and crashed the window; a 17.5 MB YAML took 105 s to compose; a Const claiming
16 GB made exports allocate 14.9 GB. So JSON and YAML are measured (size, nesting depth, number
of containers / nodes) by a flat pass that builds no objects, and declared tensor sizes are
checked before a read. Each refusal is one FormatError line naming the limit.

Limits are far above real models: InceptionV3's Keras 3 config is 0.35 MB, ~9,000 containers,
depth 14; the largest Keras application (EfficientNetV2L) about 3 MB.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import FormatError

MAX_CONFIG_BYTES = 64 << 20  # JSON text of a model config (or any JSON kinspect parses)
MAX_YAML_BYTES = 16 << 20  # YAML text; composing runs in C after the flat check
MAX_DEPTH = 256  # nesting of JSON/YAML containers
MAX_CONTAINERS = 500_000  # JSON objects + arrays, YAML mappings + sequences
MAX_YAML_EVENTS = 4_000_000  # YAML parser events (scalars included)
MAX_ATTR_BYTES = 64 << 20  # one HDF5 attribute read into memory (model_config…)
MAX_TENSOR_BYTES = 1 << 30  # one tensor read whole (tensor view, exports) when declared
MAX_SPLAT_BYTES = 256 << 20  # a tensor whose few stored values are repeated to fill its shape

_CHUNK = 1 << 22


def _limit(what: str, text: str) -> FormatError:
    return FormatError(f"{what}: {text}; refused (limit of kinspect's bounds for hostile files)")


def check_json(data: bytes | str, what: str = "JSON") -> None:
    """Size, depth and container count of JSON text, without building it: brackets are counted
    in the raw bytes (0.3 s for 60 MB here; blanking strings first by a regex took 4 s, and
    names with brackets in them are rare enough to count). Closing brackets inside strings can
    hide depth from the count: json.loads then still stops at the interpreter's recursion
    limit (a RecursionError, turned into this error by loads_json)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_CONFIG_BYTES:
        raise _limit(what, f"{len(raw):,} bytes of JSON, over {MAX_CONFIG_BYTES:,}")
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > MAX_CONTAINERS:
        raise _limit(what, f"{containers:,} JSON objects and arrays, over {MAX_CONTAINERS:,}")
    depth = 0
    for start in range(0, len(raw), _CHUNK):
        depth = _max_depth(raw[start:start + _CHUNK], depth)
        if depth < 0:
            raise _limit(what, f"JSON nests more than {MAX_DEPTH} levels")


def _max_depth(chunk: bytes, depth: int) -> int:
    """Depth at the chunk's end, or -1 when it goes over MAX_DEPTH inside the chunk."""
    import numpy as np

    arr = np.frombuffer(chunk, dtype=np.uint8)
    step = ((arr == 0x7B) | (arr == 0x5B)).astype(np.int32) - \
        ((arr == 0x7D) | (arr == 0x5D)).astype(np.int32)
    if not step.any():
        return depth
    levels = np.cumsum(step) + depth
    if int(levels.max()) > MAX_DEPTH:
        return -1
    return int(levels[-1])


def loads_json(data: bytes | str, what: str = "JSON") -> Any:
    """json.loads after check_json; malformed text is a FormatError too."""
    check_json(data, what)
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise _limit(what, "JSON nests too deeply to read") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"{what}: not valid JSON: {' '.join(str(exc).split())[:200]}") \
            from exc


def check_yaml(text: str, what: str = "YAML") -> None:
    """Size, depth and node count of YAML text from libyaml's flat event stream (no nodes are
    composed, so no recursion and no alias expansion); the pure-Python composer then runs only
    on bounded input. Without libyaml the size limit alone applies."""
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise _limit(what, f"{len(text):,} characters of YAML, over {MAX_YAML_BYTES:,}")
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return
    depth = containers = events = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            events += 1
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                containers += 1
                if depth > MAX_DEPTH:
                    raise _limit(what, f"YAML nests more than {MAX_DEPTH} levels")
                if containers > MAX_CONTAINERS:
                    raise _limit(what, f"more than {MAX_CONTAINERS:,} YAML mappings and "
                                 "sequences")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if events > MAX_YAML_EVENTS:
                raise _limit(what, f"more than {MAX_YAML_EVENTS:,} YAML nodes")
    except yaml.YAMLError as exc:
        raise FormatError(f"{what}: not valid YAML: {' '.join(str(exc).split())[:200]}") \
            from exc


def check_attr_bytes(size: int, what: str) -> None:
    if size > MAX_ATTR_BYTES:
        raise _limit(what, f"HDF5 attribute of {size:,} bytes, over {MAX_ATTR_BYTES:,}")


def declared_bytes(shape: tuple[int, ...] | list[int], itemsize: int) -> int:
    total = max(int(itemsize), 1)
    for dim in shape:
        total *= max(int(dim), 0)
    return total


def check_tensor(shape: tuple[int, ...] | list[int], itemsize: int, what: str,
                 stored: int | None = None) -> None:
    """A tensor's declared size before it is read whole. `stored`: bytes really in the file;
    fewer than declared means its values are repeated to fill the shape (a "splat")."""
    size = declared_bytes(shape, itemsize)
    if size > MAX_TENSOR_BYTES:
        raise _limit(what, f"tensor declares {size:,} bytes ({'x'.join(map(str, shape))}), "
                     f"over {MAX_TENSOR_BYTES:,}")
    if stored is not None and stored < size and size > MAX_SPLAT_BYTES:
        raise _limit(what, f"tensor declares {size:,} bytes from {stored:,} stored, over "
                     f"{MAX_SPLAT_BYTES:,} for repeated values")
