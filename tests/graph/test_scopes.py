"""The scope view's model: which nodes are drawn at each expansion, and that the GraphDef served
to Netron keeps every edge of the flat graph. Expected values come from the GraphDef parsed with
protobuf and a naive prefix rule written here, and for InceptionV3 from Keras itself."""

from __future__ import annotations

from collections import Counter

import pytest

from kinspect.formats import open_document
from kinspect.formats.tf import protos as tf_protos
from kinspect.graph import scope_draw, scopes

from ..builders.graph import chain_graph
from ..builders.scoped import call_graph, deep_graph, frozen_inception, named_graph


def drawn_unit(name: str, expanded: set[str]) -> str:
    """The naive rule: a node is drawn as the outermost closed scope around it, else itself."""
    parts = name.split("/")
    for k in range(1, len(parts)):
        scope = "/".join(parts[:k]) + "/"
        if scope not in expanded:
            return scope
    return name


def producer(ref: str) -> str:
    ref = ref.lstrip("^")
    head, sep, tail = ref.rpartition(":")
    return head if sep and tail.isdigit() else ref


def flat_edges(path) -> set[tuple[str, str]]:
    graph = tf_protos.GraphDef.FromString(path.read_bytes())
    return {(producer(ref), n.name) for n in graph.node for ref in n.input}


def served(drawing: scope_draw.Drawing) -> tf_protos.GraphDef:
    return tf_protos.GraphDef.FromString(drawing.data)


def check_drawing(path, doc, expanded: set[str]) -> scope_draw.Drawing:
    """Draw at `expanded` and check the served GraphDef against the naive rule: the drawn
    nodes, and every flat edge between two different drawn nodes present (and no other)."""
    drawing = scope_draw.draw(doc, expanded)
    graph = served(drawing)
    names = [n.name for n in doc.nodes]
    assert {n.name for n in graph.node} == {drawn_unit(n, expanded) for n in names}
    assert len(graph.node) == len(drawing.names)
    want = {(drawn_unit(a, expanded), drawn_unit(b, expanded)) for a, b in flat_edges(path)}
    want = {(a, b) for a, b in want if a != b}
    got = {(producer(ref), n.name) for n in graph.node for ref in n.input}
    # Many control inputs of one node are listed on it rather than drawn.
    listed = {(source.decode(), n.name) for n in graph.node
              for source in n.attr["control inputs"].list.s}
    assert got | listed == want == drawing.edges
    assert all(len(sources) > scope_draw.MAX_CONTROL_EDGES
               for sources in drawing.listed.values())
    # Each group's op counts add up to the nodes inside it.
    for node in graph.node:
        if node.name.endswith("/"):
            inside = sum(1 for n in names if n.startswith(node.name))
            counts = [v.i for k, v in node.attr.items() if k not in ("params", "control inputs")]
            assert sum(counts) == inside, node.name
    return drawing


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    path = deep_graph(tmp_path_factory.mktemp("deep") / "deep.pb", blocks=6, units=20, ops=4)
    return path, open_document(path)


def test_deep_graph_opens_at_the_deepest_depth_under_the_limit(deep):
    path, doc = deep
    tree = scopes.tree_for(doc)
    names = [n.name for n in doc.nodes]
    assert len(names) == 6 * 20 * 8 + 2
    # net/ (depth 0), 6 blocks (1), 120 units (2): drawn counts by the naive rule.
    naive = [len({drawn_unit(n, tree.expanded_to(d)) for n in names}) for d in range(4)]
    assert naive == [3, 8, 122, 962] == tree.depth_counts()
    assert tree.initial_depth() == 2 and tree.initial_depth(limit=100) == 1
    for depth in range(4):
        check_drawing(path, doc, tree.expanded_to(depth))
    drawing = scope_draw.draw(doc, tree.expanded_to(2))
    group = drawing.groups["net/block_3/unit_7/"]
    assert tree.title(group) == "unit_7"  # four MatMuls: a block, not one layer
    assert group.params == 4 * 4  # four float Consts of shape [4]


def test_expanding_a_group_adds_exactly_its_children(deep):
    path, doc = deep
    tree = scopes.tree_for(doc)
    expanded = tree.expanded_to(1)
    before = set(check_drawing(path, doc, expanded).names)
    block = "net/block_2/"
    after = set(check_drawing(path, doc, expanded | {block}).names)
    children = {block + f"unit_{u}/" for u in range(20)}
    assert after == (before - {block}) | children
    unit = block + "unit_5/"
    inner = set(check_drawing(path, doc, expanded | {block, unit}).names)
    assert inner == (after - {unit}) | {f"{unit}{kind}_{k}" for kind in ("w", "op")
                                         for k in range(4)}
    # Closing the block again hides the open unit with it.
    assert set(scope_draw.draw(doc, expanded | {unit}).names) == before


def test_scope_named_like_a_node(tmp_path):
    """`a` is a node and `a/b` another: the scope `a/` and the node `a` are both drawn."""
    path = named_graph(tmp_path / "clash.pb", [
        ("a", "Placeholder", []), ("a/b", "Relu", ["a"]), ("a/c", "Relu", ["a/b:0"]),
        ("d", "Identity", ["a/c", "^a"]),
    ])
    doc = open_document(path)
    tree = scopes.tree_for(doc)
    closed = check_drawing(path, doc, set())
    assert set(closed.names) == {"a", "a/", "d"}
    assert closed.edges == {("a", "a/"), ("a/", "d"), ("a", "d")}
    assert scope_draw.drawn_name(tree, "a", set()) == "a"
    assert scope_draw.drawn_name(tree, "a/c", set()) == "a/"
    assert scope_draw.drawn_name(tree, "a/", {"a/"}) is None
    opened = check_drawing(path, doc, {"a/"})
    assert set(opened.names) == {"a", "a/b", "a/c", "d"}
    assert tree.path_to("a/c")[0].id == "a/" and tree.path_to("a") == []


def test_graph_without_scopes_has_no_collapsed_view(tmp_path):
    doc = open_document(chain_graph(tmp_path / "flat.pb", 500))  # 1,001 nodes, no `/`
    tree = scopes.tree_for(doc)
    assert tree.by_id == {} and tree.initial_depth() is None
    assert tree.depth_counts() == [1001]


@pytest.mark.slow
def test_frozen_inception_opens_as_its_keras_layers():
    path, keras_facts = frozen_inception()
    doc = open_document(path)
    tree = scopes.tree_for(doc)
    depth = tree.initial_depth()
    drawing = check_drawing(path, doc, tree.expanded_to(depth))
    graph = tf_protos.GraphDef.FromString(path.read_bytes())
    top = {n.name for n in graph.node if "/" not in n.name}  # input, NoOp, output Identity
    classes = Counter(keras_facts["classes"])
    # One group per Keras layer but the InputLayer (its Placeholder is a top-level node).
    assert len(drawing.groups) == len(keras_facts["layers"]) - classes["InputLayer"]
    assert len(drawing.names) == len(drawing.groups) + len(top) <= scopes.MAX_DRAWN
    titles = Counter(tree.title(g) for g in drawing.groups.values())
    assert titles["Conv2D"] == classes["Conv2D"]
    assert titles["BatchNormalization"] == classes["BatchNormalization"]
    assert titles["Relu"] == classes["Activation"]
    assert titles["ConcatV2"] == classes["Concatenate"]
    # The weights Keras counts are the frozen float constants inside the groups.
    served_params = sum(n.attr["params"].i for n in served(drawing).node
                        if n.name.endswith("/"))
    assert served_params == keras_facts["params"] == tree.root.params
    # The frozen function's NoOp waits on the weight reads of most layers: listed, not drawn.
    assert list(drawing.listed) == ["NoOp"] and len(drawing.listed["NoOp"]) > 100
    concat = next(g.id for g in drawing.groups.values() if tree.title(g) == "ConcatV2")
    check_drawing(path, doc, tree.expanded_to(depth) | {concat})


def test_call_nodes_open_into_their_functions(tmp_path):
    doc = open_document(call_graph(tmp_path / "calls.pb"))
    tree = scopes.tree_for(doc)
    closed = scope_draw.draw(doc, set())
    assert set(closed.names) == {"input", "model/", "out", "loop/"}
    assert closed.edges == {("input", "model/"), ("model/", "out"), ("out", "loop/")}
    assert tree.title(closed.groups["model/"]) == "model"  # a call of a MatMul and a Relu
    assert closed.groups["model/"].params == 4  # the function's Const
    # Opened: the call node itself, its function's nodes (scopes too), fed by the call.
    opened = scope_draw.draw(doc, {"model/", "model/dense/"})
    assert set(opened.names) == {"input", "model", "model/w", "model/dense/MatMul",
                                 "model/dense/Relu", "out", "loop/"}
    assert opened.edges == {("input", "model"), ("model", "model/dense/MatMul"),
                            ("model/w", "model/dense/MatMul"),
                            ("model/dense/MatMul", "model/dense/Relu"), ("model", "out"),
                            ("out", "loop/")}
    # The served GraphDef names the function's nodes, with their ops, and those inputs.
    served_nodes = {n.name: n for n in served(opened).node}
    assert served_nodes["model/dense/MatMul"].op == "MatMul"
    assert list(served_nodes["model/dense/MatMul"].input) == ["model", "model/w"]
    # A While opens into its cond and body functions.
    loop = scope_draw.draw(doc, {"loop/"})
    assert {"loop", "loop/cond/", "loop/body/"} <= set(loop.names)
    both = scope_draw.draw(doc, {"loop/", "loop/cond/", "loop/body/"})
    assert {"loop/cond/step", "loop/body/step"} <= set(both.names)
    assert ("loop", "loop/body/step") in both.edges
    # Selecting the call node in the tree finds its group.
    assert scope_draw.drawn_name(tree, "model", set()) == "model/"


@pytest.mark.parametrize("entry", ["half-plus-two-tf2", "half-plus-two-tf2-version"])
def test_savedmodel_calls_open_into_their_functions(entry):
    """A SavedModel's call nodes (given as the Serving parent folder or its version folder)
    open into the functions of its meta graph's library: half_plus_two's Mul and Add."""
    from kinspect.graph import scope_calls

    from ..corpus.test_manifest import corpus_path

    doc = open_document(str(corpus_path(entry)))
    ops = Counter(body.op for body in scope_calls.bodies(doc))
    assert ops["Mul"] >= 1 and ops["AddV2"] + ops["Add"] >= 1
