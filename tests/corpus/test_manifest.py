"""Every entry of the corpus manifest, checked through the front door: `kinspect info --json`
and `kinspect scan --json` in a fresh process, plus detect(), open_document() and a walk of
the whole document tree in this one. The expected values come from PROVENANCE.md and the real
libraries (make_manifest_facts.py), never from kinspect.

An entry with `todo` is a file kinspect cannot read as its format yet: while kinspect still
does what `today` / `expected_error` say, the test is an xfail with the todo as its reason;
once kinspect reads it, the full checks run (and must pass).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kinspect.errors import FormatError
from kinspect.formats import detect, open_document
from kinspect.model import Kind
from tests.conftest import CORPUS, corpus, corpus_path, run_cli
from tests.corpus import MANIFEST, corpus_entry, entries

ENTRIES = entries()
IDS = [e["id"] for e in ENTRIES]
MODELS = [e for e in ENTRIES if "expected_error" not in e or "todo" in e]


def _reader_id(reader: Any) -> str:
    """A reader's format id: module-level `ID` today, an `id` attribute on reader objects."""
    return getattr(reader, "ID", None) or reader.id


def _error_line(entry: dict[str, Any], path: Path) -> str:
    return f"kinspect: {path}: {entry['expected_error']}"


def _still_todo(entry: dict[str, Any], path: Path, proc: Any) -> bool:
    """True while kinspect behaves as the entry's todo says it does today."""
    if "todo" not in entry:
        return False
    if "expected_error" in entry:
        return proc.returncode == 2 and proc.stderr.strip() == _error_line(entry, path)
    return proc.returncode == 0 and json.loads(proc.stdout)["format"] == \
        entry["today"]["format"]


def _names(tensors: list[dict[str, Any]]) -> list[str]:
    return [t["name"] for t in tensors]


def _signatures(info: dict[str, Any]) -> dict[str, Any]:
    return {key: {"inputs": {a: t["name"] for a, t in sig["inputs"].items()},
                  "outputs": {a: t["name"] for a, t in sig["outputs"].items()}}
            for key, sig in info["signatures"].items()}


def _sig_tensors(info: dict[str, Any], side: str) -> list[str]:
    return [t["name"] for sig in info["signatures"].values() for t in sig[side].values()]


def check_facts(entry: dict[str, Any], info: dict[str, Any]) -> None:
    """The manifest's facts against one `info --json` object."""
    assert info["format"] == entry["format"]
    for key, value in entry.get("producer", {}).items():
        assert info["producer"].get(key) == value, key
    if "params" in entry:
        assert info["params"] is not None
        for key, value in entry["params"].items():
            assert info["params"][key] == value, key
    if "model_class" in entry:
        assert info["model"]["class_name"] == entry["model_class"]
    if "layers" in entry:
        assert len(info["layers"]) == entry["layers"]
    if "layer_classes" in entry:
        assert [la["class_name"] for la in info["layers"]] == entry["layer_classes"]
    if "nodes" in entry:
        assert len(info["nodes"]) == entry["nodes"]
    if "variables" in entry:
        assert len(info["variables"]) == entry["variables"]
    if "placeholders" in entry:
        assert info["placeholders"] == entry["placeholders"]
    if "signatures" in entry:
        assert _signatures(info) == entry["signatures"]
    # TFLite lists its tensors at the top level; ONNX through its graph signature.
    if "inputs" in entry:
        got = _names(info["inputs"]) if "inputs" in info else _sig_tensors(info, "inputs")
        assert got == entry["inputs"]
    if "outputs" in entry:
        got = _names(info["outputs"]) if "outputs" in info else _sig_tensors(info, "outputs")
        assert got == entry["outputs"]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_info(entry: dict[str, Any]) -> None:
    path = corpus(entry["path"])
    proc = run_cli("info", "--json", str(path))
    if _still_todo(entry, path, proc):
        pytest.xfail(entry["todo"])
    assert "Traceback" not in proc.stderr
    if "expected_error" in entry and "todo" not in entry:
        assert proc.returncode == 2
        assert proc.stderr.strip() == _error_line(entry, path)
        assert proc.stdout == ""
        return
    assert proc.returncode == 0, proc.stderr
    check_facts(entry, json.loads(proc.stdout))


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_scan(entry: dict[str, Any]) -> None:
    path = corpus(entry["path"])
    proc = run_cli("scan", "--json", str(path))
    assert "Traceback" not in proc.stderr
    if "expected_error" in entry:
        if "todo" in entry and proc.returncode != 2:
            pytest.xfail(entry["todo"])
        assert proc.returncode == 2
        assert proc.stderr.strip() == _error_line(entry, path)
        return
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    found = [{"kind": f["kind"], "where": f["where"]} for f in report["findings"]]
    if entry["scan"] == "clean":
        assert found == [] and proc.returncode == 0
    else:
        assert found == entry["scan"] and proc.returncode == 1


@pytest.mark.parametrize("entry", MODELS, ids=[e["id"] for e in MODELS])
def test_open_and_walk(entry: dict[str, Any]) -> None:
    """In process: detect() names the format, and every row of the whole tree (lazy branches
    built) is free of errors."""
    path = corpus(entry["path"])
    try:
        reader = _reader_id(detect(path))
        doc = open_document(path)
    except FormatError as exc:
        if "todo" in entry and exc.message == entry.get("expected_error"):
            pytest.xfail(entry["todo"])
        raise
    if "todo" in entry and doc.format == entry.get("today", {}).get("format"):
        pytest.xfail(entry["todo"])
    assert reader == doc.format == entry["format"]
    rows = list(doc.root.walk())
    broken = [(n.name, n.error) for n in rows if n.kind == Kind.ERROR or n.error]
    assert broken == []
    assert len(rows) > 1


@pytest.mark.parametrize("entry", [e for e in ENTRIES if "expected_error" in e
                                   and "todo" not in e], ids=lambda e: e["id"])
def test_not_a_model_is_refused(entry: dict[str, Any]) -> None:
    path = corpus(entry["path"])
    with pytest.raises(FormatError) as caught:
        open_document(path)
    assert caught.value.message == entry["expected_error"]


def test_manifest_is_consistent() -> None:
    assert len(set(IDS)) == len(IDS), "duplicate ids"
    paths = [e["path"] for e in ENTRIES]
    assert len(set(paths)) == len(paths), "duplicate paths"
    for entry in ENTRIES:
        assert ("format" in entry) != ("expected_error" in entry and "todo" not in entry), \
            entry["id"]
        assert "scan" in entry or "expected_error" in entry, entry["id"]
        assert entry["source"].startswith("https://github.com/"), entry["id"]
        if "todo" in entry:
            assert "today" in entry or "expected_error" in entry, entry["id"]


def test_manifest_covers_the_corpus() -> None:
    """Every file of the corpus is an entry, lies inside an entry's folder, or sits beside an
    entry's file (weight shards, checkpoint data): a new corpus file needs an entry."""
    if not CORPUS.is_dir():
        corpus("")  # skips, or fails in CI
    covered = [CORPUS / e["path"] for e in ENTRIES]
    dirs = {p for p in covered if p.is_dir()} | {p.parent for p in covered if p.is_file()}
    missing = []
    for root, _dirs, files in os.walk(CORPUS):
        for name in files:
            file = Path(root, name)
            if name == "PROVENANCE.md":
                continue
            if file not in covered and not any(d == file.parent or d in file.parents
                                               for d in dirs):
                missing.append(str(file.relative_to(CORPUS)))
    assert missing == []


def test_a_todo_entry_is_an_xfail_only_while_kinspect_behaves_as_today() -> None:
    """No entry has a todo once every reader exists: the mechanism is checked here instead."""
    text = corpus_path("half-plus-two-asset-txt")
    refused = run_cli("info", "--json", str(text))
    message = corpus_entry("half-plus-two-asset-txt")["expected_error"]
    assert _still_todo({"todo": "a reader", "expected_error": message}, text, refused)
    assert not _still_todo({"todo": "a reader", "expected_error": "other"}, text, refused)
    assert not _still_todo({"expected_error": message}, text, refused)
    h5 = corpus_path("cryptoann-h5")
    read = run_cli("info", "--json", str(h5))
    assert _still_todo({"todo": "a reader", "today": {"format": "keras-h5"}}, h5, read)
    assert not _still_todo({"todo": "a reader", "today": {"format": "keras-json"}}, h5, read)


def test_lookup_by_id() -> None:
    assert corpus_entry("carnd-h5")["path"] == "keras_h5_full/carnd_1560800/model.h5"
    assert corpus_path("carnd-h5") == CORPUS / "keras_h5_full/carnd_1560800/model.h5"
    with pytest.raises(KeyError, match="no corpus entry 'nope'.*carnd-h5"):
        corpus_entry("nope")
    assert MANIFEST.name == "manifest.json"


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_corpus_file_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="corpus file missing.*CI=true"):
        corpus("no_such_kind/no_such_file.h5")


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_missing_corpus_file_skips_elsewhere(monkeypatch: pytest.MonkeyPatch,
                                             ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="corpus file missing"):
        corpus("no_such_kind/no_such_file.h5")
