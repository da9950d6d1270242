"""tf_keras op layers (TFOpLambda, SlicingOpLambda, ClassMethod) name any TensorFlow function by
a string: one naming tf.io.read_file reads files when the model runs, so the scan reports
every name outside the pure math/array allowlist, and converting needs --trust-code."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import h5py
import pytest

from kinspect import cli
from kinspect.safety import scan
from kinspect.safety.keras import scan_model_config, tf_function_allowed

SECRET = "contents of a file the model must not read"


def _op_layer_h5(tmp: Path, function: str) -> Path:
    """A tf_keras model whose strings.strip op layer is renamed to FUNCTION; with io.read_file
    the model outputs the length of tmp/secret.txt (the file name comes from regex_replace)."""
    import tensorflow as tf
    import tf_keras

    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    inp = tf_keras.Input((1,))
    name = tf.strings.regex_replace(tf.strings.as_string(inp), ".*", str(secret))
    out = inp + tf.cast(tf.strings.length(tf.strings.strip(name[0, 0])), tf.float32)
    path = tmp / "op_layer.h5"
    tf_keras.Model(inp, out).save(path)
    with h5py.File(path, "r+") as f:
        config = f.attrs["model_config"]
        config = config.decode() if isinstance(config, bytes) else config
        assert '"function": "strings.strip"' in config
        f.attrs["model_config"] = config.replace('"function": "strings.strip"',
                                                 f'"function": "{function}"')
    return path


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_op_layer_reading_a_file_is_found_and_not_converted_untrusted(tmp_path):
    import numpy as np
    import tf_keras

    path = _op_layer_h5(tmp_path, "io.read_file")
    report = scan(path)
    assert [(f.kind, f.where.rsplit("/", 1)[-1]) for f in report.findings] == [
        ("tf-function", "tf.strings.strip")]
    assert report.runs_code and report.touches_files
    assert "tf.io.read_file" in report.findings[0].detail
    dst = tmp_path / "out.pb"
    code, _, err = _cli("convert", str(path), str(dst), "--verify")
    assert code == 2 and "--trust-code" in err, err
    assert not dst.exists(), "a graph with the file's ReadFile op was written untrusted"
    # The file really is hostile: loaded the unsafe way, the model reads the secret.
    model = tf_keras.models.load_model(path, compile=False)
    assert model.predict(np.zeros((1, 1)), verbose=0)[0, 0] == len(SECRET)


def test_plain_op_layers_stay_clean(tmp_path):
    assert scan(_op_layer_h5(tmp_path, "strings.strip")).findings == []


@pytest.mark.parametrize("name", [
    "io.read_file", "compat.v1.read_file", "compat.v1.io.write_file", "print", "py_function",
    "numpy_function", "compat.v1.py_func", "data.Dataset.list_files", "summary.write",
    "saved_model.load", "debugging.experimental.enable_dump_debug_info", "raw_ops.ReadFile",
    "raw_ops.PyFunc", "keras.models.load_model", "io.gfile.GFile", "function", "map_fn"])
def test_denied_functions(name):
    assert not tf_function_allowed(name)


@pytest.mark.parametrize("name", [
    "math.add", "compat.v1.math.add", "nn.relu", "__operators__.getitem", "reshape", "cast",
    "concat", "linalg.matmul", "strings.length", "image.resize", "raw_ops.AddV2",
    "experimental.numpy.sum"])
def test_allowed_functions(name):
    assert tf_function_allowed(name)


def test_class_method_layer_outside_tensor_classes():
    def layer(cls: str, method: str) -> dict:
        return {"class_name": "ClassMethod", "config": {
            "name": "m", "cls_symbol": cls, "method_name": method}}

    config = {"class_name": "Functional", "config": {"layers": [
        layer("RaggedTensor", "from_row_lengths"), layer("data.Dataset", "list_files")]}}
    findings = scan_model_config(config)
    assert [(f.kind, f.runs_code, f.touches_files) for f in findings] == [
        ("tf-function", True, True)]
    assert "data.Dataset.list_files" in findings[0].detail


def test_allowlist_names_exist_in_tensorflow():
    """Every top-level name of the allowlist is a TensorFlow API name (no typos), and no
    namespace-wide entry covers a file or Python API."""
    from tensorflow.python.util import tf_export

    from kinspect.safety.keras import tf_op_functions

    known = set(tf_export._NAME_TO_SYMBOL_MAPPING)  # noqa: SLF001 - TF's API name registry
    namespaces, names = tf_op_functions()
    assert sorted(n for n in names if n not in known and f"compat.v1.{n}" not in known) == []
    assert not namespaces & {"io", "data", "summary", "saved_model", "debugging", "raw_ops"}
