"""Build a cached value once per key, even when a worker and the GUI thread ask at the same time
(a lost race would parse a 90 MB graph twice or load a generated module twice)."""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def build_once(cache: MutableMapping[K, V], key: K, lock: threading.Lock,
               build: Callable[[], V]) -> V:
    """`cache[key]`, built by `build()` under `lock` the first time (double-checked, so that
    hits never wait for the lock)."""
    value = cache.get(key)
    if value is not None:
        return value
    with lock:
        value = cache.get(key)
        if value is None:
            value = build()
            cache[key] = value
    return value
