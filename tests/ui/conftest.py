"""Every window test gets its own settings folder (recent files, geometry)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("KINSPECT_CONFIG_DIR", str(folder))
    return folder
