"""Broken and hostile inputs the format readers must survive: link cycles in HDF5 stores,
oversized graph outputs, broken optional SavedModel files, leaked temp files, raw OS errors.
Each builds its input here, and each runs in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from kinspect.formats import open_document


def _cyclic_store(path: Path, links: int) -> Path:
    """A Keras 3 `.weights.h5` with one 3-float variable and `links` hard links from
    `layers/<x>` back to the root group."""
    with h5py.File(path, "w") as f:
        layers = f.create_group("layers")
        layers.create_group("dense").create_group("vars").create_dataset("0", data=np.zeros(3))
        for name in "ab"[:links]:
            layers[name] = f["/"]
    return path


@pytest.mark.timeout(60)
@pytest.mark.parametrize("links", [1, 2])
def test_link_cycle_in_weight_store_is_read_once(tmp_path: Path, links: int) -> None:
    path = _cyclic_store(tmp_path / "cycle.weights.h5", links)
    start = time.monotonic()
    doc = open_document(str(path))
    assert time.monotonic() - start < 10
    assert doc.summary is not None and doc.summary.total == 3
    stored = [w.name for layer in doc.all_layers() for w in layer.weights]
    assert stored == ["layers/dense/vars/0"]


def _graphdef(path: Path, build) -> Path:  # noqa: ANN001 - a callable filling the GraphDef
    from kinspect.formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    build(graph)
    path.write_bytes(graph.SerializeToString())
    return path


def _add(graph, name: str, op: str, *inputs: str):  # noqa: ANN001, ANN202
    node = graph.node.add()
    node.name, node.op = name, op
    node.input.extend(inputs)
    return node


@pytest.mark.timeout(60)
def test_huge_output_index_and_count_do_not_list_every_output(tmp_path: Path) -> None:
    def build(graph) -> None:  # noqa: ANN001
        _add(graph, "x", "Placeholder")
        _add(graph, "y", "Identity", "x:999999999")
        _add(graph, "s", "Split", "dim", "x").attr["num_split"].i = 10 ** 12
        _add(graph, "t", "Identity", "s:7")
        _add(graph, "u", "Split", "dim", "x").attr["num_split"].i = 3
        _add(graph, "dim", "Const")

    start = time.monotonic()
    doc = open_document(str(_graphdef(tmp_path / "big.pb", build)))
    assert time.monotonic() - start < 10
    outputs = {n.name: n.outputs for n in doc.nodes}
    assert outputs["x"] == ["x:0", "x:999999999"]
    assert outputs["s"] == ["s:0", "s:7"]
    assert outputs["u"] == ["u:0", "u:1", "u:2"]  # a real count is listed in full


@pytest.mark.timeout(60)
def test_broadcast_scalar_const_is_bounded(tmp_path: Path) -> None:
    from kinspect.errors import FormatError

    def build(graph) -> None:  # noqa: ANN001
        for name, dims in (("huge", (100_000, 100_000)), ("small", (2, 3))):
            value = _add(graph, name, "Const").attr["value"].tensor
            value.dtype = 1  # float32
            value.tensor_shape.dim.add().size, value.tensor_shape.dim.add().size = dims
            value.float_val.append(1.5)

    doc = open_document(str(_graphdef(tmp_path / "const.pb", build)))
    tensors = {t.name.split(":")[0]: t for t in _const_tensors(doc)}
    with pytest.raises(FormatError, match="MiB"):
        tensors["huge"].read()
    np.testing.assert_array_equal(tensors["small"].read(), np.full((2, 3), 1.5, np.float32))


def _const_tensors(doc) -> list:  # noqa: ANN001
    """Every TensorInfo with values found in the document's tree."""
    return [n.tensor for n in doc.root.walk() if getattr(n, "tensor", None) is not None]


def _savedmodel_copy(tmp_path: Path, name: str, content: bytes) -> Path:
    """The corpus half_plus_two SavedModel with one optional file replaced by `content`."""
    import shutil

    from tests.conftest import corpus_path

    folder = tmp_path / "sm"
    shutil.copytree(corpus_path("half-plus-two-tf2-version"), folder)
    (folder / name).write_bytes(content)
    return folder


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("name", "content", "title"), [
    ("fingerprint.pb", b"\x0a\x05\x0a", "Fingerprint"),  # field 1 claims 5 bytes, 1 follows
    # A node_path "root" then field 4 whose length varint never ends: the lenient reader.
    ("keras_metadata.pb", b"\x0a\x08\x1a\x04root\x22\xff", "Keras layers (keras_metadata.pb)"),
])
def test_broken_optional_savedmodel_file_is_an_error_row(tmp_path: Path, name: str,
                                                         content: bytes, title: str) -> None:
    from tests.conftest import corpus_path

    whole = open_document(str(corpus_path("half-plus-two-tf2-version")))
    doc = open_document(str(_savedmodel_copy(tmp_path, name, content)))
    assert doc.format == "tf-savedmodel"  # the rest of the model is there, as in the original
    assert sorted(doc.signatures) == sorted(whole.signatures) and len(doc.signatures) == 7
    assert [v.name for v in doc.variables] == [v.name for v in whole.variables]
    rows = {c.name: c for c in doc.root.children}
    if title == "Fingerprint":
        assert rows[title].kind == "error" and rows[title].error
        assert any(w.startswith("Fingerprint: ") for w in doc.warnings)
    else:  # read leniently: the one object whose path could be read
        assert [r.attrs["node_path"] for r in rows[title].children] == ["root"]


@pytest.mark.timeout(300)
def test_reshape_minus_one_is_worked_out_as_keras_does(tmp_path: Path) -> None:
    import json

    import keras

    layers = [{"class_name": "Reshape",
               "config": {"name": "r", "target_shape": [4, -1], "batch_input_shape": [None, 12]}},
              {"class_name": "Dense", "config": {"name": "d", "units": 3}},
              {"class_name": "Flatten", "config": {"name": "f"}},
              {"class_name": "Dense", "config": {"name": "d2", "units": 1}}]
    path = tmp_path / "reshape.json"
    path.write_text(json.dumps({"class_name": "Sequential", "keras_version": "2.2.4",
                                "backend": "tensorflow",
                                "config": {"name": "s", "layers": layers}}))
    model = keras.Sequential([keras.Input((12,)), keras.layers.Reshape((4, -1)),
                              keras.layers.Dense(3), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    assert model.count_params() == 25  # Dense(3) on 3: 12; Flatten 4*3 -> Dense(1): 13
    doc = open_document(str(path))
    assert doc.extra["weights_inferred"] is True
    assert doc.summary is not None and doc.summary.total == model.count_params()
    assert doc.layer("d").weights[0].shape == (3, 3)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["model.txt", "saved_model.pb"])
def test_text_savedmodel_is_parsed_by_content_not_name(tmp_path: Path, name: str) -> None:
    from google.protobuf import text_format

    from kinspect.formats.tf import protos as tf_protos
    from tests.conftest import corpus_path

    source = corpus_path("regression-savedmodel-pb")
    saved = tf_protos.SavedModel.FromString(source.read_bytes())
    path = tmp_path / "m" / name
    path.parent.mkdir()
    path.write_text(text_format.MessageToString(saved))
    doc = open_document(str(path))
    assert doc.format == "tf-savedmodel"
    main = next((mg for mg in saved.meta_graphs if "serve" in mg.meta_info_def.tags),
                saved.meta_graphs[0])
    assert [n.name for n in doc.nodes] == [n.name for n in main.graph_def.node]
    assert sorted(doc.signatures) == sorted(main.signature_def)


def _deflated_keras(path: Path, corrupt: bool) -> Path:
    """A `.keras` zip whose model.weights.h5 (one Dense layer's kernel and bias) is deflated,
    its compressed stream damaged when `corrupt`."""
    import io
    import json
    import zipfile

    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        dense = f.create_group("layers/dense/vars")
        dense.attrs["name"] = "dense"
        dense.create_dataset("0", data=np.arange(6, dtype=np.float32).reshape(2, 3))
        dense.create_dataset("1", data=np.ones(3, np.float32))
        f.create_dataset("pad", data=np.arange(20000, dtype=np.int64))  # a long stream
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 2]}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 3}}]}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("model.weights.h5", weights.getvalue())
    if corrupt:
        data = bytearray(path.read_bytes())
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("model.weights.h5")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        data[start + info.compress_size // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    return path


def _open_fds() -> set[str]:
    import os

    return {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}


@pytest.mark.timeout(60)
def test_corrupt_deflated_weights_leave_no_temp_file_open(tmp_path: Path) -> None:
    import gc

    from kinspect.errors import FormatError

    good = open_document(str(_deflated_keras(tmp_path / "good.keras", corrupt=False)))
    np.testing.assert_array_equal(good.layer("dense").weights[0].read(),
                                  np.arange(6, dtype=np.float32).reshape(2, 3))
    path = _deflated_keras(tmp_path / "bad.keras", corrupt=True)
    gc.collect()
    before = _open_fds()
    with pytest.raises(FormatError, match="CRC") as caught:
        open_document(str(path))
    # Checked while the error (and so its traceback's frames) is alive: nothing left to the
    # garbage collector's ResourceWarning.
    leaked = _open_fds() - before
    assert caught.value is not None and leaked == set()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["keras2", "keras3", "keras-zip"])
def test_values_of_a_deleted_file_raise_format_error(tmp_path: Path, kind: str) -> None:
    from kinspect.errors import FormatError

    kernel = np.arange(6, dtype=np.float32).reshape(2, 3)
    if kind == "keras-zip":
        path = tmp_path / "m.keras"
        _deflated_keras(path, corrupt=False)
    else:
        path = tmp_path / ("w.h5" if kind == "keras2" else "w.weights.h5")
        with h5py.File(path, "w") as f:
            if kind == "keras2":  # save_weights of tf.keras: layer_names, weight_names
                f.attrs["layer_names"] = [b"dense"]
                group = f.create_group("dense")
                group.attrs["weight_names"] = [b"dense/kernel:0"]
                group.create_dataset("dense/kernel:0", data=kernel)
            else:
                f.create_group("layers/dense/vars").create_dataset("0", data=kernel)
    doc = open_document(str(path))
    (weight,) = [w for la in doc.all_layers() for w in la.weights][:1]
    np.testing.assert_array_equal(weight.read_part((slice(0, 1),)), kernel[:1])
    path.unlink()
    with pytest.raises(FormatError, match="cannot read the file|damaged"):
        weight.read_part((slice(0, 1),))
    with pytest.raises(FormatError):
        weight.read()


def test_tensor_without_values_raises_format_error() -> None:
    from kinspect.errors import FormatError
    from kinspect.model import TensorInfo

    with pytest.raises(FormatError, match="no stored values"):
        TensorInfo("t", (2,), "float32").read()


_V1_SAVER = """
import numpy as np, sys, tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_eager_execution()
with tf.Graph().as_default():
    w = tf1.get_variable("w", shape=[6, 3], partitioner=tf1.fixed_size_partitioner(2),
                         initializer=tf1.zeros_initializer())
    u = tf1.get_variable("u", initializer=tf1.constant([1.0, 2.0]))
    fill = [p.assign(np.arange(9, dtype=np.float32).reshape(3, 3) + 9 * i)
            for i, p in enumerate(w)]
    saver = tf1.train.Saver(write_version=tf1.train.SaverDef.V1)
    with tf1.Session() as s:
        s.run(tf1.global_variables_initializer())
        s.run(fill)
        saver.save(s, sys.argv[1])
"""


@pytest.mark.timeout(300)
def test_v1_checkpoint_values_and_partitions(tmp_path: Path) -> None:
    """TF 2.21 still writes V1 checkpoints: a 2-partition [6, 3] variable (rows 0-2 and 3-5
    hold 0..8 and 9..17) and a plain [2] one."""
    import subprocess
    import sys

    prefix = tmp_path / "model.ckpt"
    subprocess.run([sys.executable, "-c", _V1_SAVER, str(prefix)], check=True,
                   capture_output=True, timeout=240)
    doc = open_document(str(prefix))
    values = {v.name: v.read() for v in doc.variables}
    np.testing.assert_array_equal(values["w"], np.arange(18, dtype=np.float32).reshape(6, 3))
    np.testing.assert_array_equal(values["u"], np.array([1.0, 2.0], np.float32))


@pytest.mark.timeout(60)
def test_functions_only_graph_is_parsed_once_and_other_pb_not_at_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kinspect.errors import UnsupportedFormat
    from kinspect.formats import detect
    from kinspect.formats.tf import graphdef as tf_graphdef
    from kinspect.formats.tf import protos as tf_protos

    calls: list[str] = []
    real = tf_graphdef.parse
    monkeypatch.setattr(tf_graphdef, "parse", lambda path, *a: calls.append(path) or
                        real(path, *a))
    graph = tf_protos.GraphDef()
    graph.library.function.add().signature.name = "my_fn"
    graph.versions.producer = 10
    lib = tmp_path / "lib.pb"
    lib.write_bytes(graph.SerializeToString())
    doc = open_document(str(lib))
    assert doc.format == "tf-graphdef" and doc.extra["functions"] == ["my_fn"]
    assert calls == [str(lib)]
    other = tmp_path / "other.pb"  # field 2, then bytes that are no function library
    other.write_bytes(b"\x12\x7f" + bytes(range(127)) * 50)
    calls.clear()
    try:
        found = detect(str(other)).id
    except UnsupportedFormat:
        found = None
    assert found != "tf-graphdef" and calls == []
