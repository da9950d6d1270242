"""The op tables every scanner reads: the allowlist of pure ops (data, reviewed against
TensorFlow's op registry by tests/safety/test_op_allowlist.py), and, for clearer findings, what
the best-known risky ops do. One module so that the graph scanner and the Keras scanner (op
layers name TensorFlow ops too) judge an op the same way."""

from __future__ import annotations

from functools import cache

from ..datafiles import data_file

# op -> what running it does. runs_code marks ops that call back into Python.
PYTHON_OPS = {
    "PyFunc": "calls a Python function of the process that runs the graph",
    "PyFuncStateless": "calls a Python function of the process that runs the graph",
    "EagerPyFunc": "calls a Python function of the process that runs the graph",
}
FILE_OPS = {
    "ReadFile": "reads a file", "WriteFile": "writes a file",
    "MatchingFiles": "lists files matching a pattern",
    "ImmutableConst": "maps a file into memory",
    "InitializeTableFromTextFile": "reads a text file into a table",
    "InitializeTableFromTextFileV2": "reads a text file into a table",
    "WholeFileReader": "reads files", "WholeFileReaderV2": "reads files",
    "TextLineReader": "reads files", "TextLineReaderV2": "reads files",
    "TFRecordReader": "reads files", "TFRecordReaderV2": "reads files",
    "FixedLengthRecordReader": "reads files", "FixedLengthRecordReaderV2": "reads files",
    "LMDBReader": "reads an LMDB database", "ReaderReadV2": "reads with a file reader",
    "TextLineDataset": "reads files", "TFRecordDataset": "reads files",
    "TFRecordDatasetV2": "reads files",
    "FixedLengthRecordDataset": "reads files", "FixedLengthRecordDatasetV2": "reads files",
    "LMDBDataset": "reads an LMDB database", "ExperimentalLMDBDataset": "reads an LMDB database",
    "SqlDataset": "queries a database", "ExperimentalSqlDataset": "queries a database",
    "CacheDataset": "caches to a file", "CacheDatasetV2": "caches to a file",
    "SnapshotDataset": "writes snapshot files", "SnapshotDatasetV2": "writes snapshot files",
    "SnapshotDatasetReader": "reads snapshot files",
    "SaveDataset": "writes a dataset to files", "SaveDatasetV2": "writes a dataset to files",
    "LoadDataset": "reads a dataset from files",
    "DatasetToTFRecord": "writes a TFRecord file",
    "ExperimentalDatasetToTFRecord": "writes a TFRecord file",
    "CreateSummaryFileWriter": "creates a summary file writer",
    "CreateSummaryDbWriter": "creates a summary database writer",
    "SummaryWriter": "opens a summary writer", "WriteSummary": "writes a summary file",
    "WriteScalarSummary": "writes a summary file", "WriteHistogramSummary": "writes a summary file",
    "WriteImageSummary": "writes a summary file", "WriteAudioSummary": "writes a summary file",
    "WriteGraphSummary": "writes a summary file", "WriteRawProtoSummary": "writes a summary file",
    "ImportEvent": "writes a summary file", "FlushSummaryWriter": "flushes a summary file",
    "CloseSummaryWriter": "closes a summary file",
    "DebugIdentity": "sends tensors to debug URLs (file:// or grpc://)",
    "DebugIdentityV2": "writes debug event files", "DebugIdentityV3": "sends tensors to debug URLs",
    "DebugNanCount": "sends tensors to debug URLs", "DebugNumericSummary": "sends to debug URLs",
    "DebugNumericSummaryV2": "sends to debug URLs",
    "DecodeProtoV2": "may read a descriptor file (descriptor_source)",
    "RemoteCall": "runs a function on another (possibly remote) device",
    "CSVDataset": "reads CSV files", "CSVDatasetV2": "reads CSV files",
    "ExperimentalCSVDataset": "reads CSV files", "RecordInput": "reads record files",
    "SnapshotChunkDataset": "reads snapshot files",
    "SnapshotNestedDatasetReader": "reads snapshot files",
    "ListSnapshotChunksDataset": "lists snapshot files",
    "MatchingFilesDataset": "lists files matching a pattern",
    "ExperimentalMatchingFilesDataset": "lists files matching a pattern",
    "DistributedSave": "writes a dataset to files",
    "ReaderRead": "reads with a file reader", "ReaderReadUpTo": "reads with a file reader",
    "ReaderReadUpToV2": "reads with a file reader",
    "DataServiceDataset": "reads from a tf.data service on another host",
    "DataServiceDatasetV2": "reads from a tf.data service on another host",
    "DataServiceDatasetV3": "reads from a tf.data service on another host",
    "DataServiceDatasetV4": "reads from a tf.data service on another host",
    "RegisterDataset": "sends a dataset to a tf.data service on another host",
    "RegisterDatasetV2": "sends a dataset to a tf.data service on another host",
    "CollectiveBcastSend": "sends tensors to other hosts",
    "CollectiveBcastSendV2": "sends tensors to other hosts",
    "CollectiveBcastRecv": "receives tensors from other hosts",
    "CollectiveBcastRecvV2": "receives tensors from other hosts",
    "LoadAndRemapMatrix": "reads a checkpoint file",
    "GenerateVocabRemapping": "reads vocabulary files",
    "FileSystemSetConfiguration": "changes file-system settings",
    "StatsAggregatorSetSummaryWriter": "attaches a summary file writer",
    "_Send": "sends tensors to another device or host", "_Recv": "receives from another host",
}
# The saver family: normal inside a SavedModel's or checkpoint's own saver, suspicious elsewhere.
SAVER_OPS = {
    "Save": "writes a checkpoint file", "SaveSlices": "writes a checkpoint file",
    "SaveV2": "writes checkpoint files", "Restore": "reads a checkpoint file",
    "RestoreSlice": "reads a checkpoint file", "RestoreV2": "reads checkpoint files",
    "MergeV2Checkpoints": "moves and merges checkpoint files",
}

RISKY_OPS = frozenset(PYTHON_OPS) | frozenset(FILE_OPS) | frozenset(SAVER_OPS) | {"PrintV2"}
RESTORE_OPS = frozenset({"Restore", "RestoreSlice", "RestoreV2"})
WRITE_SAVER_OPS = frozenset(SAVER_OPS) - RESTORE_OPS


@cache
def allowed_ops() -> frozenset[str]:
    """Graph ops that scan clean (kinspect/data/tf_ops_allowed.txt, made from TensorFlow's op
    registry by resources/make_tf_op_allowlist.py: its rules are the review). Any other op,
    including ops TensorFlow does not register (custom op libraries), is a finding."""
    return _names("tf_ops_allowed.txt")


@cache
def denied_ops() -> dict[str, str]:
    """Registered ops reviewed and not allowed: op -> why (tf_ops_denied.txt)."""
    out: dict[str, str] = {}
    for line in data_file("tf_ops_denied.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            op, _, why = line.partition("\t")
            out[op] = why
    return out


def _names(name: str) -> frozenset[str]:
    lines = data_file(name).read_text(encoding="utf-8").splitlines()
    return frozenset(s.strip() for s in lines if s.strip() and not s.startswith("#"))


# Ops that run a serialized graph held in a tensor (a string Const): the scan opens that graph.
EMBEDDED_GRAPH_OPS = frozenset({"DatasetFromGraph"})
