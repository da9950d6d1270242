"""Save and restore ops: the scan exempts a file's own saver only where running what a loader
runs (restore op, main op, signatures, a chosen output) cannot reach a file-writing op."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from kinspect import cli
from kinspect.safety import scan

from ..builders.tf1 import tf1_savedmodel


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def _file_ops(path: Path) -> list[str]:
    return [f.where for f in scan(path).findings if f.touches_files]


@pytest.mark.parametrize(("name", "given", "args", "flagged"), [
    ("checkpoint_save", "ckpt/model.meta", ["--outputs", "y"], "model.meta/save/evil"),
    ("graphdef_save", "save_control.pb", ["--verify"], "save_control.pb/save/w"),
])
def test_save_op_reached_by_what_runs_is_found_and_not_run(hostile, tmp_path, name, given,
                                                             args, flagged):
    h = hostile[name]
    src = h.path.parent / given
    assert _file_ops(h.path) == [flagged]
    assert _file_ops(src) == [flagged]
    dst = tmp_path / "out.pb"
    code, _, err = _cli("convert", str(src), str(dst), *args)
    assert code == 2 and "--trust-code" in err, err
    assert not h.marker.exists(), "kinspect ran the file's Save op without --trust-code"
    h.prove()
    assert h.marker.exists(), "the test file is not hostile after all"
    h.marker.unlink()


def _checkpoint(folder: Path, build) -> Path:  # noqa: ANN001 - build(tf, v1) adds nodes
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        y = tf.matmul(x, v1.Variable([[2.0]], name="w"))
        saver = v1.train.Saver()
        v1.train.Saver(name="save_1")  # TF1 graphs often keep a second saver
        extra = build(tf, v1)
        with tf.control_dependencies(extra):
            tf.identity(y, name="y")
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, str(folder / "model"))
    return folder


def _save_op(tf, scope: str, target: Path):  # noqa: ANN001, ANN202
    with tf.name_scope(scope):
        return tf.raw_ops.Save(filename=str(target), tensor_names=["a"],
                               data=[tf.constant([1.0])], name="evil")


def test_second_saver_scope_is_exempt_only_while_nothing_outside_depends_on_it(tmp_path):
    clean = _checkpoint(tmp_path / "clean", lambda tf, v1: [])
    assert scan(clean).findings == []
    # A Save op in save_1/ that the output y depends on runs when y is converted.
    evil = _checkpoint(tmp_path / "evil", lambda tf, v1: [_save_op(tf, "save_1/", tmp_path / "m")])
    assert _file_ops(evil) == ["model.meta/save_1/evil"]


def test_main_op_is_a_root_like_the_signatures(tmp_path):
    """A TF1 SavedModel's main op runs on every load: a `save/` Save op it reaches is found."""
    path = tf1_savedmodel(tmp_path / "sm", lambda tf: _save_op(tf, "save/", tmp_path / "MARKER"))
    assert _file_ops(path) == ["meta_graph[serve]/save/evil"]


def test_save_op_inside_the_traced_restore_function_is_found(tmp_path):
    """TF2: `_traced_restore` runs when a TF1 loader restores; only its Restore ops are the
    saver's. A SaveV2 added to it is found; the untouched model is clean."""
    import tensorflow as tf

    from kinspect.formats.tf import protos as tf_protos

    module = tf.Module()
    module.v = tf.Variable([1.0])
    module.f = tf.function(lambda x: x * module.v, input_signature=[tf.TensorSpec([1])])
    path = tmp_path / "tf2"
    tf.saved_model.save(module, str(path))
    assert scan(path).findings == []
    pb = path / "saved_model.pb"
    saved = tf_protos.SavedModel()
    saved.ParseFromString(pb.read_bytes())
    functions = saved.meta_graphs[0].graph_def.library.function
    restore = next(f for f in functions if "_traced_restore" in f.signature.name)
    save = next(f for f in functions if "_traced_save" in f.signature.name)
    extra = restore.node_def.add()
    extra.CopyFrom(next(n for n in save.node_def if n.op == "SaveV2"))
    extra.name = "evil_save"
    pb.write_bytes(saved.SerializeToString())
    assert _file_ops(path) == [f"function {restore.signature.name}/evil_save"]


# --- the scan checks what the readers open -------------------------------------------------

def _write_file_graph(marker: Path):  # noqa: ANN202 - a tf.Graph with a WriteFile node
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.io.write_file(str(marker), "ran", name="evil")
    return graph


def test_json_whose_bytes_4_to_8_read_tfl3_is_scanned_as_json(tmp_path):
    lam = {"class_name": "Lambda", "config": {"name": "lam", "function": ["AAAA", None, None],
                                              "function_type": "lambda"}}
    text = '{"abTFL3": 0, "class_name": "Sequential", "config": {"layers": [' + \
        json.dumps(lam) + "]}}"
    path = tmp_path / "model.json"
    path.write_text(text)
    assert [f.kind for f in scan(path).findings] == ["lambda-layer"]


def test_serving_folder_scans_the_version_the_reader_opens(tmp_path):
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = _write_file_graph(tmp_path / "MARKER")
    with v1.Session(graph=graph) as sess:
        builder = v1.saved_model.Builder(str(tmp_path / "serving" / "1"))
        builder.add_meta_graph_and_variables(sess, ["serve"])
        builder.save()
    (tmp_path / "serving" / "2").mkdir()  # empty: not a version, the reader takes 1
    assert _file_ops(tmp_path / "serving") == ["meta_graph[serve]/evil"]


def test_checkpoint_parts_and_prefix_scan_the_companion_meta(hostile):
    h = hostile["checkpoint_save"]
    for part in ("model", "model.index", "model.data-00000-of-00001", "checkpoint"):
        assert _file_ops(h.path / part) == ["model.meta/save/evil"], part


def test_text_graphdef_with_leading_comment(tmp_path):
    path = tmp_path / "graph.txt"
    text = str(_write_file_graph(tmp_path / "MARKER").as_graph_def())
    path.write_text("# exported by hand\n" + text)
    assert _file_ops(path) == ["graph.txt/evil"]
