"""Functions run_confined runs in its child during tests (importable by name)."""

from __future__ import annotations

import os
import socket

from kinspect.errors import ConvertError


def _try(fn) -> str:
    try:
        fn()
    except OSError:
        return "refused"
    return "ok"


def probe(source: str, outside: str, out: str) -> dict[str, str]:
    """What a model's code could do from inside the child."""
    with open(source) as f:
        text = f.read()

    def connect() -> None:
        socket.create_connection(("1.1.1.1", 80), timeout=2).close()

    return {
        "source": text,
        "secret": _try(lambda: open(os.path.join(outside, "secret.txt")).read()),
        "sibling": _try(lambda: os.listdir(os.path.dirname(source))),
        "write_outside": _try(lambda: open(os.path.join(outside, "evil.pth"), "w").close()),
        "write_inside": _try(lambda: open(os.path.join(out, "ok.txt"), "w").close()),
        "network": _try(connect),
    }


def fail() -> None:
    raise ConvertError("boom")


_kept: list[str] = []


def keep(value: str) -> int:
    """Adds VALUE to what this process holds; how many it holds now."""
    _kept.append(value)
    return len(_kept)


def kept() -> list[str]:
    return list(_kept)


def wait_forever(progress=None) -> None:
    import time

    if progress is not None:
        progress.step(0.1, "waiting")
    while True:
        time.sleep(0.05)
