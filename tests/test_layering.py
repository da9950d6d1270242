"""The "Qt stays in kinspect.ui" import contract must name every core module: a module missing
from it could import Qt unchecked, and the core must run headless."""

from __future__ import annotations

import pkgutil
import tomllib

import kinspect
from tests.conftest import ROOT


def test_qt_contract_lists_every_core_module():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["name"] == "Qt stays in kinspect.ui")
    core = {f"kinspect.{m.name}" for m in pkgutil.iter_modules(kinspect.__path__)} - {"kinspect.ui"}
    assert len(core) >= 15
    assert set(contract["source_modules"]) == core
    assert set(contract["forbidden_modules"]) == {"PySide6", "shiboken6"}
