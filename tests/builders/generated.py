"""Documents built directly from kinspect.model objects, so window tests need no reader:
a big graph with a lazy tree (flat and by name scope), and a tree with broken branches."""

from __future__ import annotations

import numpy as np

from kinspect.model import Document, GraphNode, Kind, Node, Role, TensorInfo

OPS = ("Conv2D", "BiasAdd", "Relu", "MatMul", "Identity", "Const", "Add", "Softmax")


def graph_nodes(count: int) -> list[GraphNode]:
    """`count` nodes named `block_B/unit_U/<op>_I`, ops cycling through OPS, chained inputs."""
    nodes = []
    for i in range(count):
        op = OPS[i % len(OPS)]
        name = f"block_{i // 1000}/unit_{(i // 10) % 100}/{op.lower()}_{i}"
        inputs = [nodes[-1].name] if nodes else []
        nodes.append(GraphNode(name, op, inputs, [f"{name}:0"]))
    return nodes


def _row(gn: GraphNode) -> Node:
    return Node(Kind.GRAPH_NODE, gn.name, gn.op, ref=gn, attrs={"op": gn.op},
                children_factory=lambda: [Node(Kind.TENSOR, out, "output") for out in gn.outputs])


def _scopes(nodes: list[GraphNode], depth: int) -> list[Node]:
    groups: dict[str, list[GraphNode]] = {}
    leaves = []
    for gn in nodes:
        parts = gn.name.split("/")
        if len(parts) > depth + 1:
            groups.setdefault(parts[depth], []).append(gn)
        else:
            leaves.append(_row(gn))
    rows = [Node(Kind.GROUP, f"{scope}/", f"{len(members):,} nodes",
                 children_factory=lambda m=members: _scopes(m, depth + 1))
            for scope, members in groups.items()]
    return rows + leaves


def graph_document(count: int, path: str = "generated.pb") -> Document:
    nodes = graph_nodes(count)
    root = Node(Kind.MODEL, "graph", "GraphDef")
    root.add(Node(Kind.GROUP, "Graph nodes", f"{count:,} nodes", role=Role.GRAPH_NODES,
                  count=count, children_factory=lambda: [_row(gn) for gn in nodes]))
    root.add(Node(Kind.GROUP, "By name scope", "", role=Role.SCOPES,
                  children_factory=lambda: _scopes(nodes, 0)))
    return Document(path=path, format="tf-graphdef", root=root, nodes=nodes)


def broken_document() -> Document:
    """One good weight, a branch whose builder raises, and a row flagged with an error."""
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    good = TensorInfo("dense/kernel:0", (3, 4), "float32", loader=lambda: values)

    def explode() -> list[Node]:
        raise ValueError("truncated dataset 'dense/bias:0'")

    root = Node(Kind.MODEL, "model", "Sequential")
    root.add(Node(Kind.WEIGHT, "dense/kernel:0", "weight", tensor=good))
    root.add(Node(Kind.GROUP, "Optimizer state", "", children_factory=explode))
    root.add(Node(Kind.WEIGHT, "dense/bias:0", "weight", error="cannot read: bad checksum"))
    return Document(path="broken.h5", format="keras-h5", root=root)
