"""keras-h5 reader against real files (facts from the corpus PROVENANCE.md) and built models."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kinspect.formats import detect, open_document
from kinspect.model import Kind

from ...conftest import ROOT, SAMPLE, corpus_path

# path, keras_version, model class, layer classes (in order), params, optimizer datasets
CORPUS_FULL = [
    ("carnd-h5", "2.2.4", "Sequential",
     ["Lambda"] + ["Conv2D"] * 5 + ["Dropout", "Flatten"] + ["Dense"] * 4, 252_219, 55),
    ("cryptoann-h5", "2.2.2", "Sequential",
     ["Dense", "Dropout", "Dense", "Dropout", "Dense"], 11_843, 19),
    ("f4neuron-h5", "2.1.6-tf", "Sequential",
     ["Conv1D", "MaxPooling1D", "Conv1D", "Dropout", "Flatten", "Dense", "Dense"], 205, 25),
    ("amitpr-mnist-h5", "2.2.4-tf", "Model",
     ["InputLayer", "Conv2D", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D",
      "Flatten", "Dense", "Dense"], 120_538, 25),
    ("alphabet-soup-h5", "2.10.0", "Sequential",
     ["InputLayer", "Dense", "Dense", "Dense"], 849, 13),
    ("churn-keras3-h5", "3.13.2", "Sequential",
     ["InputLayer", "Dense", "Dense", "Dense"], 2_945, 14),
]


@pytest.mark.parametrize("rel,version,model_class,classes,params,opt_count", CORPUS_FULL,
                         ids=[c[0] for c in CORPUS_FULL])
def test_corpus_full_models(rel, version, model_class, classes, params, opt_count):
    path = corpus_path(rel)
    assert detect(path).id == "keras-h5"
    doc = open_document(path)
    assert doc.format == "keras-h5"
    assert doc.producer == {"keras_version": version, "backend": "tensorflow"}
    assert doc.root.type == model_class
    assert [la.class_name for la in doc.layers] == classes
    assert doc.summary.total == params
    optimizer = doc.root.find("Optimizer state")
    assert optimizer is not None and len(optimizer.children) == opt_count


def test_keras2_weight_names_keep_the_colon_zero():
    doc = open_document(corpus_path("carnd-h5"))
    weights = [w for la in doc.layers for w in la.weights]
    assert len(weights) == 18
    assert weights[0].name == "conv2d_1/kernel:0"
    assert doc.layer("dense_4").weights[1].name == "dense_4/bias:0"
    assert doc.layers[0].config["batch_input_shape"] == [None, 68, 204, 3]
    assert doc.layers[0].config["function_type"] == "lambda"
    assert "Keras 3 cannot load" in doc.warnings[0]


def test_keras3_legacy_paths_and_shapes():
    doc = open_document(corpus_path("churn-keras3-h5"))
    dense = doc.layer("dense")
    assert [w.name for w in dense.weights] == ["sequential/dense/kernel", "sequential/dense/bias"]
    assert dense.weights[0].shape == (12, 64)
    assert doc.layers[-1].weights[0].shape[-1] == 1
    assert doc.warnings == []


def test_functional_inbound_connections():
    doc = open_document(corpus_path("amitpr-mnist-h5"))
    assert doc.layer("conv2d_4").inbound == ["input_2"]
    assert doc.layer("dense_3").inbound == ["dense_2"]


def test_training_config_and_values_on_demand():
    doc = open_document(corpus_path("cryptoann-h5"))
    training = doc.root.find("Training config")
    assert training.attrs["value"]["loss"] == "categorical_crossentropy"
    assert training.attrs["value"]["optimizer_config"]["class_name"] == "Adam"
    kernel = doc.layer("dense_1").weights[0]
    values = kernel.read()
    assert values.shape == kernel.shape and values.dtype.name == kernel.dtype


def test_detected_by_content_not_extension(tmp_path):
    renamed = tmp_path / "weights.bin"
    renamed.write_bytes(corpus_path("cryptoann-h5").read_bytes())
    assert open_document(renamed).format == "keras-h5"


def test_opening_imports_neither_tensorflow_nor_keras():
    code = ("import sys; from kinspect.formats import open_document; "
            f"d = open_document({str(SAMPLE)!r}); d.to_json(); "
            "print([m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_sample_tree_rows():
    doc = open_document(SAMPLE)
    layers = doc.root.find("Layers")
    assert [n.name for n in layers.children][:3] == ["image", "conv1", "bn1"]
    bn = layers.children[2]
    assert bn.kind == Kind.LAYER
    assert [w.name for w in bn.children] == ["bn1/gamma:0", "bn1/beta:0", "bn1/moving_mean:0",
                                             "bn1/moving_variance:0"]


@pytest.fixture(scope="session")
def built_models(tmp_path_factory):
    from ...builders.keras import save_all

    return save_all(tmp_path_factory.mktemp("built"))


def _keras_weight_names(model) -> list[str]:
    # Keras 3 variables carry `path` (e.g. "dense_a/kernel"); tf_keras names end in ":0".
    return [getattr(v, "path", None) or v.name for v in model.weights]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["k3_functional", "k3_nested", "tfk_functional", "tfk_nested"])
def test_built_models_match_keras(built_models, name):
    path, model = built_models[name]
    doc = open_document(path)
    assert doc.summary.total == model.count_params()
    trainable = sum(int(w.shape.num_elements()) if hasattr(w.shape, "num_elements")
                    else int(__import__("numpy").prod(w.shape)) for w in model.trainable_weights)
    assert doc.summary.trainable == trainable
    assert [la.name for la in doc.layers] == [la.name for la in model.layers]
    ours = [w.name for la in doc.all_layers() for w in la.weights]
    assert len(ours) == len(model.weights)
    # Each stored name ends with the variable's own path (Keras 3) or name (tf_keras).
    keras_names = _keras_weight_names(model)
    for stored, expected in zip(sorted(ours), sorted(keras_names), strict=True):
        assert stored.endswith(expected.split("/", 1)[-1].replace(":0", "")) or \
            stored == expected, (stored, expected)


@pytest.mark.slow
def test_nested_model_weights_go_to_inner_layers(built_models):
    doc = open_document(built_models["tfk_nested"][0])
    inner = doc.layer("inner")
    # A Sequential config lists its InputLayer first (Keras hides it from `model.layers`).
    assert [child.class_name for child in inner.layers] == ["InputLayer", "Dense", "Dense"]
    assert [child.name for child in inner.layers][1:] == ["inner_dense", "inner_dense_2"]
    assert [w.name for w in doc.layer("inner_dense").weights] == \
        ["inner_dense/kernel:0", "inner_dense/bias:0"]
    assert doc.layer("inner").params == 4 * 6 + 6 + 6 * 5 + 5
    assert json.dumps(doc.to_json())
