"""Keras conversions: every keras-h5 of the corpus to every Keras target and a frozen .pb,
old files through tf_keras, pairs matched by name, code refused without trust.

Expected values come from PROVENANCE.md (parameter counts) or from Keras itself (the source
model's predictions, the stored weights read with h5py), never from our own output.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from kinspect.convert import convert, exporters_for
from kinspect.errors import ConvertError, FormatError, UnsafeContent

from ..conftest import corpus_path

# PROVENANCE.md: total parameter counts of the corpus' full Keras models.
FULL_H5 = {
    "alphabet-soup-h5": 849,
    "amitpr-mnist-h5": 120_538,
    "cryptoann-h5": 11_843,  # Keras 2.2.2: Keras 3 cannot load
    "churn-keras3-h5": 2_945,
    "f4neuron-h5": 205,  # 2.1.6-tf: Keras 3 cannot load
}
KERAS_TARGETS = {"keras-h5": ".h5", "keras": ".keras", "keras-weights-h5": ".weights.h5",
                 "keras-json": ".json", "keras-yaml": ".yaml", "tf-graphdef": ".pb"}


def _h5_param_count(path) -> int:
    """Parameters stored in a weights file, counted with h5py (independent of kinspect)."""
    total = 0

    def visit(_name, obj):
        nonlocal total
        if isinstance(obj, h5py.Dataset):
            total += int(np.prod(obj.shape))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return total


@pytest.mark.slow
@pytest.mark.parametrize("rel", sorted(FULL_H5))
def test_corpus_h5_to_every_keras_target(rel, tmp_path):
    import keras
    import tf_keras
    import yaml

    src = corpus_path(rel)
    for target, suffix in KERAS_TARGETS.items():
        dst = tmp_path / f"out{suffix}"
        # Keras 3 cannot load the old ones: the tf_keras fallback needs trust (issue 22).
        trust = any(name in str(rel) for name in ("cryptoann", "f4neuron", "f4_neuron"))
        report = convert(src, dst, target, {"verify": True, "trust_code": trust})
        assert dst.exists() and report.verified
        if report.max_abs_diff is not None:
            assert max(report.max_abs_diff.values()) <= 1e-5
        if target == "keras":  # a real Keras 3 file, whatever Keras wrote the source
            assert keras.models.load_model(dst, compile=False).count_params() == FULL_H5[rel]
        elif target == "keras-h5":
            lib = keras if report.loaded_with == "keras" else tf_keras
            assert lib.models.load_model(dst, compile=False).count_params() == FULL_H5[rel]
        elif target == "keras-weights-h5":
            assert _h5_param_count(dst) == FULL_H5[rel]
        elif target in ("keras-json", "keras-yaml"):
            with h5py.File(src, "r") as f:
                stored = json.loads(f.attrs["model_config"])
                version = f.attrs.get("keras_version", b"")
                version = version.decode() if isinstance(version, bytes) else version
            text = dst.read_text()
            got = json.loads(text) if target == "keras-json" else yaml.safe_load(text)
            if str(version).startswith("3"):  # for Keras 3: its own model_from_json reads it
                built = keras.models.model_from_json(json.dumps(got))
                assert built.count_params() == FULL_H5[rel]
                assert got["config"] == stored["config"]
            else:  # Keras 2 configs are written as stored (their reader is tf_keras)
                assert got == stored
        else:
            assert report.outputs and report.inputs


def test_old_keras_to_keras3_matches_tf_keras_predictions(tmp_path):
    """Keras 2.2.2 file: Keras 3 cannot read it; the .keras result predicts what tf_keras
    predicts from the original."""
    import keras
    import tf_keras

    src = corpus_path("cryptoann-h5")
    with pytest.raises(Exception):  # noqa: B017 - the Keras 3 failure we work around
        keras.models.load_model(src, compile=False)
    with pytest.raises(UnsafeContent, match="tf_keras.*--trust-code"):  # no silent fallback
        convert(src, tmp_path / "m.keras")
    report = convert(src, tmp_path / "m.keras", options={"trust_code": True})
    assert report.loaded_with == "tf_keras"
    x = np.random.default_rng(7).standard_normal((4, 6)).astype("float32")
    expected = tf_keras.models.load_model(src, compile=False).predict(x, verbose=0)
    got = keras.models.load_model(tmp_path / "m.keras", compile=False).predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_lambda_file_refused_without_trust_and_data_targets_still_work(tmp_path):
    src = corpus_path("carnd-h5")
    for target, name in (("keras-h5", "m.h5"), ("tf-graphdef", "m.pb"), ("keras", "m.keras")):
        with pytest.raises(UnsafeContent):
            convert(src, tmp_path / name, target)
        assert not (tmp_path / name).exists()
    convert(src, tmp_path / "w.h5", "keras-weights-h5")  # copied, never deserialised
    assert _h5_param_count(tmp_path / "w.h5") == 252_219  # PROVENANCE: 18 datasets
    convert(src, tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text())["config"]["layers"][0][
        "class_name"] == "Lambda"
    # Trusted, the 2019 bytecode still cannot run on this Python: a clean error, no output.
    with pytest.raises(ConvertError):
        convert(src, tmp_path / "t.h5", "keras-h5", {"trust_code": True})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "w.h5"]


def test_weights_pair_by_name_with_report(tmp_path):
    """save_weights output (Keras 2.0.5) + its to_json architecture -> a full model whose
    kernels are the stored ones."""
    import keras

    weights = corpus_path("credit-fraud-weights")
    arch = corpus_path("credit-fraud-json")
    report = convert(weights, tmp_path / "full.h5", options={"arch": str(arch), "verify": True})
    assert sorted(report.weights_report["matched"]) == [f"dense_{i}" for i in range(1, 6)]
    assert report.weights_report["mismatched"] == [] and report.weights_report["skipped"] == []
    model = keras.models.load_model(tmp_path / "full.h5", compile=False)
    assert model.count_params() == 1_711
    with h5py.File(weights, "r") as f:
        names = [n.decode() for n in f["dense_3"].attrs["weight_names"]]
        kernel = f["dense_3"][names[0]][()]
    np.testing.assert_array_equal(model.get_layer("dense_3").get_weights()[0], kernel)


def test_pair_reports_skipped_and_mismatched_layers(tmp_path):
    import tf_keras as k

    src = k.Sequential([k.Input((4,)), k.layers.Dense(3, name="a"), k.layers.Dense(2, name="b"),
                        k.layers.Dense(2, name="gone")])
    src.save_weights(tmp_path / "w.h5", save_format="h5")
    other = k.Sequential([k.Input((4,)), k.layers.Dense(3, name="a"),
                          k.layers.Dense(5, name="b"), k.layers.Dense(1, name="new")])
    (tmp_path / "arch.json").write_text(other.to_json())
    report = convert(tmp_path / "w.h5", tmp_path / "out.keras",
                     options={"arch": str(tmp_path / "arch.json")})
    w = report.weights_report
    assert w["matched"] == ["a"]
    assert [m["layer"] for m in w["mismatched"]] == ["b"]
    assert {s["layer"] for s in w["skipped"]} == {"gone", "new"}
    import keras

    got = keras.models.load_model(tmp_path / "out.keras", compile=False)
    np.testing.assert_array_equal(got.get_layer("a").get_weights()[0],
                                  src.get_layer("a").get_weights()[0])


def test_keras2_functional_json_pair_and_legacy_savedmodel(tmp_path):
    """Keras 2 JSON with class `Functional` (Keras 3 cannot read it) and a legacy Keras
    SavedModel (Keras 3 refuses it) both convert, predicting what tf_keras predicts."""
    import keras
    import tf_keras

    from ..builders.keras import functional

    model = functional(tf_keras)
    (tmp_path / "arch.json").write_text(model.to_json())
    assert json.loads(model.to_json())["class_name"] == "Functional"
    model.save_weights(tmp_path / "w.h5", save_format="h5")
    model.save(tmp_path / "sm", save_format="tf")
    x = np.random.default_rng(3).standard_normal((5, 8)).astype("float32")
    expected = model.predict(x, verbose=0)
    convert(tmp_path / "w.h5", tmp_path / "pair.keras",
            options={"arch": str(tmp_path / "arch.json"), "verify": True, "trust_code": True})
    got = keras.models.load_model(tmp_path / "pair.keras", compile=False).predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    report = convert(tmp_path / "sm", tmp_path / "from_sm.keras",
                     options={"verify": True, "trust_code": True})  # tf_keras: trusted only
    assert report.loaded_with == "tf_keras"
    got = keras.models.load_model(tmp_path / "from_sm.keras", compile=False).predict(
        x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_keras3_lambda_needs_trust(tmp_path):
    import keras

    inp = keras.Input((3,), name="x")
    out = keras.layers.Lambda(lambda t: t * 2.0 + 1.0, name="affine")(inp)
    keras.Model(inp, out).save(tmp_path / "lam.keras")
    with pytest.raises(UnsafeContent):
        convert(tmp_path / "lam.keras", tmp_path / "lam.h5")
    convert(tmp_path / "lam.keras", tmp_path / "lam.json")  # no code runs for the config
    report = convert(tmp_path / "lam.keras", tmp_path / "lam.pb",
                     options={"trust_code": True, "verify": True})
    assert report.max_abs_diff == {report.outputs[0]: 0.0}
    assert any("trusted code" in w for w in report.warnings)


def test_yaml_with_python_tuples_reads_and_hostile_yaml_refused(tmp_path):
    src = corpus_path("mnist-server-yaml")
    convert(src, tmp_path / "m.json")
    config = json.loads((tmp_path / "m.json").read_text())
    assert config["class_name"] == "Sequential" and config["keras_version"] == "2.1.3"
    assert len(config["config"]) == 8  # PROVENANCE: 8 layers
    evil = tmp_path / "evil.yaml"
    evil.write_text("class_name: Sequential\nconfig: !!python/object/apply:os.system "
                    "['touch " + str(tmp_path / "pwned") + "']\n")
    with pytest.raises(FormatError):
        convert(evil, tmp_path / "e.json", "keras-json")
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "e.json").exists()


def test_exporters_for_lists_targets_by_source():
    ids = {e.id for e in exporters_for(corpus_path("cryptoann-h5"))}
    assert {"keras-h5", "keras", "keras-weights-h5", "keras-json", "keras-yaml",
            "tf-savedmodel", "tf-graphdef", "tflite", "onnx"} <= ids
    graph = {e.id for e in exporters_for(corpus_path("regression-pb"))}
    assert graph == {"tf-graphdef", "tflite", "onnx", "tfjs-graph"}
    h5 = next(e for e in exporters_for(corpus_path("cryptoann-h5"))
              if e.id == "keras-h5")
    assert h5.dialog_filter == "Keras HDF5 (*.h5 *.hdf5)"
    assert {o.name for o in h5.options} >= {"verify", "trust_code", "force"}


def test_exporters_for_an_open_document():
    """File > Save As passes the open Document; a .keras offers every Keras and graph target,
    a tflite file (view only) none."""
    from kinspect.formats import open_document

    doc = open_document(corpus_path("flownet-keras"))
    assert {"keras-h5", "keras", "tf-graphdef", "onnx"} <= {e.id for e in exporters_for(doc)}
    lite = open_document(corpus_path("regression-tflite"))
    assert exporters_for(lite) == []


def test_the_outputs_page_asks_the_freeze_exporters_own_sources():
    """The window decides "can this be frozen?" from sources.GRAPH_SOURCES without importing
    the registry: it must be what the freeze exporter accepts."""
    from kinspect.convert.registry import exporter
    from kinspect.convert.sources import GRAPH_SOURCES

    assert exporter("tf-graphdef").accepts == GRAPH_SOURCES
