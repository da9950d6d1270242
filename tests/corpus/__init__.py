"""The corpus manifest (manifest.json): one entry per real model file of ../shared/corpus with
the facts tests assert, looked up by id (`corpus_entry`, or `tests.conftest.corpus_path`)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).resolve().with_name("manifest.json")


@functools.cache
def load_manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def entries() -> list[dict[str, Any]]:
    return load_manifest()["entries"]


@functools.cache
def _by_id() -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in entries()}


def corpus_entry(entry_id: str) -> dict[str, Any]:
    """The entry named `entry_id`; a KeyError that lists the ids when there is none."""
    try:
        return _by_id()[entry_id]
    except KeyError:
        raise KeyError(f"no corpus entry '{entry_id}' in {MANIFEST} "
                       f"(ids: {', '.join(sorted(_by_id()))})") from None
