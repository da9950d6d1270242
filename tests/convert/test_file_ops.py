"""Converting a TF1 SavedModel or checkpoint loads it, and loading runs ops stored in the file
(a SavedModel's main op, the meta graph's restore op): without --trust-code those must not
run when the scan finds file operations, whether or not --verify is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinspect.convert import convert
from kinspect.errors import ConvertError, UnsafeContent

from ..builders.tf1 import tf1_savedmodel
from ..conftest import corpus


def _evil_savedmodel(tmp: Path, marker: Path) -> Path:
    """A TF1 SavedModel whose main op (run by every loader) writes MARKER."""
    return tf1_savedmodel(tmp / "evil_sm", lambda tf: tf.io.write_file(str(marker), "ran"))


def _evil_checkpoint(tmp: Path, marker: Path) -> Path:
    """A TF1 checkpoint whose meta graph's restore op also writes MARKER."""
    import tensorflow as tf

    v1 = tf.compat.v1
    folder = tmp / "evil_ckpt"
    folder.mkdir()
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        tf.identity(tf.matmul(x, v1.Variable([[2.0]], name="w")), name="y")
        saver = v1.train.Saver()
        restore = graph.get_operation_by_name(saver.saver_def.restore_op_name)
        with tf.control_dependencies([tf.io.write_file(str(marker), "ran"), restore]):
            evil = tf.no_op(name="evil_restore_all")
        saver_def = saver.saver_def
        saver_def.restore_op_name = evil.name
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, str(folder / "model"), write_meta_graph=False)
        v1.train.export_meta_graph(str(folder / "model.meta"), saver_def=saver_def, graph=graph)
    return folder / "model"


@pytest.mark.parametrize("verify", [False, True])
def test_tf1_savedmodel_main_op_does_not_run_untrusted(tmp_path, verify):
    marker = tmp_path / "MARKER"
    src = _evil_savedmodel(tmp_path, marker)
    dst = tmp_path / "out.pb"
    with pytest.raises(UnsafeContent, match="WriteFile.*--trust-code") as info:
        convert(src, dst, options={"verify": verify})
    assert info.value.path == str(src)
    assert not marker.exists() and not dst.exists()
    # Trusted, the main op runs, but inside the confined child (safety/confine.py): its write
    # outside the output folder is refused by the kernel, so the conversion fails cleanly.
    with pytest.raises(ConvertError, match="WriteFile.*Permission denied"):
        convert(src, dst, options={"trust_code": True})
    assert not marker.exists() and not dst.exists()
    _prove_hostile(lambda: _load_tf1(src), marker)


def _load_tf1(src: Path) -> None:
    import tensorflow as tf

    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(src))


def _prove_hostile(load, marker: Path) -> None:
    """Loaded without kinspect (no scan, no confinement), the file really writes MARKER."""
    load()
    assert marker.exists()


@pytest.mark.parametrize("given", ["model", "model.meta", ""])
def test_checkpoint_restore_op_does_not_run_untrusted(tmp_path, given):
    marker = tmp_path / "MARKER"
    prefix = _evil_checkpoint(tmp_path, marker)
    src = prefix.parent / given if given else prefix.parent
    dst = tmp_path / "out.pb"
    with pytest.raises(UnsafeContent, match="WriteFile.*--trust-code") as info:
        convert(src, dst, options={"outputs": ["y"]})
    assert info.value.path == str(src)
    assert not marker.exists() and not dst.exists()
    # Trusted, the restore op runs confined: its write outside is refused by the kernel.
    with pytest.raises(ConvertError, match="Permission denied"):
        convert(src, dst, options={"outputs": ["y"], "trust_code": True})
    assert not marker.exists() and not dst.exists()


def test_corpus_tf1_files_convert_without_trust(tmp_path):
    """The standard saver's save/restore ops are not findings: plain files need no trust."""
    for i, (rel, outputs) in enumerate([
            ("savedmodel/tfserving_half_plus_two_cpu", None),
            ("tf1_checkpoint/tf2onnx_regression_checkpoint", ["pred"])]):
        dst = tmp_path / f"out{i}.pb"
        report = convert(corpus(rel), dst, options={"outputs": outputs})
        assert dst.stat().st_size > 0 and report.outputs
