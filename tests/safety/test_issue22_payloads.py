"""Issue 22's payload classes through the front door (`kinspect` as a subprocess): each file is
refused or opened in bounded time and memory with one clear line, the scan flags it, nothing
from it runs (a marker file) and nothing outside the model is read (the secret is turned into a
FIFO after the file is proven hostile: a process that opened it would block until the timeout).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.builders import hostile_io as h
from tests.conftest import ROOT, corpus_path

SECONDS = 10  # the issue's target: refused or opened in under 10 s …
MAX_RSS = 1 << 30  # … and under 1 GB


# `kinspect ARGS` in a fresh process that also reports its peak RSS into a file: VmHWM, the
# high-water mark of this program's own memory (ru_maxrss would keep the pytest process's size
# from before exec).
RUN = """
import sys
from kinspect.cli import main
rc = 2
try:
    rc = main(sys.argv[2:])
finally:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    open(sys.argv[1], "w").write(str(kb * 1024))
sys.exit(rc)
"""


def kinspect(*args: str, timeout: float = 120) -> tuple[int, str, str, float, int]:
    """(exit code, stdout, stderr, seconds, peak RSS in bytes) of `kinspect ARGS`."""
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        start = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-c", RUN, rss_file.name, *args], cwd=ROOT,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"kinspect {' '.join(args)} did not end in {timeout} s (blocked on "
                        "the secret FIFO, or unbounded work)")
        seconds = time.perf_counter() - start
        rss = int(rss_file.read() or 0)
    return proc.returncode, proc.stdout, proc.stderr, seconds, rss


def assert_one_line_refusal(rc: int, err: str, path: Path, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("kinspect:")]
    assert rc == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"kinspect: {path}"), err
    for word in words:
        assert word in lines[0], err


def assert_bounded(seconds: float, rss: int) -> None:
    assert seconds < SECONDS
    assert rss < MAX_RSS


OUTSIDE = {"external_link": h.external_link_h5, "external_storage": h.external_storage_h5,
           "virtual": h.virtual_dataset_h5}


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_hdf5_parts_in_other_files_are_never_read(tmp_path, name):
    payload = OUTSIDE[name](tmp_path)
    with h5py.File(payload.path, "r") as f:  # proof: h5py follows it to the secret
        got = f["model_weights/dense_1/dense_1/kernel:0"][()]
    np.testing.assert_array_equal(got, h.SECRET_VALUES)
    h.fifo_secret(payload)
    rc, out, err, seconds, rss = kinspect("info", str(payload.path))
    assert_one_line_refusal(rc, err, payload.path, "never reads outside the model")
    assert_bounded(seconds, rss)
    rc, out, _, seconds, _ = kinspect("scan", str(payload.path))
    assert rc == 1 and "[reads-outside] HDF5 /model_weights/dense_1/dense_1/kernel:0" in out
    for suffix in (".weights.h5", ".h5", ".keras", ".json"):
        dst = tmp_path / f"out{suffix}"
        rc, _, err, seconds, _ = kinspect("convert", str(payload.path), str(dst), "--trust-code")
        assert_one_line_refusal(rc, err, payload.path, "outside the model")
        assert not dst.exists() and seconds < 30


def test_tensor_view_loaders_refuse_and_bound(tmp_path):
    """The loaders the tensor view calls: an external link is not followed, a dataset that
    declares 2^31 x 2^31 elements is refused before any read."""
    from kinspect.errors import FormatError
    from kinspect.formats.keras.h5_weights import dataset_loader, dataset_slicer

    payload = h.external_link_h5(tmp_path)
    h.fifo_secret(payload)
    with pytest.raises(FormatError, match="external link"):
        dataset_loader(str(payload.path), "model_weights/dense_1/dense_1/kernel:0")()
    huge = h.huge_dataset_h5(tmp_path)
    start = time.perf_counter()
    with pytest.raises(FormatError, match="declares .* bytes"):
        dataset_loader(str(huge), "model_weights/dense_1/dense_1/kernel:0")()
    corner = dataset_slicer(str(huge), "model_weights/dense_1/dense_1/kernel:0")(
        (slice(0, 4), slice(0, 4)))
    assert corner.shape == (4, 4) and time.perf_counter() - start < 2
    rc, out, err, seconds, rss = kinspect("info", str(huge), "--json")
    assert rc == 0, err
    assert_bounded(seconds, rss)


def test_symlinked_checkpoint_shard_is_never_read(tmp_path):
    payload = h.symlinked_checkpoint(tmp_path, corpus_path("regression-checkpoint") / "model")
    h.fifo_secret(payload)
    rc, out, err, seconds, rss = kinspect("scan", str(payload.path.parent))
    assert rc == 1 and "[reads-outside] model.data-00000-of-00001" in out, out + err
    dst = tmp_path / "out.pb"
    rc, _, err, seconds, _ = kinspect("convert", str(payload.path.parent), str(dst),
                                      "--outputs", "pred", "--trust-code")
    assert_one_line_refusal(rc, err, payload.path.parent, "outside the model")
    assert not dst.exists()


BOUNDED = {
    "deep_json": (h.deep_json, "nests more than"),
    "many_layers_json": (h.many_layers_json, "JSON objects and arrays, over"),
    "big_attribute_h5": (h.big_attribute_h5, "HDF5 attribute of"),
    "deep_yaml": (h.deep_yaml, "YAML nests more than"),
}


@pytest.mark.parametrize("name", sorted(BOUNDED))
def test_unbounded_inputs_are_refused_in_bounded_time_and_memory(tmp_path, name):
    build, limit = BOUNDED[name]
    path = build(tmp_path)
    for command in ("info", "scan"):
        rc, _, err, seconds, rss = kinspect(command, str(path))
        assert_one_line_refusal(rc, err, path, limit, "refused")
        assert_bounded(seconds, rss)


def test_splat_const_is_refused_before_any_converter_expands_it(tmp_path):
    path = h.splat_const_pb(tmp_path)
    for suffix in (".tflite", ".onnx"):
        dst = tmp_path / f"out{suffix}"
        rc, _, err, seconds, _ = kinspect("convert", str(path), str(dst), "--outputs", "y")
        assert_one_line_refusal(rc, err, path, "Const big", "declares")
        assert seconds < 30 and not dst.exists()  # 30: the child imports TensorFlow first


ISSUE_OPS = ["DumpTensor", "CalibrationStatisticsSaver", "RpcServer", "RpcClient", "RpcCall",
             "EncodeProto", "Skipgram", "FixedUnigramCandidateSampler", "Abort"]


def test_graph_ops_the_denylist_missed_are_flagged_and_not_run(tmp_path):
    path = h.graph_with_ops(tmp_path, ISSUE_OPS)
    rc, out, err, _, _ = kinspect("scan", str(path))
    assert rc == 1, err
    for op in ISSUE_OPS:
        assert f"ops.pb/hidden_{op}: {op} " in out
    marker = tmp_path / "MARKER"
    nested = h.dataset_from_graph_pb(tmp_path, marker)
    rc, out, _, _, _ = kinspect("scan", str(nested))
    assert rc == 1 and "dataset (embedded graph)/write: WriteFile" in out
    dst = tmp_path / "out.pb"
    rc, _, err, _, _ = kinspect("convert", str(nested), str(dst), "--outputs", "dataset",
                                "--verify")
    assert rc == 2 and "--trust-code" in err and not marker.exists() and not dst.exists()


def test_keras_references_outside_the_allowlist_are_code(tmp_path):
    cases = {h.old_keras_module_json(tmp_path): "tensorflow.python.keras",
             h.keras3_reference_json(tmp_path, "keras.utils", "get_file"): "get_file",
             h.keras3_reference_json(tmp_path, "keras.config",
                                     "enable_unsafe_deserialization"): "enable_unsafe",
             h.keras3_reference_json(tmp_path, "keras.layers", "Evil", "EvilLayer"): "Evil",
             h.op_layer_h5(tmp_path): "TensorFlowOpLayer runs TensorFlow op 'WriteFile'"}
    for path, word in cases.items():
        rc, out, err, _, _ = kinspect("scan", str(path))
        assert rc == 1 and word in out and "loading this file runs code" in out, out + err
    # Allowed ops and classes stay clean: the allowlist is not a blanket refusal.
    assert kinspect("scan", str(h.op_layer_h5(tmp_path, "AddV2")))[0] == 0
    weights = tmp_path / "w.h5"
    h.keras_h5(weights)
    for arch in (h.old_keras_module_json(tmp_path), h.op_layer_h5(tmp_path)):
        dst = tmp_path / "out.keras"
        rc, _, err, _, _ = kinspect("convert", str(weights), str(dst), "--arch", str(arch))
        assert rc == 2 and "--trust-code" in err and not dst.exists(), err


def test_tflite_flex_op_off_the_allowlist_is_flagged(hostile, tmp_path):
    data = hostile["tflite"].path.read_bytes()
    path = tmp_path / "rpc.tflite"
    path.write_bytes(data.replace(b"FlexWriteFile\x00", b"FlexRpcServer\x00"))  # same length
    rc, out, _, _, _ = kinspect("scan", str(path))
    assert rc == 1 and "custom op FlexRpcServer" in out


def test_run_confined_reads_only_sources_writes_only_its_folder_and_has_no_network(tmp_path):
    from kinspect.errors import ConvertError
    from kinspect.safety.confine import confinement, run_confined
    from tests.safety import confined_probe

    if "Landlock" not in confinement() or "NOT" in confinement():
        pytest.skip(f"this kernel gives: {confinement()}")
    model, out = tmp_path / "model", tmp_path / "out"
    model.mkdir()
    out.mkdir()
    (model / "m.txt").write_text("weights")
    (tmp_path / "secret.txt").write_text("secret")
    got = run_confined(confined_probe.probe, str(model / "m.txt"), str(tmp_path),
                       str(out), read=[str(model / "m.txt")], write=[str(out)])
    assert got == {"source": "weights", "secret": "refused", "sibling": "refused",
                   "write_outside": "refused", "write_inside": "ok", "network": "refused"}
    assert not (tmp_path / "evil.pth").exists() and (out / "ok.txt").exists()
    with pytest.raises(ConvertError, match="boom"):
        run_confined(confined_probe.fail, read=[], write=[str(out)])


def test_keras_zip_weights_with_an_external_link_are_never_read(tmp_path):
    import zipfile

    payload = h.external_link_h5(tmp_path)  # for its secret
    weights = tmp_path / "weights.h5"
    with h5py.File(weights, "w") as f:
        f["layers/dense/vars/0"] = h5py.ExternalLink(str(payload.secret), "/data")
    src = corpus_path("flownet-keras")
    path = tmp_path / "evil.keras"
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(path, "w") as out:
        for name in z.namelist():
            out.writestr(name, weights.read_bytes() if name == "model.weights.h5"
                         else z.read(name))
    h.fifo_secret(payload)
    rc, out, _, _, _ = kinspect("scan", str(path))
    assert rc == 1 and "[reads-outside] model.weights.h5 /layers/dense/vars/0" in out
    rc, _, err, seconds, rss = kinspect("info", str(path))
    assert_one_line_refusal(rc, err, path, "external link", "never reads outside")
    assert_bounded(seconds, rss)
