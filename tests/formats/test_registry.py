"""The reader registry: readers are typed objects, imported lazily, and a reader that fails to
import is reported (in `info`, in the "not a model file" message, in the window), never silent."""

from __future__ import annotations

import json

from kinspect import formats
from kinspect.formats.reader import FormatReader
from tests.conftest import SAMPLE, corpus_path, run_cli


def test_every_reader_is_a_typed_object_with_a_unique_id():
    readers = formats.readers()
    assert all(isinstance(r, FormatReader) for r in readers)
    ids = [r.id for r in readers]
    assert len(ids) == len(set(ids)) == len(formats.READER_MODULES)
    assert formats.detect(SAMPLE).id == "keras-h5"


def test_a_reader_that_fails_to_import_is_reported(tmp_path, monkeypatch):
    # First in the list, so that detection passes it for every file.
    monkeypatch.setattr(formats, "READER_MODULES", ["no_such_reader", *formats.READER_MODULES])
    monkeypatch.setattr(formats, "_broken", {})
    doc = formats.open_document(SAMPLE)
    assert any("no_such_reader" in w and "ModuleNotFoundError" in w for w in doc.warnings)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x01\x02not a model at all" * 10)
    try:
        formats.open_document(junk)
    except formats.UnsupportedFormat as exc:
        assert "no_such_reader" in str(exc)
    else:
        raise AssertionError("junk opened")


def test_info_reports_a_broken_reader(tmp_path):
    """Through the front door: a reader module that raises on import (simulated with a
    sitecustomize that breaks the `.keras` reader) shows as a warning of `kinspect info --json`
    on a JSON architecture, whose detection passes that reader."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Breaker:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'kinspect.formats.keras.archive':\n"
        "            raise ImportError('simulated broken reader')\n"
        "sys.meta_path.insert(0, Breaker())\n")
    arch = corpus_path("credit-fraud-json")
    proc = run_cli("info", "--json", str(arch), env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    warnings = json.loads(proc.stdout)["warnings"]
    assert any("`keras.archive`" in w and "simulated broken reader" in w for w in warnings)
