"""The converter's trust checks use the safety scanner, and an unscannable file is not clean."""

from __future__ import annotations

import pytest

from kinspect.convert import convert
from kinspect.convert.trust import require_code_trust, scan_findings
from kinspect.errors import UnsafeContent

from ..conftest import corpus_path


def test_unscannable_file_is_not_taken_as_clean(tmp_path):
    broken = tmp_path / "model.h5"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UnsafeContent, match="cannot check the file for code"):
        scan_findings(str(broken))


def test_lambda_in_an_architecture_found_by_the_scanner():
    carnd = corpus_path("carnd-h5")
    with pytest.raises(UnsafeContent, match="lambda_1"):
        require_code_trust(str(carnd), trust=False)
    found = require_code_trust(str(carnd), trust=True)
    assert len(found) == 1 and "lambda_1" in found[0]  # PROVENANCE: first layer is a Lambda
    assert require_code_trust(str(corpus_path("cryptoann-h5")),
                              trust=False) == []


def test_each_finding_reported_once(tmp_path):
    """The file is scanned once: a custom class in a nested container is listed once."""
    src = corpus_path("nested-container-keras")
    found = require_code_trust(str(src), trust=True)
    assert found and len(found) == len(set(found))
    with pytest.raises(UnsafeContent) as info:
        convert(src, tmp_path / "o.h5")
    # The same class, once: not again as found in the config read a second time.
    assert all(info.value.message.count(d.split(": ", 1)[1]) == 1 for d in found)
