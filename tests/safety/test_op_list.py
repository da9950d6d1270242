"""The scanner's op allowlist, checked against the ops this TensorFlow registers: every
registered op is on exactly one of kinspect/data/tf_ops_allowed.txt and tf_ops_denied.txt (made by
resources/make_tf_op_allowlist.py, whose rules are the review). A TensorFlow release that adds
ops fails here until they are reviewed; until then they scan as unknown ops (findings)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kinspect.formats.tf import protos as tf_protos
from kinspect.safety import scan
from kinspect.safety.graph import scan_graph
from kinspect.safety.ops import FILE_OPS, PYTHON_OPS, SAVER_OPS, allowed_ops, denied_ops

# Names that say an op reads, writes, lists, sends or runs something outside the process: none
# may be allowed, except the reviewed ones (in-memory summaries, string formatting, stderr).
SUSPECT = re.compile(
    r"File|Reader|TFRecord|CSV|Sql|LMDB|TextLine|FixedLength|Snapshot|Save|Restore|Summary|"
    r"Debug|PyFunc|DataService|RegisterDataset|Collective|Remote|Distributed|Rpc|Dataset|"
    r"Vocab|Remap|FileSystem|Cache|Checkpoint|Load|Write|Record|Matching|Event|Dump|Proto|"
    r"Send|Recv|Skipgram|Sampler|Abort|Calibration|Iterator|Host|Xla|TPU|Tpu")
REVIEWED_OK = {"ShardedFilename", "ShardedFilespec", "MergeSummary", "ScalarSummary",
               "HistogramSummary", "ImageSummary", "AudioSummary", "AudioSummaryV2",
               "TensorSummary", "TensorSummaryV2", "DebugGradientIdentity",
               "DebugGradientRefIdentity", "DecodeCSV", "TensorArrayWrite",
               "TensorArrayWriteV2", "TensorArrayWriteV3", "Snapshot"}
# The ops of issue 22 that the old denylist missed: each must be a finding.
ISSUE_22_OPS = ["DumpTensor", "CalibrationStatisticsSaver", "RpcServer", "RpcClient", "RpcCall",
                "EncodeProto", "DecodeProtoV2", "Skipgram", "FixedUnigramCandidateSampler",
                "Abort", "DatasetFromGraph", "WriteFile", "ReadFile", "PyFunc"]


REGISTRY = """
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session as c
ops = op_def_pb2.OpList()
ops.ParseFromString(c.TF_GetBuffer(c.TF_GetAllOpList()))
print("\\n".join(op.name for op in ops.op))
"""


def _registry() -> set[str]:
    """Every op TensorFlow registers (hidden ones too), in a fresh process: in this one the
    tflite converter, once run by another test, adds its own ops."""
    out = subprocess.run([sys.executable, "-c", REGISTRY], capture_output=True, text=True,
                         check=True, timeout=300)
    return set(out.stdout.split())


@pytest.mark.slow
def test_every_registered_op_is_reviewed_exactly_once():
    registered = set(_registry())
    allowed, denied = set(allowed_ops()), set(denied_ops())
    assert allowed & denied == set()
    assert registered - allowed - denied == set()  # new ops: regenerate and review
    assert (allowed | denied) - registered == set()  # no stale names


def test_no_suspect_op_is_allowed():
    suspects = {op for op in allowed_ops() if SUSPECT.search(op)} - REVIEWED_OK
    # Plain-memory names the pattern catches: lookup-table loads, TensorArray writes, Mkl fusions
    suspects = {op for op in suspects
                if not re.match(r"^(_Mkl|_Fused|TensorArray|LookupTable|Batch|Decode(Jpeg|Png|"
                                r"Gif|Bmp|Image|Raw|Base64|Wav|Compressed|PaddedRaw|JSON|Jxl|"
                                r"WebP|AndCropJpeg))", op)}
    assert suspects == set()
    assert not (set(FILE_OPS) | set(PYTHON_OPS) | set(SAVER_OPS)) & allowed_ops()
    assert not set(ISSUE_22_OPS) & allowed_ops()


@pytest.mark.parametrize("op", ISSUE_22_OPS + ["CSVDatasetV2", "DataServiceDatasetV4",
                                               "CollectiveBcastSendV2", "LoadAndRemapMatrix",
                                               "NoSuchCustomOp"])
def test_ops_off_the_allowlist_are_found_in_the_graph_and_in_functions(op):
    graph = tf_protos.GraphDef()
    graph.node.add(name="x", op="Placeholder")
    graph.node.add(name="risky", op=op, input=["x"])
    graph.node.add(name="fine", op="MatMul", input=["x", "x"])
    fn = graph.library.function.add()
    fn.signature.name = "hidden_fn"
    fn.node_def.add(name="inner", op=op)
    fn.node_def.add(name="relu", op="Relu")
    graph.node.add(name="call", op="hidden_fn", input=["x"])  # a call by name is no finding
    findings = scan_graph(graph)
    assert sorted((f.where, f.detail.split()[0], f.touches_files) for f in findings) == [
        ("function hidden_fn/inner", op, True), ("graph/risky", op, True)]


def test_a_graph_inside_a_string_constant_is_scanned():
    inner = tf_protos.GraphDef()
    inner.node.add(name="path", op="Const")
    inner.node.add(name="hidden_write", op="WriteFile", input=["path", "path"])
    graph = tf_protos.GraphDef()
    const = graph.node.add(name="serialized", op="Const")
    const.attr["value"].tensor.dtype = 7  # DT_STRING
    const.attr["value"].tensor.string_val.append(inner.SerializeToString())
    graph.node.add(name="ds", op="DatasetFromGraph", input=["serialized"])
    found = {(f.where, f.detail.split()[0]) for f in scan_graph(graph)}
    assert found == {("graph/ds", "DatasetFromGraph"),
                     ("graph/ds (embedded graph)/hidden_write", "WriteFile")}


def test_tflite_flex_save_and_restore_ops_are_findings(hostile, tmp_path):
    data = hostile["tflite"].path.read_bytes()
    assert b"FlexWriteFile\x00" in data
    path = tmp_path / "flex_restore.tflite"
    path.write_bytes(data.replace(b"FlexWriteFile\x00", b"FlexRestoreV2\x00"))  # same length
    report = scan(path)
    assert report.format == "tflite"
    assert [(f.kind, f.where, f.touches_files) for f in report.findings] == [
        ("file-op", "custom op FlexRestoreV2", True)]
