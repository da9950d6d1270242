"""Confined processes kept for the next job on the same sources: a window converting one model
several times pays for a fresh TensorFlow runtime once instead of at every Save As.

Why not warm the runtime before confining: TensorFlow's first run starts thread pools, and
Landlock binds only the calling thread and the threads it starts later (confine.py). A kept
process is confined from its first job on, so every thread it ever has is confined. What it
may write is fixed then too: its own private folder, from which the caller moves each output.

Measured (MobileNetV2 alpha 0.35 at 64x64 `.h5` to `.keras`): a fresh child loads the model in
0.76 s where a warm one takes 0.36-0.54 s (kernels and caches built on first use, not imports:
the second load in the same child has no new module), plus ~0.08 s to fork and confine.

    with kept_process(read=[src], warm=CHILD_WARM) as (child, folder):
        child.call(fn, ..., os.path.join(folder, "out.keras"))
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from .confine import ConfinedProcess

# Processes kept at once: each holds a TensorFlow runtime (~0.5 GB with a small model, 1.9 GB
# after converting InceptionV3).
KEEP = 2
# A kept process not used for this long ends (the window may stay open for days).
IDLE_SECONDS = 600.0

_lock = threading.Lock()
_kept: OrderedDict[tuple, tuple[ConfinedProcess, str]] = OrderedDict()
_busy: set[tuple] = set()
_folders: set[str] = set()  # of every live process, kept or busy (removed at exit)


@contextmanager
def kept_process(read: list[str], warm: tuple[str, ...] = (),
                 key: tuple = ()) -> Iterator[tuple[ConfinedProcess, str]]:
    """A confined process reading READ (the one kept for READ and KEY, or a new one) and its
    private folder, for one job at a time. A process whose job was cancelled or died is not
    kept; the least recently used beyond KEEP are ended."""
    ident = (tuple(sorted(read)), warm, key)
    with _lock:
        keep = ident not in _busy  # a second job on the same sources meanwhile: its own process
        entry = _kept.pop(ident, None) if keep else None
        if keep:
            _busy.add(ident)
    if entry is not None and not entry[0].alive:
        _end(entry)
        entry = None
    try:
        if entry is None:
            folder = tempfile.mkdtemp(prefix="kinspect-confined-")
            _folders.add(folder)
            entry = (ConfinedProcess(read=read, write=[folder], warm=warm), folder)
        yield entry
    finally:
        with _lock:
            if keep:
                _busy.discard(ident)
            if entry is not None and keep and entry[0].alive:
                _kept[ident] = entry
                while len(_kept) > KEEP:
                    _end(_kept.popitem(last=False)[1])
                timer = threading.Timer(IDLE_SECONDS, _expire, (ident, entry))
                timer.daemon = True
                timer.start()
            elif entry is not None:  # (None: the process could not start)
                _end(entry)


def end_reading(path: str) -> None:
    """End the kept processes that read PATH or its folder (its document's tab closed)."""
    path = os.path.abspath(path)
    near = {path, os.path.dirname(path)}
    with _lock:
        for ident in [i for i in _kept if near & set(i[0])]:
            _end(_kept.pop(ident))


def _expire(ident: tuple, entry: tuple[ConfinedProcess, str]) -> None:
    with _lock:
        if _kept.get(ident) is entry:  # still kept, and not used since (a use pops it)
            _end(_kept.pop(ident))


def end_all() -> None:
    """End every kept process (at exit, and for tests); at exit also the folders of processes
    whose job was still going (their threads stop with the interpreter)."""
    with _lock:
        while _kept:
            _end(_kept.popitem()[1])


@atexit.register
def _at_exit() -> None:
    end_all()
    for folder in list(_folders):
        shutil.rmtree(folder, ignore_errors=True)


def _end(entry: tuple[ConfinedProcess, str]) -> None:
    child, folder = entry
    child.close()
    shutil.rmtree(folder, ignore_errors=True)
    _folders.discard(folder)
