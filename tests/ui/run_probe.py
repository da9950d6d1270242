"""A load that never ends, run in the Run page's confined child during tests (imported there
by name, as kinspect.safety.confine imports every function it runs)."""

from __future__ import annotations

import multiprocessing
import time

STEP = "probe: loading forever"


def endless_load(path, arch, signature, outputs, trust_code, progress=None):
    """Reports a step, then waits to be ended by the parent's cancel."""
    if progress is not None:
        progress.step(0.5, STEP)
    while True:
        time.sleep(0.05)


def live_children() -> list:
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def endless_run(feeds, layers, progress=None):
    """A forward pass that never ends (until the parent's cancel ends the process)."""
    return endless_load(None, None, None, None, False, progress)
