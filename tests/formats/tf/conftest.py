"""The `truth` fixture: what TensorFlow itself says about the generated and corpus graph files,
computed once per session in a subprocess by tests/formats/tf/graph_truth.py."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import CORPUS, ROOT


@pytest.fixture(scope="session")
def truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("graph_truth")
    script = ROOT / "tests" / "formats" / "tf" / "graph_truth.py"
    proc = subprocess.run([sys.executable, str(script), str(out), str(CORPUS)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "truth.json").read_text())
    data["dir"] = str(out)
    return data
