"""The scanner's list of graph ops that touch files or other hosts, checked against the ops this
TensorFlow registers: an op whose name says it reads, writes, lists, sends or restores must be
listed, or be in REVIEWED_HARMLESS with the reason it is not risky. A new TensorFlow release
that adds such an op fails here until someone looks at it."""

from __future__ import annotations

import re

import pytest

from kinspect.formats.tf import protos as tf_protos
from kinspect.safety import scan
from kinspect.safety.graph import RISKY_OPS, scan_graph

SUSPECT = re.compile(
    r"File|Reader|TFRecord|CSV|Sql|LMDB|TextLine|FixedLength|Snapshot|Save|Restore|Summary|"
    r"Debug|PyFunc|DataService|RegisterDataset|Collective.*(Send|Recv|Bcast)|Remote|Distributed|"
    r"Vocab|Remap|FileSystem|Cache|Checkpoint|Load|Write|Print|Record|Matching|Event|Dump")

REVIEWED_HARMLESS = {
    # memory caches, not file caches (CacheDataset with a file name is listed)
    "AnonymousMemoryCache", "DeleteMemoryCache", "DummyMemoryCache",
    # summaries as serialized protos in tensors; only the summary *writer* ops touch files
    "AudioSummary", "AudioSummaryV2", "HistogramSummary", "ImageSummary", "MergeSummary",
    "ScalarSummary", "TensorSummary", "TensorSummaryV2", "ExperimentalStatsAggregatorSummary",
    "StatsAggregatorSummary", "BoostedTreesMakeStatsSummary",
    # in-memory debugging and parsing
    "BoostedTreesExampleDebugOutputs", "DebugGradientIdentity", "DebugGradientRefIdentity",
    "DecodeCSV", "EncodeProto", "IteratorGetModelProto",
    # TPU system setup and TPU embedding tables loaded from tensors, not from files
    "ConfigureDistributedTPU", "ShutdownDistributedTPU",
    # reader ops that only query or reset a reader handle (the readers themselves are listed)
    "IdentityReader", "IdentityReaderV2", "ReaderNumRecordsProduced",
    "ReaderNumRecordsProducedV2", "ReaderNumWorkUnitsCompleted", "ReaderNumWorkUnitsCompletedV2",
    "ReaderReset", "ReaderResetV2", "ReaderRestoreState", "ReaderRestoreStateV2",
    "ReaderSerializeState", "ReaderSerializeStateV2",
    # string formatting of file names, the in-memory Snapshot op, stderr printing, TensorArrays
    "ShardedFilename", "ShardedFilespec", "Snapshot", "Print",
    "TensorArrayWrite", "TensorArrayWriteV2", "TensorArrayWriteV3",
}


@pytest.mark.slow
def test_every_suspect_registered_op_is_listed_or_reviewed():
    import tensorflow as tf

    registered = {name for name in dir(tf.raw_ops) if not name.startswith("_")}
    suspects = {name for name in registered if SUSPECT.search(name)}
    suspects = {name for name in suspects if not name.startswith("LoadTPUEmbedding")}
    unreviewed = suspects - set(RISKY_OPS) - REVIEWED_HARMLESS
    assert unreviewed == set()
    assert REVIEWED_HARMLESS <= registered  # no stale names in the review


@pytest.mark.parametrize("op", ["CSVDatasetV2", "DataServiceDatasetV4", "DistributedSave",
                                "MatchingFilesDataset", "CollectiveBcastSendV2",
                                "LoadAndRemapMatrix", "FileSystemSetConfiguration"])
def test_new_ops_are_found_in_the_graph_and_in_functions(op):
    graph = tf_protos.GraphDef()
    graph.node.add(name="x", op="Placeholder")
    graph.node.add(name="risky", op=op, input=["x"])
    fn = graph.library.function.add()
    fn.signature.name = "hidden_fn"
    fn.node_def.add(name="inner", op=op)
    findings = scan_graph(graph)
    assert sorted((f.kind, f.where, f.detail.split()[0], f.touches_files) for f in findings) == [
        ("file-op", "function hidden_fn/inner", op, True), ("file-op", "graph/risky", op, True)]


def test_tflite_flex_save_and_restore_ops_are_findings(hostile, tmp_path):
    data = hostile["tflite"].path.read_bytes()
    assert b"FlexWriteFile\x00" in data
    path = tmp_path / "flex_restore.tflite"
    path.write_bytes(data.replace(b"FlexWriteFile\x00", b"FlexRestoreV2\x00"))  # same length
    report = scan(path)
    assert report.format == "tflite"
    assert [(f.kind, f.where, f.touches_files) for f in report.findings] == [
        ("file-op", "custom op FlexRestoreV2", True)]
