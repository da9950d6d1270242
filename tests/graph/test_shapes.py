"""Shapes on the scope view's edges (graph/shapes.py, graph/scope_draw.py): TensorFlow's shape
inference of a generated scoped graph against the shapes of the arrays TensorFlow computes when
it runs that graph; shapes recorded by TensorFlow (`add_shapes=True`) drawn without inference;
each group's boundary outputs carry their producers' shapes."""

from __future__ import annotations

import pytest

from kinspect.errors import FormatError
from kinspect.formats import open_document
from kinspect.formats.tf import protos as tf_protos
from kinspect.graph import scope_draw, scopes, shapes
from kinspect.graph.focus import node_defs

from ..builders.scoped import deep_graph
from ..builders.shaped import conv_graph, run_shapes

BLOCKS, UNITS = 4, 20


def drawn_shapes(data: bytes) -> dict[str, list]:
    """{drawn node: its `_output_shapes`} of a drawing (nodes without them left out)."""
    graph = tf_protos.GraphDef.FromString(data)
    return {n.name: [shapes.from_proto(s) for s in n.attr["_output_shapes"].list.shape]
            for n in graph.node if "_output_shapes" in n.attr}


def boundary_tensors() -> dict[str, str]:
    """The one tensor leaving each unit group and each block group: its last relu, or the
    block's pool."""
    out = {}
    for b in range(BLOCKS):
        for u in range(UNITS):
            out[f"net/block_{b}/unit_{u}/"] = f"net/block_{b}/unit_{u}/relu"
        out[f"net/block_{b}/"] = (f"net/block_{b}/pool" if b < BLOCKS - 1
                                  else f"net/block_{b}/unit_{UNITS - 1}/relu")
    return out


@pytest.fixture(scope="module")
def conv(tmp_path_factory):
    return conv_graph(tmp_path_factory.mktemp("shapes") / "conv.pb", BLOCKS, UNITS)


@pytest.fixture(scope="module")
def ran(conv):
    """What TensorFlow computes for every group's boundary tensor and `output`."""
    return run_shapes(conv, sorted(set(boundary_tensors().values())) + ["output"])


@pytest.mark.slow
def test_inferred_shapes_are_those_tensorflow_computes(conv, ran):
    inferred = shapes.infer(str(conv))
    assert len(inferred) == len(tf_protos.GraphDef.FromString(conv.read_bytes()).node)
    for name, shape in ran.items():
        assert inferred[name] == [shape], name
    # The four sizes the pools make, as TensorFlow computed them.
    assert {tuple(ran[f"net/block_{b}/unit_0/relu"]) for b in range(BLOCKS)} == {
        (1, 8, 8, 16), (1, 4, 4, 16), (1, 2, 2, 16), (1, 1, 1, 16)}


@pytest.mark.slow
def test_groups_carry_their_boundary_outputs_shapes(conv, ran):
    doc = open_document(conv)
    tree = scopes.tree_for(doc)
    inferred = shapes.infer(str(conv))
    boundary = boundary_tensors()
    for depth in (1, 2):  # blocks closed, then units closed
        drawing = scope_draw.draw(doc, tree.expanded_to(depth), inferred)
        listed = drawn_shapes(drawing.data)
        for group in drawing.groups:
            assert listed[group] == [ran[boundary[group]]], group
        # Drawn nodes that record nothing get the inferred shapes (the Placeholder, output).
        assert listed["output"] == [ran["output"]]
        assert listed["input"] == [[1, 8, 8, 16]]
    # A group opened: its nodes drawn with their own shapes, the pool's too.
    opened = tree.expanded_to(1) | {"net/block_1/"}
    listed = drawn_shapes(scope_draw.draw(doc, opened, inferred).data)
    assert listed["net/block_1/pool"] == [ran["net/block_1/pool"]]
    # No shapes known: no `_output_shapes` on groups (Netron then labels nothing).
    assert not drawn_shapes(scope_draw.draw(doc, tree.expanded_to(2)).data)


@pytest.mark.slow
def test_shapes_recorded_by_tensorflow_are_drawn_without_inference(conv, tmp_path):
    recorded = tmp_path / "recorded.pb"
    ran = run_shapes(conv, sorted(set(boundary_tensors().values())), recorded=recorded)
    doc = open_document(recorded)
    assert shapes.can_infer(doc, node_defs(doc)) == shapes.EVERY_NODE
    tree = scopes.tree_for(doc)
    drawing = scope_draw.draw(doc, tree.expanded_to(2))
    listed = drawn_shapes(drawing.data)
    boundary = boundary_tensors()
    assert len(drawing.groups) == BLOCKS * UNITS
    for group in drawing.groups:
        assert listed[group] == [ran[boundary[group]]], group
    # A frozen graph without them may be inferred.
    plain = open_document(conv)
    assert shapes.can_infer(plain, node_defs(plain)) is None


@pytest.mark.slow
def test_a_graph_tensorflow_refuses_is_one_line(tmp_path):
    path = deep_graph(tmp_path / "deep.pb", blocks=2, units=2, ops=2)  # MatMul of vectors
    with pytest.raises(FormatError) as caught:
        shapes.infer(str(path))
    assert "TensorFlow could not infer its shapes" in caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def test_shape_protos_round_trip():
    proto = tf_protos.GraphDef().node.add().attr["s"].list.shape.add()
    shapes.to_proto([-1, 299, 3], proto)
    assert shapes.from_proto(proto) == [-1, 299, 3]
    unknown = tf_protos.GraphDef().node.add().attr["s"].list.shape.add()
    shapes.to_proto(None, unknown)
    assert unknown.unknown_rank and shapes.from_proto(unknown) is None


@pytest.mark.slow
def test_shapes_recorded_in_a_tf1_savedmodel(conv, tmp_path):
    """A SavedModel keeps no NodeDefs in the document: the drawing reads its meta graph's."""
    recorded = tmp_path / "recorded.pb"
    ran = run_shapes(conv, sorted(set(boundary_tensors().values())), recorded=recorded)
    saved = tf_protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    meta.graph_def.ParseFromString(recorded.read_bytes())
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(saved.SerializeToString())
    doc = open_document(folder)
    assert doc.format == "tf-savedmodel" and node_defs(doc) is None
    tree = scopes.tree_for(doc)
    drawing = scope_draw.draw(doc, tree.expanded_to(1))
    listed = drawn_shapes(drawing.data)
    boundary = boundary_tensors()
    assert set(drawing.groups) == {f"net/block_{b}/" for b in range(BLOCKS)}
    for group in drawing.groups:
        assert listed[group] == [ran[boundary[group]]], group
    assert listed["input"] == [[1, 8, 8, 16]]  # a drawn node: its own recorded shape
