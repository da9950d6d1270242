"""Where kinspect's own data files live (op tables, class allowlists): `kinspect/data/`,
shipped as package data and collected into the built app."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_file(name: str) -> Path:
    return DATA_DIR / name
