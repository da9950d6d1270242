"""Every Keras format but the full `.h5`: weights-only files, JSON, YAML, `.keras`, pairs.

Expected values are facts from the corpus PROVENANCE.md, or what Keras 3 / tf_keras report for
models the tests build and for the corpus pairs they load themselves."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import zipfile

import h5py
import pytest
import yaml

from kinspect.errors import FormatError
from kinspect.formats import detect, open_document
from kinspect.formats.containers import safe_yaml
from kinspect.formats.keras.pairing import open_pair

from ...conftest import ROOT, corpus_path, run_cli

# path, keras_version, layer_names, params, has top_level_model_weights
CORPUS_WEIGHTS = [
    ("credit-fraud-weights", "2.0.5",
     ["dense_1", "dense_2", "dropout_1", "dense_3", "dense_4", "dense_5"], 1_711, False),
    ("mnist-cnn-weights", "2.1.2",
     ["conv2d_1", "conv2d_2", "max_pooling2d_1", "dropout_1", "flatten_1", "dense_1",
      "dropout_2", "dense_2"], 746_538, False),
    ("battery-weights", "2.2.4-tf", ["lstm", "dense"], 11_451,
     False),
    ("alphabet-soup-weights", "2.10.0",
     ["dense", "dense_1", "dense_2"], 849, True),
]


@pytest.mark.parametrize("rel,version,names,params,top", CORPUS_WEIGHTS,
                         ids=[c[0] for c in CORPUS_WEIGHTS])
def test_corpus_weights_only(rel, version, names, params, top):
    path = corpus_path(rel)
    assert detect(path).id == "keras-weights-h5"  # model.h5 names included: by content
    doc = open_document(path)
    assert doc.producer == {"keras_version": version, "backend": "tensorflow"}
    assert [la.name for la in doc.layers] == names
    assert doc.summary.total == params == doc.summary.trainable
    assert any("weights only" in w for w in doc.warnings)
    assert doc.root.find("Attributes") is not None
    if top:
        with h5py.File(path) as f:
            assert "top_level_model_weights" in f


def test_weights_only_names_and_values():
    doc = open_document(corpus_path("credit-fraud-weights"))
    dense = doc.layer("dense_1")
    assert [w.name for w in dense.weights] == ["dense_1/kernel:0", "dense_1/bias:0"]
    assert dense.weights[0].shape == (30, 16)
    assert dense.weights[0].read().shape == (30, 16)
    assert sum(len(la.weights) for la in doc.layers) == 10


# path, keras_version, layer classes, list-style
CORPUS_ARCH = [
    ("credit-fraud-json", "2.0.5",
     ["Dense", "Dense", "Dropout", "Dense", "Dense", "Dense"], True),
    ("mnist-cnn-json", "2.1.2",
     ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense"],
     True),
    ("battery-json", "2.2.4-tf", ["LSTM", "Dense"], False),
    ("mnist-server-yaml", "2.1.3",
     ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense"],
     True),
]


@pytest.mark.parametrize("rel,version,classes,list_style", CORPUS_ARCH,
                         ids=[c[0] for c in CORPUS_ARCH])
def test_corpus_architectures(rel, version, classes, list_style):
    path = corpus_path(rel)
    fmt = "keras-yaml" if path.suffix == ".yaml" else "keras-json"
    assert detect(path).id == fmt
    doc = open_document(path)
    assert doc.format == fmt and doc.root.type == "Sequential"
    assert doc.producer["keras_version"] == version
    assert [la.class_name for la in doc.layers] == classes
    assert any("inferred from the config" in w for w in doc.warnings)
    assert all(not w.has_values for la in doc.layers for w in la.weights)
    assert doc.to_json()["weights_inferred"] is True
    assert any("list-style" in w for w in doc.warnings) == list_style
    assert any("Keras 3" in w for w in doc.warnings)


def test_channels_first_and_yaml_tuples_become_lists():
    doc = open_document(corpus_path("mnist-cnn-json"))
    assert doc.layers[0].config["data_format"] == "channels_first"
    assert doc.layers[0].config["batch_input_shape"] == [None, 1, 28, 28]
    yaml_doc = open_document(corpus_path("mnist-server-yaml"))
    assert yaml_doc.layers[0].config["batch_input_shape"] == [None, 28, 28, 1]
    assert json.dumps(yaml_doc.to_json())


def test_flownet_keras_zip():
    doc = open_document(corpus_path("flownet-keras"))
    assert doc.format == "keras" and doc.producer == {"keras_version": "3.9.2"}
    assert [la.class_name for la in doc.layers] == [
        "InputLayer", "Dense", "Dropout", "Dense", "LeakyReLU", "Dense", "LeakyReLU", "Dense"]
    assert doc.summary.total == 10_786
    kernel = doc.layer("dense").weights[0]
    assert kernel.name == "layers/dense/vars/0" and kernel.shape == (2, 128)
    assert kernel.read().shape == (2, 128)
    assert doc.root.find("Training config") is not None  # compile_config
    assert doc.root.find("Optimizer state") is not None


def test_subclassed_keras_zip_shown_from_config_and_weights():
    path = corpus_path("nested-container-keras")
    doc = open_document(path)
    assert doc.root.type == "NestedDenseModel"
    assert doc.producer == {"keras_version": "3.15.0"}
    assert any("legacy_nested_container>NestedDenseModel" in w for w in doc.warnings)
    assert doc.root.find("Attributes").find("build_config").attrs["value"] == \
        json.dumps({"input_shape": [2, 4]})
    # Independently: the sizes of every variable Keras stored for the layers.
    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as entry, \
            h5py.File(entry) as f:
        sizes: list[int] = []
        f["layers"].visititems(lambda n, o: sizes.append(o.size)
                               if isinstance(o, h5py.Dataset) else None)
    assert doc.summary.total == sum(sizes) > 0
    assert {la.name for la in doc.layers} >= {"d_0", "d_1", "d_2"}


# ------------------------------------------------------------------ pairs, checked by tf_keras

PAIRS = [
    ("credit-fraud-weights", "credit-fraud-json"),
    ("mnist-cnn-weights",
     "mnist-cnn-json"),
    ("battery-weights",
     "battery-json"),
]


@pytest.mark.slow
@pytest.mark.parametrize("weights,arch", PAIRS, ids=[p[0] for p in PAIRS])
def test_corpus_pairs_match_tf_keras(weights, arch):
    tf_keras = pytest.importorskip("tf_keras")
    w, a = corpus_path(weights), corpus_path(arch)
    model = tf_keras.models.model_from_json(a.read_text())
    model.load_weights(str(w), by_name=True)
    doc = open_pair(w, a)
    assert doc.summary.total == model.count_params()
    assert doc.summary.trainable == sum(math.prod(v.shape) for v in model.trainable_weights)
    assert {r["status"] for r in doc.extra["pairing"]["layers"]} == {"matched"}
    assert [la.name for la in doc.layers if la.class_name != "InputLayer"] == \
        [la.name for la in model.layers]


def test_pair_with_full_model_as_architecture():
    doc = open_pair(corpus_path("alphabet-soup-weights"),
                    corpus_path("alphabet-soup-h5"))
    assert doc.summary.total == 849
    assert doc.extra["pairing"]["counts"]["matched"] == 3


def test_pair_report_mismatches():
    doc = open_pair(corpus_path("credit-fraud-weights"),
                    corpus_path("mnist-cnn-json"))
    rows = {r["layer"]: r for r in doc.extra["pairing"]["layers"]}
    assert rows["conv2d_1"]["status"] == "missing"
    assert rows["dense_1"]["status"] == "shape mismatch"
    assert rows["dense_1"]["stored"][0] == [30, 16]
    assert rows["dense_3"]["status"] == "unused"
    assert doc.summary.total == 0
    branch = doc.root.find("Weights match")
    assert branch.type == "2 missing, 2 shape mismatch, 3 unused"
    assert "stored (30, 16)" in branch.find("dense_1").error


def test_cli_info_with_arch():
    res = run_cli("info", str(corpus_path("battery-weights")),
                  "--arch", str(corpus_path("battery-json")), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["params"]["total"] == 11_451
    assert [la["class_name"] for la in data["layers"]] == ["LSTM", "Dense"]
    assert data["pairing"]["counts"]["matched"] == 2
    human = run_cli("info", str(corpus_path("battery-weights")),
                    "--arch", str(corpus_path("battery-json")))
    assert "2 matched, 0 missing, 0 shape mismatch, 0 unused" in human.stdout
    bad = run_cli("info", str(corpus_path("battery-weights")),
                  "--arch", str(ROOT / "no-such.json"))
    assert bad.returncode == 2 and bad.stderr.startswith("kinspect: ")
    assert "Traceback" not in bad.stderr


# ------------------------------------------------------------------ YAML safety


def test_yaml_refuses_python_objects(tmp_path):
    evil = tmp_path / "model.yaml"
    evil.write_text("class_name: Sequential\nconfig:\n- class_name: Dense\n"
                    "  config: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(FormatError, match=r"!!python/object/apply:os.system"):
        open_document(evil)
    assert not (tmp_path / "pwned").exists()
    root = yaml.compose(evil.read_text(), Loader=yaml.SafeLoader)
    assert safe_yaml.python_tags(root) == [("!!python/object/apply:os.system", 4)]
    res = run_cli("info", str(evil))
    assert res.returncode == 2 and "python tag" in res.stderr


def test_yaml_alias_bomb_and_recursion_refused():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    with pytest.raises(FormatError, match="expand"):
        safe_yaml.load("\n".join(levels))
    with pytest.raises(FormatError, match="recursive"):
        safe_yaml.load("a: &a [*a]")
    assert safe_yaml.load("t: !!python/tuple [1, 2]") == {"t": [1, 2]}


def test_corpus_yaml_tags_listed():
    text = corpus_path("mnist-server-yaml").read_text()
    tags = safe_yaml.python_tags(yaml.compose(text, Loader=yaml.SafeLoader))
    assert {tag for tag, _line in tags} == {"!!python/tuple"} and len(tags) > 1


def test_opening_every_keras_format_imports_no_tensorflow():
    files = [corpus_path(r) for r, *_ in CORPUS_WEIGHTS + CORPUS_ARCH] + [
        corpus_path("flownet-keras"),
        corpus_path("nested-container-keras")]
    pair = [str(corpus_path(p)) for p in PAIRS[0]]
    code = ("import sys, json; from kinspect.formats import open_document; "
            "from kinspect.formats.keras.pairing import open_pair; "
            f"[json.dumps(open_document(p).to_json()) for p in {[str(f) for f in files]!r}]; "
            f"open_pair(*{pair!r}).to_json(); "
            "print([m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"



def test_keras_zip_entry_read_in_place_or_spooled(tmp_path):
    """Stored entries are read through a window onto the zip, deflated ones spooled: both give
    the values zipfile + h5py give."""
    src = corpus_path("flownet-keras")
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            zo.writestr(info.filename, zin.read(info.filename))
    with zipfile.ZipFile(src) as z, z.open("model.weights.h5") as entry, \
            h5py.File(entry) as f:
        expected = f["layers/dense_3/vars/0"][()]
    for path in (src, deflated):
        doc = open_document(path)
        assert doc.summary.total == 10_786
        weight = doc.layer("dense_3").weights[0]
        assert (weight.read() == expected).all()
        assert (weight.read_part((slice(1, 3),)) == expected[1:3]).all()  # hyperslab


def test_keras1_weights_layout(tmp_path):
    """Keras 1.x save_weights: flat weight names; BatchNormalization kept running_mean and
    running_std in non_trainable_weights (keras 1.2 normalization.py)."""
    path = tmp_path / "keras1.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"dense_1", b"batchnormalization_1"]
        f.attrs["keras_version"] = "1.2.2"
        for layer, weights in (("dense_1", {"dense_1_W": (4, 3), "dense_1_b": (3,)}),
                               ("batchnormalization_1", {
                                   f"batchnormalization_1_{n}": (3,)
                                   for n in ("gamma", "beta", "running_mean", "running_std")})):
            group = f.create_group(layer)
            group.attrs["weight_names"] = [n.encode() for n in weights]
            for name, shape in weights.items():
                group.create_dataset(name, shape=shape, dtype="float32")
    doc = open_document(path)
    assert doc.format == "keras-weights-h5"
    assert (doc.summary.total, doc.summary.trainable, doc.summary.non_trainable) == (27, 21, 6)
    assert any("Keras 1" in w for w in doc.warnings)


@pytest.mark.slow
@pytest.mark.parametrize("rel", [c[0] for c in CORPUS_ARCH])
def test_architecture_counts_inferred_as_tf_keras_builds_them(rel):
    """Counts and output shapes inferred from a config equal what tf_keras builds from it."""
    tf_keras = pytest.importorskip("tf_keras")
    path = corpus_path(rel)
    text = path.read_text()
    if path.suffix == ".yaml":
        data = safe_yaml.load(text)
        model = tf_keras.Sequential.from_config(data["config"])
    else:
        model = tf_keras.models.model_from_json(text)
    doc = open_document(path)
    assert doc.summary.total == model.count_params()
    assert doc.summary.trainable == sum(math.prod(v.shape) for v in model.trainable_weights)
    assert [la.params for la in doc.layers] == [la.count_params() for la in model.layers]
    assert [tuple(la.output_shape) for la in doc.layers] == \
        [tuple(la.output_shape) for la in model.layers]


FULL_MODELS = ["alphabet-soup-h5",
               "amitpr-mnist-h5",
               "cryptoann-h5",
               "churn-keras3-h5",
               "f4neuron-h5",
               "flownet-keras"]


def _library_output_shapes(path) -> dict[str, tuple]:
    """Each layer's output shape as the Keras that wrote the file builds it (Keras 3 for its own
    files and its legacy .h5, tf_keras for Keras 2)."""
    import h5py

    version = ""
    if path.suffix == ".h5":
        with h5py.File(path, "r") as f:
            version = str(f.attrs.get("keras_version", ""))
    if version.startswith("2."):
        tf_keras = pytest.importorskip("tf_keras")
        model = tf_keras.models.load_model(path, compile=False)
        shapes = {la.name: la.output_shape for la in model.layers}
        # tf_keras gives an InputLayer's shape as a one-element list
        return {k: tuple(v[0] if isinstance(v, list) else v) for k, v in shapes.items()}
    import keras

    model = keras.models.load_model(path, compile=False)
    return {la.name: tuple(la.output.shape) for la in model.layers}


@pytest.mark.slow
@pytest.mark.parametrize("rel", FULL_MODELS)
def test_full_model_output_shapes_as_keras_builds_them(rel):
    """The Summary's output shapes for files with weights (planned from the config and kept
    only when the stored weight shapes confirm the plan) equal what Keras builds."""
    path = corpus_path(rel)
    doc = open_document(path)
    ours = {la.name: tuple(la.output_shape) for la in doc.layers}
    assert all(shape for shape in ours.values())
    expected = _library_output_shapes(path)
    assert {k: v for k, v in ours.items() if k in expected} == expected
    # the same in `info --json` and in the tree's Shape column
    assert [tuple(la["output_shape"]) for la in doc.to_json()["layers"]] == list(ours.values())
    rows = next(c for c in doc.root.children if c.name == "Layers").children
    assert [r.shape for r in rows] == [la.shape_text for la in doc.layers]
    assert rows[-1].shape == "(" + ", ".join(str(d) for d in ours[rows[-1].name]) + ")"
    assert set(ours) - set(expected) <= {la.name for la in doc.layers
                                         if la.class_name == "InputLayer"}


def test_output_shapes_left_out_when_the_stored_weights_disagree(tmp_path):
    """A config whose Dense units disagree with the stored kernel: no shape is guessed."""
    import json
    import shutil

    import h5py

    path = tmp_path / "m.h5"
    shutil.copy(corpus_path("cryptoann-h5"), path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        layers = config["config"]  # Keras 2.0's list-style Sequential config
        assert layers[0]["config"]["units"] == 512  # as the stored kernel (6, 512)
        layers[0]["config"]["units"] = 511
        f.attrs["model_config"] = json.dumps(config)
    doc = open_document(path)
    assert [la.output_shape for la in doc.layers] == [None] * len(doc.layers)
    assert doc.summary.total == 11_843  # the counts come from the stored weights regardless


def test_malformed_keras_inputs_give_one_line_errors(tmp_path):
    odd = tmp_path / "odd.keras"
    with zipfile.ZipFile(odd, "w") as z:
        z.writestr("config.json", json.dumps({"class_name": "Sequential",
                                              "config": {"layers": "x"}}))
        z.writestr("metadata.json", '"not a mapping"')
    doc = open_document(odd)  # shown, with what is missing said
    assert "zip holds no model.weights.h5" in doc.warnings
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("config.json", "[1, 2]")
        z.writestr("metadata.json", "{}")
    with pytest.raises(FormatError, match="class_name"):
        open_document(broken)
    with pytest.raises(FormatError, match="not a Keras weights file"):
        open_pair(odd, corpus_path("battery-json"))
    res = run_cli("info", str(corpus_path("battery-weights")),
                  "--arch", str(broken))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and str(broken) in res.stderr


def test_top_level_model_weights_are_shown_and_counted(tmp_path):
    """tf.keras 2.10+ keeps the model's own variables in `top_level_model_weights`."""
    path = tmp_path / "top.h5"
    path.write_bytes(corpus_path("alphabet-soup-weights")
                     .read_bytes())
    with h5py.File(path, "a") as f:
        group = f["top_level_model_weights"]
        group.attrs["weight_names"] = [b"scale:0"]
        group["scale:0"] = [1.0, 2.0, 3.0]
    doc = open_document(path)
    assert doc.summary.total == 849 + 3
    assert [n.name for n in doc.root.find("Model weights").children] == ["scale:0"]
