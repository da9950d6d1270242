"""The converter's trust checks use the safety scanner, and an unscannable file is not clean."""

from __future__ import annotations

import json

import h5py
import pytest

from kinspect.convert.trust import config_code, require_code_trust, scan_findings
from kinspect.errors import UnsafeContent

from .conftest import corpus


def test_unscannable_file_is_not_taken_as_clean(tmp_path):
    broken = tmp_path / "model.h5"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UnsafeContent, match="cannot check the file for code"):
        scan_findings(str(broken))


def test_lambda_in_an_architecture_found_by_the_scanner(tmp_path):
    carnd = corpus("keras_h5_full/carnd_1560800/model.h5")
    with h5py.File(carnd, "r") as f:
        config = json.loads(f.attrs["model_config"])
    found = config_code(config)
    assert len(found) == 1 and "lambda_1" in found[0]  # PROVENANCE: first layer is a Lambda
    clean = corpus("keras_h5_full/cryptoann_0xart/model.h5")
    # A clean weights file paired with an architecture that holds code still needs trust.
    with pytest.raises(UnsafeContent, match="lambda_1"):
        require_code_trust(str(clean), config, trust=False)
    assert require_code_trust(str(clean), config, trust=True) == found
