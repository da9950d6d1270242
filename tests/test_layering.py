"""What the import-linter contracts in pyproject.toml cannot check themselves.

The contracts (Qt only in kinspect.ui, layers from the model up, no cycles) see only what
import-linter and pkgutil can find: a folder without `__init__.py` is invisible to both, and to
PyInstaller's `collect_submodules`, which is how the built app once lost its Summary and Safety
pages. A top-level package missing from the layers contract would be unconstrained.
"""

from __future__ import annotations

import importlib
import pkgutil
import tomllib

import kinspect
from tests.conftest import ROOT


def _contract(name: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == name)


def test_every_folder_of_python_modules_is_a_package():
    folders = {p.parent for p in (ROOT / "kinspect").rglob("*.py")}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists())
    assert missing == []


def test_pkgutil_sees_every_module_file():
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts)
             for p in (ROOT / "kinspect").rglob("*.py") if p.name != "__init__.py"}
    seen = {m.name for m in pkgutil.walk_packages(kinspect.__path__, "kinspect.")
            if not m.ispkg}
    assert files - seen == set()


def test_layers_contract_names_every_top_level_module():
    layers = _contract("Layers from the document model up to the UI")["layers"]
    listed = {name.strip() for layer in layers for name in layer.split("|")}
    top = {f"kinspect.{m.name}" for m in pkgutil.iter_modules(kinspect.__path__)}
    assert top - listed == {"kinspect.__main__"}
    assert listed <= top


def test_qt_is_protected_for_the_ui_package_only():
    contract = _contract("Qt stays in kinspect.ui")
    assert contract["type"] == "protected"
    assert set(contract["protected_modules"]) == {"PySide6", "shiboken6"}
    assert contract["allowed_importers"] == ["kinspect.ui"]


def test_pages_named_by_string_import():
    """Pages are imported by module name (kinspect.ui.pages.PAGES): a moved module must not turn
    a page into an error page."""
    from kinspect.ui.pages import PAGES

    for _title, module, factory in PAGES:
        assert callable(getattr(importlib.import_module(module), factory))
