"""Kept confined processes (safety/confine_pool.py): the next job on the same sources reuses
the process, other sources or trust get their own, a cancelled one is not kept, and at most
KEEP stay."""

from __future__ import annotations

import threading
import time

import pytest

from kinspect.errors import Cancelled
from kinspect.progress import Progress
from kinspect.safety import confine_pool
from kinspect.safety.confine import confinement
from tests.safety import confined_probe

pytestmark = pytest.mark.skipif("NOT confined (no Landlock)" in confinement(),
                                reason="the kernel offers no Landlock here")


@pytest.fixture(autouse=True)
def fresh_pool():
    confine_pool.end_all()
    yield
    confine_pool.end_all()


def _keep(read, value, key=()):
    with confine_pool.kept_process(read, key=key) as (child, folder):
        return child.call(confined_probe.keep, value), child, folder


def test_same_sources_reuse_the_process(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    first, child, folder = _keep([a], "x")
    second, same, _ = _keep([a], "y")
    assert (first, second) == (1, 2) and same is child  # what the first job left is there
    assert _keep([b], "z")[0] == 1  # other sources: another process
    assert _keep([a], "t", key=(True,))[0] == 1  # other trust: another process
    assert len(confine_pool._kept) == confine_pool.KEEP  # noqa: SLF001 - the LRU was ended
    assert not child.alive
    confine_pool.end_all()
    assert not (tmp_path / folder).exists()


def test_a_cancelled_process_is_not_kept(tmp_path):
    progress = Progress()
    threading.Timer(1.0, progress.cancel).start()
    with pytest.raises(Cancelled):
        with confine_pool.kept_process([str(tmp_path)]) as (child, _folder):
            child.call(confined_probe.wait_forever, progress=progress)
    assert not child.alive
    assert _keep([str(tmp_path)], "x")[0] == 1  # a new process


def test_two_jobs_at_once_get_two_processes(tmp_path):
    with confine_pool.kept_process([str(tmp_path)]) as (one, _):
        with confine_pool.kept_process([str(tmp_path)]) as (two, _):
            assert one is not two
            assert two.call(confined_probe.keep, "b") == 1
        assert not two.alive  # not kept: the first one is
        assert one.call(confined_probe.keep, "a") == 1
    assert one.alive


def test_closing_a_document_ends_its_kept_process(tmp_path):
    model = tmp_path / "m.h5"
    _, child, folder = _keep([str(model)], "x")
    _, other, _ = _keep([str(tmp_path / "other.h5")], "y")
    confine_pool.end_reading(str(model))
    assert not child.alive and other.alive
    assert not (tmp_path / folder).exists()


def test_an_idle_kept_process_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(confine_pool, "IDLE_SECONDS", 0.5)
    _, child, _ = _keep([str(tmp_path)], "x")
    time.sleep(1.5)
    assert not child.alive and not confine_pool._kept  # noqa: SLF001
