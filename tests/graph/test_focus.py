"""Neighbourhood graphs for Netron (kinspect/graph_focus.py), checked against TensorFlow's own
graph utilities and the files' raw configs; and the per-document Netron server."""

from __future__ import annotations

import json
import time
import urllib.request

import h5py
import pytest

from kinspect.formats import open_document
from kinspect.graph import focus as graph_focus
from kinspect.ui.netron.server import NetronServer

from ..builders.graph import chain_graph
from ..conftest import corpus_path

GRU = "gru-pb"  # tests/corpus/manifest.json id
FC = "fc-layers-pb"
MNIST = "amitpr-mnist-h5"


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def test_ancestors_are_what_tensorflow_keeps_for_the_outputs(tf):
    path = corpus_path(GRU)
    graph_def = tf.compat.v1.GraphDef.FromString(path.read_bytes())
    index = graph_focus.index_for(open_document(path))
    middle = graph_def.node[len(graph_def.node) // 2].name
    for outputs in (["output"], [middle], ["output", middle]):
        kept = tf.compat.v1.graph_util.extract_sub_graph(graph_def, outputs)
        picked = [f"{name}:0" for name in outputs]  # as a user picks tensors
        assert set(index.ancestors(picked, limit=10**6)) == {n.name for n in kept.node}
        if outputs == [middle]:
            assert len(kept.node) < len(graph_def.node)  # a real pruning


def test_focus_graphdef_holds_the_neighbours_as_tensorflow_reads_them(tf):
    path = corpus_path(FC)
    graph_def = tf.compat.v1.GraphDef.FromString(path.read_bytes())
    by_name = {n.name: n for n in graph_def.node}
    center = next(n.name for n in graph_def.node if n.op == "BiasAdd")
    producers = {i.lstrip("^").split(":")[0] for i in by_name[center].input}
    consumers = {n.name for n in graph_def.node
                 if any(i.lstrip("^").split(":")[0] == center for i in n.input)}
    model = graph_focus.focus(open_document(path), center, hops=1)
    assert model.filename.endswith(".pb")
    near = {center} | producers | consumers
    # ... plus the constants those nodes read (directly or through an Identity `/read`).
    weights = set()
    for name in near:
        for ref in by_name[name].input:
            producer = by_name[ref.lstrip("^").split(":")[0]]
            if producer.op == "Const":
                weights.add(producer.name)
            elif producer.op == "Identity" and all(
                    by_name[i.split(":")[0]].op == "Const" for i in producer.input):
                weights |= {producer.name, *(i.split(":")[0] for i in producer.input)}
    assert weights and set(model.names) == near | weights
    written = tf.compat.v1.GraphDef.FromString(model.data)
    assert [n.name for n in written.node] == model.names
    for node in written.node:
        assert node.op == by_name[node.name].op
        assert list(node.input) == list(by_name[node.name].input)


def test_neighbourhood_of_any_node_in_a_200k_node_graph(tmp_path):
    doc = open_document(chain_graph(tmp_path / "big.pb", 100_000))
    assert graph_focus.node_count(doc) == 200_001 > graph_focus.BIG_GRAPH
    model = graph_focus.focus(doc, "add_54321", hops=2)
    # add_k = AddV2(add_{k-1}, c_k): two hops up and two hops down, by construction, each add
    # with the constant it reads.
    assert set(model.names) == {f"{kind}_{k}" for kind in ("add", "c")
                                for k in range(54319, 54324)}
    assert len(graph_focus.index_for(doc).ancestors(["add_99999"])) == graph_focus.MAX_FOCUS_NODES


def test_keras_focus_is_a_functional_config_of_those_layers():
    path = corpus_path(MNIST)
    with h5py.File(path, "r") as f:
        raw = {la["config"]["name"]: la for la in
               json.loads(f.attrs["model_config"])["config"]["layers"]}
    model = graph_focus.focus(open_document(path), "conv2d_6", hops=1)
    assert model.filename.endswith(".json")
    config = json.loads(model.data)
    assert config["class_name"] == "Functional"
    layers = {la["name"]: la for la in config["config"]["layers"]}
    assert set(layers) == {"max_pooling2d_2", "conv2d_6", "max_pooling2d_3"}
    for name in ("conv2d_6", "max_pooling2d_3"):  # inputs inside the focus: as in the file
        assert layers[name]["inbound_nodes"] == raw[name]["inbound_nodes"]
        assert layers[name]["config"] == raw[name]["config"]
    assert layers["max_pooling2d_2"]["inbound_nodes"] == []  # its input is outside the focus
    assert config["config"]["output_layers"] == [["max_pooling2d_3", 0, 0]]


@pytest.mark.parametrize(("rel", "expected"), [
    ("credit-fraud-weights", "weights only"),
    ("lso-checkpoint-tf2", "checkpoint"),
    (MNIST, None),
    (FC, None),
    ("half-plus-two-tf1", None),
])
def test_what_netron_cannot_draw_is_explained(rel, expected):
    reason = graph_focus.why_not_drawable(open_document(corpus_path(rel)))
    assert (reason is None) if expected is None else (expected in reason)


def test_netron_source_for_folders_and_yaml():
    saved = corpus_path("half-plus-two-tf1")
    assert graph_focus.netron_source(open_document(saved)) == (
        str(saved / "00000123" / "saved_model.pb"), None)  # TF Serving version folder
    folder = corpus_path("regression-checkpoint")
    for opened in (folder, folder / "model"):  # the folder, or the checkpoint prefix
        doc = open_document(opened)
        assert len(doc.nodes) == 128  # PROVENANCE: model.meta holds 128 nodes
        assert graph_focus.netron_source(doc) == (str(folder / "model.meta"), None)
    path, data = graph_focus.netron_source(
        open_document(corpus_path("mnist-server-yaml")))
    assert path.endswith(".json")
    assert len(json.loads(data)["config"]["layers"]) == 8  # Sequential, 8 layers


def test_servers_serve_their_own_document_and_stop():
    a, b = corpus_path(FC), corpus_path(GRU)
    one, two = NetronServer(str(a)), NetronServer(str(b))
    try:
        assert one.address[0] == "127.0.0.1" and one.address[1] != two.address[1]
        # netron.serve keeps the model on a class shared by all servers: here each keeps its own.
        assert urllib.request.urlopen(one.model_url(), timeout=5).read() == a.read_bytes()
        assert urllib.request.urlopen(two.model_url(), timeout=5).read() == b.read_bytes()
        page = urllib.request.urlopen(one.url, timeout=5).read().decode()
        assert '<meta name="file" content="/data/frozen.pb">' in page
        view_js = urllib.request.urlopen(one.url + "view.js", timeout=5).read()
        assert b"\\u3008" not in view_js and b"\\u27e8" in view_js
        url = one.add_file("kinspect-focus-1.pb", b"focus bytes")
        assert urllib.request.urlopen(url, timeout=5).read() == b"focus bytes"
    finally:
        one.stop()
        two.stop()
    deadline = time.monotonic() + 3
    while (one.alive or two.alive) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not one.alive and not two.alive
    with pytest.raises(OSError):  # refused (or reset while the port closes)
        urllib.request.urlopen(one.url, timeout=2).read()
