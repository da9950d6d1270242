"""`kinspect.safety.scan` and `kinspect scan`: what it must find, where ModelScan looks and
where its published bypasses hide code, and no false alarms on real, clean files."""

from __future__ import annotations

import json
import pickletools
import zipfile

import pytest

from kinspect.errors import FormatError
from kinspect.safety import scan
from tests.builders.hostile import FILE_OP_FUNCTIONS, pickle_bytes, rewrite_keras_zip
from tests.conftest import corpus_path, run_cli


def kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


def test_lambda_in_corpus_file_is_found():
    # PROVENANCE #1: first layer of this Sequential is a Lambda with marshalled bytecode.
    report = scan(corpus_path("carnd-h5"))
    lambdas = [f for f in report.findings if f.kind == "lambda-layer"]
    assert len(lambdas) == 1
    assert "bytecode" in lambdas[0].detail and lambdas[0].runs_code
    assert report.format == "keras-h5"


@pytest.mark.parametrize("rel", [
    "alphabet-soup-h5",
    "churn-keras3-h5",
    "battery-weights",
    "flownet-keras",
    "credit-fraud-json",
    "mnist-server-yaml",  # !!python/tuple only: inert
    "gru-pb",
    "tfcr-pbtxt",
    "half-plus-two-tf1",  # TF1: save/ ops of the standard saver
    "half-plus-two-tf2",  # TF2: saver in _traced_save functions
    "regression-savedmodel",  # two savers, save/ and save_1/
    "tfnet-savedmodel",  # TensorFlow.NET: SaveV2 left dangling
    "multi-signature-savedmodel",
    "times-three-savedmodel",
    "regression-checkpoint",
    "regression-checkpoint-meta",
    "bad-half-plus-two-checkpoint",  # SaveSlices / RestoreSlice
    "lso-checkpoint-tf2",
    "regression-tflite",
])
def test_clean_real_files_have_no_findings(rel):
    report = scan(corpus_path(rel))
    assert report.findings == [], report.findings


def test_custom_registered_class_in_corpus_keras_zip():
    # PROVENANCE #30: registered_name 'legacy_nested_container>NestedDenseModel'.
    report = scan(corpus_path("nested-container-keras"))
    assert [f.kind for f in report.findings] == ["custom-object"]
    assert "legacy_nested_container>NestedDenseModel" in report.findings[0].detail


def test_lambda_nested_in_wrapper_and_submodel(hostile):
    h = hostile["tf_keras_h5"]
    report = scan(h.path)
    (finding,) = [f for f in report.findings if f.kind == "lambda-layer"]
    # Outer model -> TimeDistributed "per_step" -> Sequential "inner" -> Lambda.
    assert finding.where == "model_config/outer/per_step.layer/inner/lambda"
    assert report.runs_code and not report.touches_files


def test_keras3_lambdas_in_submodel_and_compile_config_and_pickle_entry(hostile):
    h = hostile["keras3"]
    report = scan(h.path)
    by_where = {f.where: f.kind for f in report.findings}
    assert by_where["config.json/outer/inner/lambda"] == "lambda-layer"
    assert by_where["config.json/outer.compile_config.loss"] == "lambda-function"
    assert by_where["config.json/outer.compile_config.metrics[0]"] == "lambda-function"
    assert by_where["zip entry assets/evil.pkl"] == "pickle"
    assert len(report.findings) == 4


def test_module_reference_in_compile_config(tmp_path, hostile):
    """The Keras 3 bypass: a loss that names a function of an arbitrary module."""
    src = hostile["keras3"].path
    path = tmp_path / "os_system.keras"

    def loss_os_system(config: dict) -> dict:
        config["compile_config"]["loss"] = {
            "module": "os", "class_name": "function", "config": "system",
            "registered_name": "function"}
        return config

    rewrite_keras_zip(src, path, loss_os_system, keep=lambda name: not name.endswith(".pkl"))
    report = scan(path)
    custom = [f for f in report.findings if f.kind == "custom-object"]
    assert len(custom) == 1 and "'os.system'" in custom[0].detail
    assert custom[0].where == "config.json/outer.compile_config.loss/function"


def test_custom_named_loss_in_training_config(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")

    def my_secret_loss(y, p):
        return tf_keras.backend.mean(p - y)

    model = tf_keras.Sequential([tf_keras.Input((3,)), tf_keras.layers.Dense(1)])
    model.compile(loss=my_secret_loss, metrics=["accuracy"])
    path = tmp_path / "custom_loss.h5"
    model.save(path)
    report = scan(path)
    assert [(f.kind, f.where) for f in report.findings] == [
        ("custom-object", "training_config/loss")]
    assert "my_secret_loss" in report.findings[0].detail


def test_every_file_op_in_every_function_of_a_savedmodel(hostile):
    h = hostile["savedmodel"]
    report = scan(h.path)
    ops = {f.detail.split()[0] for f in report.findings}
    assert set(FILE_OP_FUNCTIONS) <= ops
    (write,) = [f for f in report.findings if f.detail.startswith("WriteFile")]
    assert write.where.startswith("function __inference___call__")
    assert any(f.runs_code for f in report.findings if f.detail.startswith("EagerPyFunc"))
    assert report.touches_files


def test_graphdef_ops_in_graph_and_in_library(hostile):
    report = scan(hostile["graphdef"].path)
    where = {f.detail.split()[0]: f.where for f in report.findings}
    assert where["WriteFile"] == "frozen_writefile.pb/write_marker"
    assert where["MatchingFiles"].startswith("function __inference_hidden")


def test_pickles_named_h5_and_in_npz(hostile):
    report = scan(hostile["pickle_h5"].path)
    assert kinds(report) == {"pickle"}
    # The global the pickle calls, as pickletools lists it independently.
    data = hostile["pickle_h5"].path.read_bytes()
    strings = [arg for op, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
    assert f"{strings[0]}.{strings[1]}" in report.findings[0].detail
    npz = scan(hostile["npz"].path)
    assert [f.where for f in npz.findings] == ["zip entry obj.npy"]


def test_yaml_python_apply_tag_with_line(hostile):
    h = hostile["yaml"]
    report = scan(h.path)
    line = next(i for i, text in enumerate(h.path.read_text().splitlines(), 1)
                if "!!python/object/apply" in text)
    (finding,) = report.findings
    assert finding.kind == "yaml-python-tag" and finding.where == f"model.yaml line {line}"
    assert "python/object/apply:builtins.open" in finding.detail


def test_zip_entry_pickle_is_told_by_content_not_name(tmp_path):
    path = tmp_path / "data.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("innocent.bin", pickle_bytes(tmp_path / "never"))
        z.writestr("notes.txt", b"hello")
    report = scan(path)
    assert [(f.kind, f.where) for f in report.findings] == [("pickle", "zip entry innocent.bin")]


def test_unreadable_input_raises_format_error(tmp_path):
    junk = tmp_path / "junk.pb"
    junk.write_bytes(b"\xff\x00\x13" * 100)
    with pytest.raises(FormatError) as err:
        scan(junk)
    assert err.value.path == str(junk)


def test_cli_scan_exit_codes_and_json(hostile, tmp_path):
    found = run_cli("scan", "--json", str(hostile["graphdef"].path))
    assert found.returncode == 1, found.stderr
    data = json.loads(found.stdout)
    assert data["touches_files"] is True and not data["runs_code"]
    assert {f["detail"].split()[0] for f in data["findings"]} == {"WriteFile", "MatchingFiles"}
    clean = run_cli("scan", str(corpus_path("regression-pb")))
    assert clean.returncode == 0 and "no findings" in clean.stdout
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    bad = run_cli("scan", str(empty))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == f"kinspect: {empty}: file is empty"


def test_custom_layer_class_in_keras2_h5(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")

    class ScaleBy(tf_keras.layers.Layer):
        def call(self, x):
            return x * 3.0

    inner = tf_keras.Sequential([tf_keras.Input((3,)), ScaleBy(name="scale")], name="inner")
    model = tf_keras.Sequential([tf_keras.Input((3,)), inner, tf_keras.layers.Dense(1)])
    path = tmp_path / "custom_layer.h5"
    model.save(path)
    report = scan(path)
    assert [(f.kind, f.where.rsplit("/", 2)[-2:]) for f in report.findings] == [
        ("custom-object", ["inner", "scale"])]
    assert "'ScaleBy'" in report.findings[0].detail


def test_known_class_list_covers_installed_keras():
    """kinspect/data/keras_classes.txt (no Keras import at scan time) against Keras itself."""
    import inspect

    keras = pytest.importorskip("keras")
    tf_keras = pytest.importorskip("tf_keras")
    from kinspect.safety.keras import keras_classes

    for module in (keras.layers, tf_keras.layers):
        layer_base = module.Layer
        missing = {name for name, obj in vars(module).items() if inspect.isclass(obj)
                   and issubclass(obj, layer_base) and name not in keras_classes()}
        assert not missing, f"rerun resources/make_keras_classes.py: {sorted(missing)}"


def test_lambda_loss_and_metric_in_keras2_training_config(tmp_path):
    """tf.keras stores a lambda loss by name and a lambda metric in a MeanMetricWrapper."""
    tf_keras = pytest.importorskip("tf_keras")
    model = tf_keras.Sequential([tf_keras.Input((3,)), tf_keras.layers.Dense(1)])
    model.compile(loss=lambda y, p: p - y, metrics=[lambda y, p: p, "accuracy"])
    path = tmp_path / "lambda_compile.h5"
    model.save(path)
    report = scan(path)
    assert [f.where for f in report.findings] == [
        "training_config/loss", "training_config/metrics[0][0]/<lambda>"]
    assert all(f.kind == "custom-object" and "lambda" in f.detail for f in report.findings)


def test_lambda_hidden_in_bidirectional(tmp_path):
    """ModelScan bypass: a Lambda where Bidirectional expects its RNN (config from tf_keras)."""
    tf_keras = pytest.importorskip("tf_keras")
    model = tf_keras.Sequential([tf_keras.Input((5, 3)),
                                 tf_keras.layers.Bidirectional(tf_keras.layers.LSTM(2))])
    config = json.loads(model.to_json())
    lam = tf_keras.layers.serialize(tf_keras.layers.Lambda(lambda t: t, name="hidden"))
    (bidi,) = [la for la in config["config"]["layers"] if la["class_name"] == "Bidirectional"]
    bidi["config"]["layer"] = lam
    path = tmp_path / "bidi.json"
    path.write_text(json.dumps(config))
    report = scan(path)
    assert [(f.kind, f.where.rsplit("/", 2)[-2:]) for f in report.findings] == [
        ("lambda-layer", [f"{bidi['config']['name']}.layer", "hidden"])]


def test_keras2_savedmodel_lambda_once_and_no_saver_alarm(tmp_path):
    """A tf.keras SavedModel: the Lambda is found in keras_metadata.pb (reported once though
    several metadata nodes repeat it); its standard saver functions raise no alarm."""
    tf_keras = pytest.importorskip("tf_keras")
    model = tf_keras.Sequential([tf_keras.Input((3,)), tf_keras.layers.Dense(2),
                                 tf_keras.layers.Lambda(lambda t: t * 2, name="dbl")])
    model.compile(loss="mse", optimizer="adam", metrics=["mae"])
    path = tmp_path / "tfkeras_savedmodel"
    model.save(path, save_format="tf")
    report = scan(path)
    assert report.format == "tf-savedmodel"
    assert [(f.kind, f.where.rsplit("/", 1)[-1]) for f in report.findings] == [
        ("lambda-layer", "dbl")]


def test_keras3_export_is_clean(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = tmp_path / "exported"
    model.export(str(path))
    report = scan(path)
    assert report.format == "tf-savedmodel" and report.findings == []


def test_tflite_flex_op(hostile):
    report = scan(hostile["tflite"].path)
    assert [(f.kind, f.where) for f in report.findings] == [("file-op", "custom op FlexWriteFile")]
    assert report.format == "tflite"


def test_custom_activation_by_name_in_keras2_h5(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")

    def my_activation(x):
        return x * 0.5

    model = tf_keras.Sequential([tf_keras.Input((3,)),
                                 tf_keras.layers.Dense(2, activation=my_activation, name="d"),
                                 tf_keras.layers.Dense(1, activation="sigmoid")])
    path = tmp_path / "custom_activation.h5"
    model.save(path)
    report = scan(path)
    # tf_keras 2.21 stores it as {"module": "builtins", "class_name": "function",
    # "config": "my_activation"} (a local function).
    assert [(f.kind, f.where.rsplit("/", 2)[-2:]) for f in report.findings] == [
        ("custom-object", ["d.activation", "function"])]
    assert ".my_activation'" in report.findings[0].detail


def test_known_function_list_covers_installed_activations():
    import inspect

    keras = pytest.importorskip("keras")
    tf_keras = pytest.importorskip("tf_keras")
    from kinspect.safety.keras import keras_functions

    for module in (keras.activations, tf_keras.activations):
        missing = {name for name, obj in vars(module).items()
                   if inspect.isfunction(obj) and not name.startswith("_")
                   and name not in keras_functions()}
        assert not missing, f"rerun resources/make_keras_classes.py: {sorted(missing)}"
