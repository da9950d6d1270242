"""Fixtures of the converter tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def in_process_conversion(monkeypatch):
    """Run the conversion job in this process instead of the confined child, for tests that
    inject faults with monkeypatch (a patch does not reach the child). Confinement itself is
    tested in tests/safety/ and by the hostile-file conversions."""
    from kinspect.convert import registry

    def here(fn, *args, read=(), write=(), progress=None, warm=(), **kwargs):
        return fn(*args, progress=progress, **kwargs) if progress is not None \
            else fn(*args, **kwargs)

    monkeypatch.setattr(registry, "run_confined", here)
