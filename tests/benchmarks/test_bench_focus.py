"""Focus view on a 200,000-node GraphDef: cost of the neighbourhood model against the plain
protobuf parse of the same file (the floor any reader pays), medians of several runs."""

from __future__ import annotations

import statistics
import time

from kinspect.formats import open_document
from kinspect.formats.tf import protos as tf_protos
from kinspect.graph import focus as graph_focus

from ..builders.graph import chain_graph
from .timing import median_seconds


def test_bench_focus_200k(tmp_path):
    path = chain_graph(tmp_path / "big.pb", 100_000)
    data = path.read_bytes()
    parse = median_seconds(lambda: tf_protos.GraphDef.FromString(data))

    def cold() -> None:
        doc = open_document(path)
        start = time.perf_counter()
        graph_focus.focus(doc, "add_50000")
        cold.times.append(time.perf_counter() - start)
    cold.times = []
    for _ in range(3):
        cold()
    first = statistics.median(cold.times)

    doc = open_document(path)
    graph_focus.focus(doc, "add_1")
    warm = median_seconds(lambda: graph_focus.focus(doc, "add_77777", hops=3))
    print(f"\nprotobuf parse of the 200k-node GraphDef: {parse * 1000:.0f} ms")
    print(f"first focus (index + NodeDefs): {first * 1000:.0f} ms = {first / parse:.2f}x parse")
    print(f"next focus: {warm * 1000:.2f} ms = {warm / parse:.4f}x parse")
    assert warm < 0.2 and first < 5
