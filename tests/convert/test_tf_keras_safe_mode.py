"""Untrusted, tf_keras never loads (issue 22: no silent fallback to a loader without a complete
safe mode); trusted loads still run inside tf_keras's safe-mode scope as before. If the scanner
ever missed a Lambda, its bytecode would still not be unmarshalled."""

from __future__ import annotations

import pytest

from kinspect.convert import keras_load
from kinspect.errors import ConvertError, UnsafeContent


def test_untrusted_tf_keras_load_refuses_lambda_even_if_the_scan_misses_it(hostile,
                                                                           monkeypatch):
    h = hostile["tf_keras_h5"]
    h.marker.unlink(missing_ok=True)
    monkeypatch.setattr(keras_load, "require_code_trust", lambda *a, **k: [])  # a scanner miss
    with pytest.raises((ConvertError, UnsafeContent), match="tf_keras"):
        keras_load.load_model(str(h.path), "keras-h5", trust=False)
    assert not h.marker.exists()


def test_untrusted_tf_keras_architecture_refuses_lambda(hostile, monkeypatch, tmp_path):
    import h5py

    h = hostile["tf_keras_h5"]
    h.marker.unlink(missing_ok=True)
    with h5py.File(h.path, "r") as f:
        text = f.attrs["model_config"]
    arch = tmp_path / "arch.json"
    arch.write_text(text if isinstance(text, str) else text.decode())
    monkeypatch.setattr(keras_load, "require_code_trust", lambda *a, **k: [])
    with pytest.raises((ConvertError, UnsafeContent), match="tf_keras"):
        keras_load.model_from_arch(str(arch), "keras-json", trust=False)
    assert not h.marker.exists()
