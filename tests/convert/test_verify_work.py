"""--verify does each piece of work once: Keras file targets are verified without freezing the
model, a GraphDef source is parsed once; and Keras reports name outputs by layer."""

from __future__ import annotations

import keras
import pytest

from kinspect.convert import convert, freeze

from ..conftest import corpus_path


@pytest.fixture
def keras_file(tmp_path):
    inp = keras.Input((4,), name="x")
    out = keras.layers.Dense(2, name="out")(keras.layers.Dense(3, name="hidden")(inp))
    path = tmp_path / "m.keras"
    keras.Model(inp, out).save(path)
    return path


def test_keras_targets_verify_without_freezing(tmp_path, keras_file, monkeypatch):
    def no_freeze(*_args):
        raise AssertionError("froze the model to verify a Keras file target")

    monkeypatch.setattr(freeze, "from_keras", no_freeze)
    for name in ("o.h5", "o.keras", "o.weights.h5"):
        report = convert(keras_file, tmp_path / name, options={"verify": True})
        assert report.verified and list(report.max_abs_diff) == ["out"]


def test_keras_outputs_named_by_layer_not_by_temporary_tensor(tmp_path, keras_file):
    report = convert(keras_file, tmp_path / "o.keras")
    again = convert(tmp_path / "o.keras", tmp_path / "o2.keras")
    assert report.inputs == again.inputs == ["x"]
    assert report.outputs == again.outputs == ["out"]


def test_graphdef_source_parsed_once(tmp_path, monkeypatch, in_process_conversion):
    calls = []
    real = freeze.read_graphdef
    monkeypatch.setattr(freeze, "read_graphdef", lambda path: calls.append(path) or real(path))
    src = corpus_path("regression-pb")
    report = convert(src, tmp_path / "r.pb", options={"verify": True})
    assert report.verified
    assert calls.count(str(src)) == 1 and len(calls) == 2  # the source, then the result


def test_savedmodel_copy_reads_its_signature_without_tensorflow(tmp_path):
    """Copying a SavedModel into the Serving layout reads saved_model.pb with the format
    reader: TensorFlow is never imported (3.9 s for a 12 KB file before)."""
    import subprocess
    import sys

    src = corpus_path("half-plus-two-tf1")
    code = ("import sys, json; from kinspect.convert import convert; "
            f"r = convert({str(src)!r}, {str(tmp_path / 'served')!r}); "
            "print(json.dumps([r.inputs, r.outputs, 'tensorflow' in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    inputs, outputs, imported = __import__("json").loads(proc.stdout.splitlines()[-1])
    assert inputs == ["x:0"] and outputs == ["y:0"] and imported is False
