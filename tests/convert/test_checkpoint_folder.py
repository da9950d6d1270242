"""A checkpoint folder converts the checkpoint its `checkpoint` state file names (as `info`
opens it), not the lexicographically last `.meta` (model.ckpt-800 sorts after -1000)."""

from __future__ import annotations

from kinspect.convert import convert
from kinspect.convert.sources import checkpoint_parts


def _steps_folder(folder) -> None:
    """model.ckpt-{200..1000}; at step N the variable w holds N, so y = N * x."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        w = v1.Variable([[0.0]], name="w")
        tf.identity(tf.matmul(x, w), name="y")
        value = v1.placeholder(tf.float32, [1, 1])
        assign = w.assign(value)
        saver = v1.train.Saver(max_to_keep=10)
        with v1.Session(graph=graph) as sess:
            for step in range(200, 1001, 200):
                sess.run(assign, {value: [[float(step)]]})
                saver.save(sess, str(folder / "model.ckpt"), global_step=step)


def _frozen_w(path) -> float:
    import tensorflow as tf

    graph = tf.compat.v1.GraphDef()
    graph.ParseFromString(path.read_bytes())
    node = next(n for n in graph.node if n.name == "w")
    return float(tf.make_ndarray(node.attr["value"].tensor).ravel()[0])


def test_folder_converts_the_checkpoint_the_state_file_names(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    _steps_folder(folder)
    meta, prefix = checkpoint_parts(str(folder))
    assert prefix == str(folder / "model.ckpt-1000") and meta == prefix + ".meta"
    convert(folder, tmp_path / "latest.pb", options={"outputs": ["y"]})
    assert _frozen_w(tmp_path / "latest.pb") == 1000.0
    # The state file decides, not file names or times: point it at step 600.
    state = folder / "checkpoint"
    state.write_text('model_checkpoint_path: "model.ckpt-600"\n')
    assert checkpoint_parts(str(folder))[1] == str(folder / "model.ckpt-600")
    convert(folder, tmp_path / "600.pb", options={"outputs": ["y"], "verify": True})
    assert _frozen_w(tmp_path / "600.pb") == 600.0
