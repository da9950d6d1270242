"""Hostile model files, built in tests: each would write a marker file if its code ever ran.

Models are built with Keras / tf_keras / TensorFlow from safe code; then the stored code is
swapped for a function that writes `MARKER` (the bytecode is made by compiling source text, it is
never called here). Each builder also gives a `prove` callable that loads the file the unsafe
way (Keras with safe_mode=False, yaml.unsafe_load, tf.saved_model.load + call, pickle.load) so a
test can show the file really is hostile after asserting kinspect never ran it.
"""

from __future__ import annotations

import base64
import json
import marshal
import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h5py


@dataclass
class Hostile:
    path: Path
    marker: Path
    prove: Callable[[], object] | None  # None: no way to run it here (see the builder)
    expect: set[str] = field(default_factory=set)  # finding kinds or op names scan must report


def marker_lambda_code(marker: Path) -> str:
    """Base64 marshal (as Keras func_dump writes it) of a lambda that writes `marker`."""
    source = f"lambda x: (open({str(marker)!r}, 'w').write('ran'), x)[1]"
    code = compile(source, "<hostile>", "eval")
    func_code = next(c for c in code.co_consts if hasattr(c, "co_code"))
    return base64.encodebytes(marshal.dumps(func_code)).decode("ascii")


class _PickleWritesMarker:
    """Unpickling this calls open(marker, 'w'): the classic pickle payload, made harmless."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # noqa: ANN204 - pickle protocol
        return (open, (self.marker, "w"))


def pickle_bytes(marker: Path) -> bytes:
    return pickle.dumps(_PickleWritesMarker(marker), protocol=4)


def _swap_lambda_code(config: object, code: str) -> int:
    """Replace the bytecode of every Lambda in a config (Keras 2 list or Keras 3 dict form)."""
    count = 0
    if isinstance(config, dict):
        if config.get("class_name") == "Lambda":
            fn = config["config"]["function"]
            if isinstance(fn, list):
                fn[0] = code
            else:
                fn["config"]["code"] = code
            count += 1
        for value in config.values():
            count += _swap_lambda_code(value, code)
    elif isinstance(config, list):
        for value in config:
            count += _swap_lambda_code(value, code)
    return count


def tf_keras_lambda_h5(tmp: Path) -> Hostile:
    """tf_keras Functional model; the Lambda sits in a nested Sequential inside TimeDistributed."""
    import tf_keras

    marker = tmp / "MARKER_h5"
    inner = tf_keras.Sequential([tf_keras.layers.Dense(3),
                                 tf_keras.layers.Lambda(lambda t: t)], name="inner")
    inp = tf_keras.Input((2, 4))
    out = tf_keras.layers.TimeDistributed(inner, name="per_step")(inp)
    model = tf_keras.Model(inp, out, name="outer")
    model.compile(loss="mse")
    path = tmp / "lambda_nested.h5"
    model.save(path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        assert _swap_lambda_code(config, marker_lambda_code(marker)) == 1
        f.attrs["model_config"] = json.dumps(config)

    def prove() -> object:
        return tf_keras.models.load_model(path, compile=False, safe_mode=False)

    return Hostile(path, marker, prove, {"lambda-layer"})


def rewrite_keras_zip(src: Path, dst: Path, config: bytes | Callable[[dict], dict],
                      keep: Callable[[str], bool] = lambda name: True,
                      extra: dict[str, bytes] | None = None) -> Path:
    """A copy of a `.keras` zip whose config.json is `config` (bytes as they are, or a function
    that edits the parsed config), without the entries `keep` refuses, plus `extra` entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if not keep(info.filename):
                continue
            data = zin.read(info)
            if info.filename == "config.json":
                data = config if isinstance(config, bytes) else \
                    json.dumps(config(json.loads(data))).encode()
            zout.writestr(info, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def keras3_lambda_keras(tmp: Path) -> Hostile:
    """Keras 3 `.keras`: Lambda in a nested Sequential, lambdas as loss and metric, a pickle."""
    import keras

    marker = tmp / "MARKER_keras"
    inner = keras.Sequential([keras.layers.Dense(3), keras.layers.Lambda(lambda t: t)],
                             name="inner")
    inp = keras.Input((4,))
    model = keras.Model(inp, inner(inp), name="outer")
    model.compile(loss=lambda y, p: keras.ops.mean(p - y), metrics=[lambda y, p: p])
    clean = tmp / "clean_build.keras"
    model.save(clean)
    path = tmp / "lambda_nested.keras"

    def with_marker_lambda(config: dict) -> dict:
        assert _swap_lambda_code(config, marker_lambda_code(marker)) == 1
        return config

    rewrite_keras_zip(clean, path, with_marker_lambda,
                      extra={"assets/evil.pkl": pickle_bytes(tmp / "MARKER_keras_pickle")})
    os.remove(clean)

    def prove() -> object:
        return keras.saving.load_model(path, compile=False, safe_mode=False)

    return Hostile(path, marker, prove, {"lambda-layer", "lambda-function", "pickle"})


def yaml_apply(tmp: Path) -> Hostile:
    """A Keras 2 style YAML whose config holds `!!python/object/apply:builtins.open`."""
    import yaml

    marker = tmp / "MARKER_yaml"
    path = tmp / "model.yaml"
    path.write_text(
        "class_name: Sequential\nkeras_version: 2.1.3\nbackend: tensorflow\nconfig:\n"
        "- class_name: Dense\n  config:\n    name: dense_1\n    units: 2\n"
        "    batch_input_shape: !!python/tuple [null, 3]\n"
        f"    kernel_initializer: !!python/object/apply:builtins.open [{str(marker)!r}, w]\n")

    def prove() -> object:
        return yaml.unsafe_load(path.read_text())

    return Hostile(path, marker, prove, {"yaml-python-tag"})


def pickle_named_h5(tmp: Path) -> Hostile:
    marker = tmp / "MARKER_pickle"
    path = tmp / "transformer.h5"
    path.write_bytes(pickle_bytes(marker))

    def prove() -> object:
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 - proving the file is hostile

    return Hostile(path, marker, prove, {"pickle"})


def npz_object_array(tmp: Path) -> Hostile:
    import numpy as np

    marker = tmp / "MARKER_npz"
    path = tmp / "weights.npz"
    arr = np.empty(1, dtype=object)
    arr[0] = _PickleWritesMarker(marker)
    np.savez(path, w=np.zeros(3), obj=arr)

    def prove() -> object:
        return np.load(path, allow_pickle=True)["obj"]

    return Hostile(path, marker, prove, {"pickle"})


FILE_OP_FUNCTIONS = ("WriteFile", "ReadFile", "MatchingFiles", "PrintV2", "EagerPyFunc",
                     "CreateSummaryFileWriter", "SaveV2")


def savedmodel_write_file(tmp: Path) -> Hostile:
    """A TF2 SavedModel: its serving function writes the marker with tf.io.write_file, and other
    (uncalled) functions use the rest of the family ModelScan does not look for."""
    import tensorflow as tf

    marker = tmp / "MARKER_savedmodel"
    logdir = str(tmp / "logs")
    spec = tf.TensorSpec([None], tf.float32)

    class Module(tf.Module):
        @tf.function(input_signature=[spec])
        def __call__(self, x):
            tf.io.write_file(str(marker), "ran")
            return x * 2.0

        @tf.function(input_signature=[])
        def read(self):
            return tf.io.read_file(str(tmp / "secret.txt"))

        @tf.function(input_signature=[])
        def glob(self):
            return tf.io.matching_files(str(tmp / "*"))

        @tf.function(input_signature=[spec])
        def log(self, x):
            tf.print(x, output_stream="file://" + str(tmp / "printed.txt"))
            return x

        @tf.function(input_signature=[spec])
        def callback(self, x):
            return tf.py_function(lambda t: t, [x], tf.float32)

        @tf.function(input_signature=[])
        def summary(self):
            writer = tf.raw_ops.SummaryWriter()
            tf.raw_ops.CreateSummaryFileWriter(writer=writer, logdir=logdir, max_queue=1,
                                               flush_millis=0, filename_suffix=".v2")
            return tf.constant(0)

        @tf.function(input_signature=[])
        def dump(self):
            tf.raw_ops.SaveV2(prefix=str(tmp / "stolen"), tensor_names=["x"],
                              shape_and_slices=[""], tensors=[tf.constant([1.0])])
            return tf.constant(0)

    module = Module()
    path = tmp / "savedmodel_writefile"
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.__call__})

    def prove() -> object:
        return tf.saved_model.load(str(path))(tf.constant([1.0]))

    return Hostile(path, marker, prove, set(FILE_OP_FUNCTIONS))


def graphdef_write_file(tmp: Path) -> Hostile:
    """A GraphDef `.pb`: WriteFile in the graph, MatchingFiles only inside a library function."""
    import tensorflow as tf

    marker = tmp / "MARKER_pb"

    @tf.function
    def hidden() -> tf.Tensor:
        return tf.io.matching_files(str(tmp / "*"))

    graph = tf.Graph()
    with graph.as_default():
        write = tf.io.write_file(str(marker), "ran", name="write_marker")
        hidden()
    path = tmp / "frozen_writefile.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())

    def prove() -> object:
        with tf.compat.v1.Session(graph=graph) as sess:
            return sess.run(write)

    return Hostile(path, marker, prove, {"WriteFile", "MatchingFiles"})


def tflite_flex_write_file(tmp: Path) -> Hostile:
    """A `.tflite` running TensorFlow's WriteFile through the Flex delegate (SELECT_TF_OPS)."""
    import tensorflow as tf

    marker = tmp / "MARKER_tflite"

    class Module(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def f(self, x):
            tf.io.write_file(str(marker), tf.strings.as_string(x[0]))
            return x * 2.0

    module = Module()
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.f.get_concrete_function()], module)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                           tf.lite.OpsSet.SELECT_TF_OPS]
    path = tmp / "flex.tflite"
    path.write_bytes(converter.convert())
    # No proof by running it: the tf.lite.Interpreter of this TensorFlow has no Flex delegate.
    return Hostile(path, marker, None, {"WriteFile"})


def checkpoint_save_in_restore(tmp: Path) -> Hostile:
    """A TF1 checkpoint whose restore op has a control input on a Save op `save/evil` writing
    MARKER: restoring the variables (what converting it does) writes the file."""
    import tensorflow as tf

    v1 = tf.compat.v1
    marker = tmp / "MARKER_ckpt"
    folder = tmp / "ckpt"
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        tf.identity(tf.matmul(x, v1.Variable([[2.0]], name="w")), name="y")
        saver = v1.train.Saver()
        with tf.name_scope("save/"):
            evil = tf.raw_ops.Save(filename=str(marker), tensor_names=["a"],
                                   data=[tf.constant([1.0])], name="evil")
        graph.get_operation_by_name(saver.saver_def.restore_op_name)._add_control_input(evil)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, str(folder / "model"))

    def prove() -> object:
        with tf.Graph().as_default(), v1.Session() as sess:
            return v1.train.import_meta_graph(str(folder / "model.meta")).restore(
                sess, str(folder / "model"))

    return Hostile(folder, marker, prove, {"Save"})


def graphdef_save_control_input(tmp: Path) -> Hostile:
    """A GraphDef whose output `y` has a control input on a Save op named `save/w` writing
    MARKER: a plain GraphDef has no saver, so the `save/` name must not hide it."""
    import tensorflow as tf

    v1 = tf.compat.v1
    marker = tmp / "MARKER_pb_save"
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        with tf.name_scope("save/"):
            save = tf.raw_ops.Save(filename=str(marker), tensor_names=["a"],
                                   data=[tf.constant([1.0])], name="w")
        with tf.control_dependencies([save]):
            y = tf.identity(x, name="y")
    path = tmp / "save_control.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())

    def prove() -> object:
        with v1.Session(graph=graph) as sess:
            return sess.run(y, {x: [[1.0, 2.0]]})

    return Hostile(path, marker, prove, {"Save"})


def zip_bomb_keras(tmp: Path) -> Path:
    """A `.keras` whose model.weights.h5 inflates 1000x to 64 MiB (never inflated by us)."""
    path = tmp / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        with z.open("model.weights.h5", "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(64):
                entry.write(block)
    return path


def garbage_savedmodel(tmp: Path) -> Path:
    path = tmp / "garbage_savedmodel"
    (path / "variables").mkdir(parents=True)
    (path / "saved_model.pb").write_bytes(bytes(range(256)) * 8)
    return path


BUILDERS: dict[str, Callable[[Path], Hostile]] = {
    "pickle_h5": pickle_named_h5,
    "npz": npz_object_array,
    "yaml": yaml_apply,
    "tf_keras_h5": tf_keras_lambda_h5,
    "keras3": keras3_lambda_keras,
    "savedmodel": savedmodel_write_file,
    "graphdef": graphdef_write_file,
    "tflite": tflite_flex_write_file,
    "checkpoint_save": checkpoint_save_in_restore,
    "graphdef_save": graphdef_save_control_input,
}


class HostileSet:
    """Builds each hostile file once, on first use, in its own folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[str, Hostile] = {}

    def __getitem__(self, name: str) -> Hostile:
        if name not in self._built:
            folder = self.root / name
            folder.mkdir()
            self._built[name] = BUILDERS[name](folder)
        return self._built[name]
