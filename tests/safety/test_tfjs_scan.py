"""`kinspect scan` on TF.js models: folders and model.json files are scanned like the Keras
configs and graphs they hold (a copy of a corpus model with a file op or a Lambda added)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import corpus, run_cli


def _copy(tmp_path: Path, rel: str) -> tuple[Path, dict]:
    folder = tmp_path / "model"
    shutil.copytree(corpus(rel), folder)
    return folder, json.loads((folder / "model.json").read_text())


def _scan(path: Path) -> tuple[int, dict]:
    proc = run_cli("scan", str(path), "--json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("rel", ["tfjs/layers_albertjqm_celsius", "tfjs/graph_1010code_linear",
                                 "tfjs/layers_aa760_abusive_uint8"])
def test_corpus_folders_are_clean(rel: str) -> None:
    rc, report = _scan(corpus(rel))
    assert rc == 0 and report["findings"] == []
    assert report["format"].startswith("tfjs-")


def test_graph_with_read_file(tmp_path: Path) -> None:
    folder, model = _copy(tmp_path, "tfjs/graph_1010code_linear")
    model["modelTopology"]["node"] += [
        {"name": "fn", "op": "Const", "attr": {"dtype": {"type": "DT_STRING"}, "value": {
            "tensor": {"dtype": "DT_STRING", "tensorShape": {}}}}},
        {"name": "rf", "op": "ReadFile", "input": ["fn"]}]
    (folder / "model.json").write_text(json.dumps(model))
    rc, report = _scan(folder)
    assert rc == 1 and report["touches_files"] is True
    assert [f["where"] for f in report["findings"]] == ["model.json/rf"]


def test_layers_with_lambda(tmp_path: Path) -> None:
    folder, model = _copy(tmp_path, "tfjs/layers_albertjqm_celsius")
    layers = model["modelTopology"]["model_config"]["config"]["layers"]
    layers.append({"class_name": "Lambda", "config": {
        "name": "sneaky", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"}})
    (folder / "model.json").write_text(json.dumps(model))
    rc, report = _scan(folder / "model.json")
    assert rc == 1 and report["runs_code"] is True
    assert any("sneaky" in f["where"] for f in report["findings"])
