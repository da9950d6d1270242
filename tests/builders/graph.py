"""Big GraphDefs built with protobuf alone (no TensorFlow runtime), for focus-view tests."""

from __future__ import annotations

from pathlib import Path

from kinspect.formats.tf import protos as tf_protos


def chain_graph(path: Path, links: int) -> Path:
    """`x` -> add_0 -> add_1 -> ... -> add_{links-1}, each add_k = AddV2(add_{k-1}, c_k):
    2 * links + 1 nodes. Written as a binary GraphDef at `path`."""
    graph = tf_protos.GraphDef()
    x = graph.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1  # DT_FLOAT
    previous = "x"
    for k in range(links):
        const = graph.node.add(name=f"c_{k}", op="Const")
        const.attr["dtype"].type = 1
        const.attr["value"].tensor.dtype = 1
        const.attr["value"].tensor.float_val.append(float(k))
        add = graph.node.add(name=f"add_{k}", op="AddV2", input=[previous, f"c_{k}"])
        add.attr["T"].type = 1
        previous = add.name
    path.write_bytes(graph.SerializeToString())
    return path
