"""Hostile files of issue 22, built without TensorFlow: parts that read outside the model,
inputs that ask for unbounded memory or time, and configs and graphs that name code the old
denylist missed.

Each builder writes into its own folder `model/` beside a `secret` outside it. A test first
proves with h5py (or the library concerned) that the file really reaches the secret, then
calls `fifo_secret`: the secret becomes a FIFO, which blocks any process that opens it, so a
kinspect run that ends in time never opened it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

SECRET_VALUES = np.full((3, 2), 4242.0, dtype="float32")


@dataclass
class Payload:
    path: Path  # what the user opens
    secret: Path  # a file outside the model that must never be read
    marker: Path  # a file that exists only if code from the model ran


def _folders(tmp: Path, name: str) -> tuple[Path, Path, Path]:
    base = tmp / name
    model = base / "model"
    model.mkdir(parents=True)
    return model, base / "secret.h5", base / "MARKER"


def dense_config(units: int = 2, inputs: int = 3) -> dict:
    """A Keras 2.2 Sequential config with one Dense layer (what old .h5 files hold)."""
    return {"class_name": "Sequential", "config": [{
        "class_name": "Dense", "config": {"name": "dense_1", "units": units,
                                          "activation": "linear", "use_bias": True,
                                          "batch_input_shape": [None, inputs],
                                          "dtype": "float32", "trainable": True}}]}


def keras_h5(path: Path, config: dict | None = None, kernel=None) -> Path:
    """A Keras 2.2.4-style full-model .h5 written with h5py. `kernel`: a callable that
    creates the kernel dataset in the given group (default: a plain one)."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.2.4"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config or dense_config())
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"dense_1"]
        layer = weights.create_group("dense_1")
        layer.attrs["weight_names"] = [b"dense_1/kernel:0", b"dense_1/bias:0"]
        inner = layer.create_group("dense_1")
        if kernel is None:
            inner["kernel:0"] = np.ones((3, 2), dtype="float32")
        else:
            kernel(inner)
        inner["bias:0"] = np.zeros(2, dtype="float32")
    return path


def _secret_h5(secret: Path) -> None:
    with h5py.File(secret, "w") as f:
        f["data"] = SECRET_VALUES


def external_link_h5(tmp: Path) -> Payload:
    model, secret, marker = _folders(tmp, "external_link")
    _secret_h5(secret)
    path = keras_h5(model / "model.h5", kernel=lambda g: g.__setitem__(
        "kernel:0", h5py.ExternalLink(str(secret), "/data")))
    return Payload(path, secret, marker)


def external_storage_h5(tmp: Path) -> Payload:
    model, secret, marker = _folders(tmp, "external_storage")
    secret = secret.with_suffix(".raw")
    secret.write_bytes(SECRET_VALUES.tobytes())
    path = keras_h5(model / "model.h5", kernel=lambda g: g.create_dataset(
        "kernel:0", shape=(3, 2), dtype="float32",
        external=[(str(secret), 0, SECRET_VALUES.nbytes)]))
    return Payload(path, secret, marker)


def virtual_dataset_h5(tmp: Path) -> Payload:
    model, secret, marker = _folders(tmp, "virtual")
    _secret_h5(secret)

    def kernel(group: h5py.Group) -> None:
        layout = h5py.VirtualLayout(shape=(3, 2), dtype="float32")
        layout[:] = h5py.VirtualSource(str(secret), "data", shape=(3, 2))
        group.create_virtual_dataset("kernel:0", layout)

    return Payload(keras_h5(model / "model.h5", kernel=kernel), secret, marker)


def symlinked_checkpoint(tmp: Path, corpus_prefix: Path) -> Payload:
    """A real checkpoint copied into `model/`, its data shard replaced by a symlink to the
    secret (a data file of the same layout, so a reader would show its bytes as values)."""
    import shutil

    model, secret, marker = _folders(tmp, "symlink")
    secret = secret.with_suffix(".data")
    for suffix in (".index", ".meta"):
        shutil.copyfile(f"{corpus_prefix}{suffix}", model / f"model{suffix}")
    shutil.copyfile(f"{corpus_prefix}.data-00000-of-00001", secret)
    (model / "model.data-00000-of-00001").symlink_to(secret)
    (model / "checkpoint").write_text('model_checkpoint_path: "model"\n')
    return Payload(model / "model", secret, marker)


def fifo_secret(payload: Payload) -> None:
    """Replace the secret by a FIFO: opening it blocks until a writer comes, so a run that
    ends in time never opened it."""
    payload.secret.unlink()
    os.mkfifo(payload.secret)


# ---- unbounded inputs ------------------------------------------------------------------------

def deep_json(tmp: Path, depth: int = 200_000) -> Path:
    """An architecture JSON nested 200,000 levels (1.2 MB)."""
    path = tmp / "deep.json"
    path.write_text('{"class_name": "Sequential", "config": ' + '{"a": ' * depth + "0"
                    + "}" * depth + "}")
    return path


def many_layers_json(tmp: Path, layers: int = 600_000) -> Path:
    """An architecture JSON with 600,000 small layers (the issue's had a million in 88 MB)."""
    layer = '{"class_name": "ReLU", "config": {"name": "r"}}'
    path = tmp / "many.json"
    path.write_text('{"class_name": "Sequential", "config": {"name": "s", "layers": ['
                    + ",".join([layer] * layers) + "]}}")
    return path


def big_attribute_h5(tmp: Path, size: int = 65 << 20) -> Path:
    """A full-model .h5 whose model_config attribute is 65 MiB of JSON (one long name)."""
    config = dense_config()
    config["config"][0]["config"]["name"] = "d" * size
    path = tmp / "big_attr.h5"
    with h5py.File(path, "w", libver="latest") as f:  # dense attribute storage: no 64 KiB cap
        # fixed-length bytes, as Keras 2 wrote model_config (a vlen string is bounded later,
        # by the JSON size limit, after it is read)
        f.attrs["model_config"] = np.bytes_(json.dumps(config).encode())
        f.attrs["keras_version"] = "2.2.4"
    return path


def huge_dataset_h5(tmp: Path) -> Path:
    """A weights file declaring a 2^31 x 2^31 float32 kernel, chunked, nothing written."""
    path = tmp / "huge.h5"
    keras_h5(path, kernel=lambda g: g.create_dataset(
        "kernel:0", shape=(2**31, 2**31), dtype="float32", chunks=(64, 64)))
    return path


def deep_yaml(tmp: Path, depth: int = 600) -> Path:
    """Nested 600 levels: over kinspect's 256, under libyaml's own 1,000."""
    path = tmp / "deep.yaml"
    path.write_text("class_name: Sequential\nconfig: " + "[" * depth + "]" * depth + "\n")
    return path


def splat_const_pb(tmp: Path) -> Path:
    """A GraphDef whose Const stores one float and declares 4 x 2^30 of them (16 GB)."""
    from kinspect.formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    x = graph.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    x.attr["shape"].shape.dim.add(size=1)
    const = graph.node.add(name="big", op="Const")
    const.attr["dtype"].type = 1
    tensor = const.attr["value"].tensor
    tensor.dtype = 1
    tensor.tensor_shape.dim.add(size=4)
    tensor.tensor_shape.dim.add(size=1 << 30)
    tensor.float_val.append(1.0)
    y = graph.node.add(name="y", op="AddV2", input=["x", "big"])
    y.attr["T"].type = 1
    path = tmp / "splat.pb"
    path.write_bytes(graph.SerializeToString())
    return path


# ---- code the old denylist missed ------------------------------------------------------------

def graph_with_ops(tmp: Path, ops: list[str]) -> Path:
    """A frozen-looking GraphDef holding each op of OPS once (never run by the tests)."""
    from kinspect.formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    graph.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    for op in ops:
        graph.node.add(name=f"hidden_{op}", op=op, input=["x"])
    path = tmp / "ops.pb"
    path.write_bytes(graph.SerializeToString())
    return path


def dataset_from_graph_pb(tmp: Path, marker: Path) -> Path:
    """DatasetFromGraph runs a graph held in a string Const; the inner graph writes MARKER."""
    from kinspect.formats.tf import protos as tf_protos

    inner = tf_protos.GraphDef()
    name = inner.node.add(name="name", op="Const")
    name.attr["value"].tensor.dtype = 7
    name.attr["value"].tensor.string_val.append(str(marker).encode())
    inner.node.add(name="write", op="WriteFile", input=["name", "name"])
    graph = tf_protos.GraphDef()
    const = graph.node.add(name="serialized", op="Const")
    const.attr["value"].tensor.dtype = 7
    const.attr["value"].tensor.string_val.append(inner.SerializeToString())
    graph.node.add(name="dataset", op="DatasetFromGraph", input=["serialized"])
    path = tmp / "dataset_from_graph.pb"
    path.write_bytes(graph.SerializeToString())
    return path


def op_layer_h5(tmp: Path, op: str = "WriteFile") -> Path:
    """tf_keras TensorFlowOpLayer wrapping a NodeDef of OP (issue 22, payload 2)."""
    config = {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 1], "dtype": "string", "name": "x"}},
        {"class_name": "TensorFlowOpLayer", "name": "tf_op_layer_write",
         "config": {"name": "tf_op_layer_write", "trainable": True, "dtype": None,
                    "node_def": {"name": "write", "op": op, "input": ["x", "x"], "attr": {}},
                    "constants": {}},
         "inbound_nodes": [[["x", 0, 0, {}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["x", 0, 0]]}}
    path = tmp / f"op_layer_{op}.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.create_group("model_weights").attrs["layer_names"] = []
    return path


def keras3_reference_json(tmp: Path, module: str, name: str, cls: str = "function") -> Path:
    """A Keras 3 architecture whose Dense activation is a reference to MODULE.NAME (e.g.
    keras.utils.get_file, keras.config.enable_unsafe_deserialization)."""
    activation = {"module": module, "class_name": cls, "config": name, "registered_name": name}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "s", "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "in"}},
                  {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                   "config": {"name": "d", "units": 2, "activation": activation}}]}}
    path = tmp / f"ref_{name}.json"
    path.write_text(json.dumps(config))
    return path


def old_keras_module_json(tmp: Path) -> Path:
    """Payload 1's shape: a layer whose `module` names the old Keras inside TensorFlow."""
    config = dense_config()
    layer = config["config"][0]
    layer["module"] = "tensorflow.python.keras.layers.recurrent"
    layer["class_name"] = "RNN"
    layer["config"]["cell"] = {"module": "tensorflow.python.keras.layers.recurrent",
                               "class_name": "SimpleRNNCell", "config": {"units": 2}}
    path = tmp / "old_keras_module.json"
    path.write_text(json.dumps(config))
    return path
