"""Write kinspect/data/tf_ops_allowed.txt and tf_ops_denied.txt from TensorFlow's op registry.

The scan allows a graph op only when it is on tf_ops_allowed.txt: pure math, NN, array, string,
control flow, and state that lives in the process (variables, tables, queues, TensorArrays).
Everything else is denied by default; the rules below are the review, written down:

- DENY: names that say file, host, device-link, Python, dataset, debug, TPU, XLA host calls,
  RPC, protobuf descriptors (which may be read from a file), samplers reading vocab files,
  process control (Abort, Sleep), session handles, and whatever else reaches outside the process.
- a *stateful* op (OpDef.is_stateful) is allowed only when it matches STATEFUL_OK; a new
  stateful op is denied until someone adds it here and regenerates.

tests/safety/test_op_allowlist.py checks that every op TensorFlow registers is on exactly one
of the two lists, so a TensorFlow upgrade that adds ops fails until they are reviewed.

Run: .venv/bin/python resources/make_tf_op_allowlist.py
"""

from __future__ import annotations

import re
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "kinspect" / "data"

DENY = [
    ("files", r"File|Reader|TFRecord|CSV|Sql|LMDB|TextLine|FixedLength|Snapshot|Save|Restore|"
              r"Checkpoint|Vocab|Remap|FileSystem|Matching|Event|Immutable|RecordInput|"
              r"^LoadAnd|Skipgram|CandidateSampler|NegTrain|Calibration"),
    ("summaries and debugging", r"Summary(?!$)|SummaryWriter|^Write|Debug|Dump|StatsAggregator"),
    ("Python callbacks", r"Py(Func|Function)|EagerPy"),
    ("datasets and iterators (run functions and may read files)",
     r"Dataset|Iterator|DataService|DistributedSave|ThreadPool|Optional(From|GetValue|None|"
     r"HasValue)|MultiDevice|^Anonymous.*(Cache|Seed)|MemoryCache|SeedGenerator|GlobalIterId|"
     r"DummyIterationCounter"),
    ("other hosts and devices", r"Send|Recv|Remote|Rpc|Collective|Nccl|Infeed|Outfeed|Host|"
                                r"AllToAll|CrossReplica|WorkerHeartbeat|DevicePlacement|"
                                r"SyncDevice|^_Device|ScopedAllocator|Tpu|TPU|Xla|Mlir|"
                                r"Minibatch|Dedup|ConvertToCoo|UpdateTaskId|Fdo|SparseCore|"
                                r"Embedding"),
    ("protobuf descriptors (descriptor_source can name a file)", r"Proto"),
    ("process control and session state", r"^Abort$|Sleep|Session|GraphDefVersion|"
                                          r"RequiresOlderGraphVersion|TestAttr|"
                                          r"IsTensorFloat32Enabled|^Risc|FileSystemSet"),
    ("boosted trees (estimator resources)", r"^BoostedTrees|^IsBoostedTrees"),
]

# Stateful ops whose state stays in the process: variables, tables, queues, containers, random
# number generators, locks, function calls (their functions are scanned), asserts.
STATEFUL_OK = (r"Variable|VarHandle|VarIsInitialized|^_?VarHandles|^Resource|^Assign|Random|"
               r"Stateful(Standard|Truncated|Uniform|Random)|Multinomial|TruncatedNormal|"
               r"NonDeterministicInts|ParameterizedTruncatedNormal|^Rng|Table|Queue|^Stack|"
               r"TensorArray|Accumulator|Barrier|Mutex|Stage|^Map|^OrderedMap|SparseToTensorsMap|"
               r"TakeManySparseFromTensorsMap|^If$|^While$|^Case$|^_If$|^_While$|"
               r"StatefulPartitionedCall|^Assert$|CheckNumerics|^_Arg$|^_Retval$|DeepCopy|"
               r"^Empty$|GuaranteeConst|DestroyResourceOp|DisableCopyOnRead|"
               r"MakeWeakResourceHandle|IsResourceHandleRefCounting|StubResourceHandleOp|"
               r"DtypeWithDefaultOp|^Timestamp$|SampleDistortedBoundingBox|CudnnRNN|DeviceIndex|"
               r"^_ParallelConcatStart$|ConsumeMutexLock|^Unstage$|ResourceUsingOp|"
               r"ResourceCreateOp|ResourceInitializedOp")
# A few names the rules above would deny although they only format strings or query memory.
REVIEWED_OK = {"ShardedFilename", "ShardedFilespec", "StringFormat", "MergeSummary",
               "ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummary",
               "AudioSummaryV2", "TensorSummary", "TensorSummaryV2", "DebugGradientIdentity",
               "DebugGradientRefIdentity", "DecodeCSV", "Snapshot",
               "TensorArrayWrite", "TensorArrayWriteV2", "TensorArrayWriteV3",
               # stderr; PrintV2's output_stream is checked per node (a file:// stream is a
               # finding)
               "Print", "PrintV2"}


def classify(name: str, stateful: bool) -> str | None:
    """The deny reason of an op, or None when it is allowed."""
    if name in REVIEWED_OK:
        return None
    for reason, pattern in DENY:
        if re.search(pattern, name):
            return reason
    if stateful and not re.search(STATEFUL_OK, name):
        return "stateful, not reviewed as process-local"
    return None


def main() -> None:
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session as c

    ops = op_def_pb2.OpList()
    ops.ParseFromString(c.TF_GetBuffer(c.TF_GetAllOpList()))
    allowed, denied = [], []
    for op in sorted(ops.op, key=lambda o: o.name):
        reason = classify(op.name, op.is_stateful)
        (allowed if reason is None else denied).append((op.name, reason))
    head = ("# Generated by resources/make_tf_op_allowlist.py from TensorFlow's op registry; "
            "the rules there are the review.\n")
    (DATA / "tf_ops_allowed.txt").write_text(
        head + "# Ops a graph may hold and still scan clean.\n"
        + "".join(f"{n}\n" for n, _ in allowed), encoding="utf-8")
    (DATA / "tf_ops_denied.txt").write_text(
        head + "# Registered ops that are findings, with why: op<TAB>reason.\n"
        + "".join(f"{n}\t{r}\n" for n, r in denied), encoding="utf-8")
    print(f"{len(allowed)} allowed, {len(denied)} denied")


if __name__ == "__main__":
    main()
