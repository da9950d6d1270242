"""Safety scan benchmark (`make bench`): `kinspect.safety.scan` of a 200,000-node GraphDef with
a 200-function library against a bare protobuf parse of the same file, medians of five runs, one
process. The scan parses once and walks nodes, saver closure and function calls; the ratio
shows what the walk costs on top of the parse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .timing import median_seconds

NODES = 200_000
FUNCTIONS = 200


@pytest.fixture(scope="module")
def big_graph(tmp_path_factory) -> Path:
    from kinspect.formats.tf import protos as tf_protos

    graph = tf_protos.GraphDef()
    graph.versions.producer = 1882
    previous = None
    for i in range(NODES):
        node = graph.node.add(name=f"block_{i // 100}/op_{i}", op="Identity" if i else "Const")
        if previous:
            node.input.append(previous)
        previous = node.name
    for f in range(FUNCTIONS):
        function = graph.library.function.add()
        function.signature.name = f"fn_{f}"
        for j in range(50):
            function.node_def.add(name=f"n{j}", op="AddV2")
    path = tmp_path_factory.mktemp("bench_scan") / "big.pb"
    path.write_bytes(graph.SerializeToString())
    return path


def test_scan_vs_bare_parse(big_graph):
    from kinspect.formats.tf import protos as tf_protos
    from kinspect.safety import scan

    def bare() -> None:
        tf_protos.GraphDef().ParseFromString(big_graph.read_bytes())

    report = scan(big_graph)
    assert report.findings == []
    base = median_seconds(bare)
    ours = median_seconds(lambda: scan(big_graph))
    print(f"\nscan of {NODES:,} nodes: {ours:.3f} s; bare parse {base:.3f} s; "
          f"ratio {ours / base:.1f}x")
    assert ours < 3.0
