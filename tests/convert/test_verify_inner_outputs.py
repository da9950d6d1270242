"""--verify with --outputs inside a model must check the freeze against the source: a broken
freeze (here: every float constant shifted) fails verification instead of being compared
with its own pruned copy."""

from __future__ import annotations

import pytest

from kinspect.convert import convert, freeze
from kinspect.errors import ConvertError

from ..conftest import corpus_path


def _shift_float_consts(monkeypatch) -> None:
    """Make the freeze wrong: +1 on every float Const of what it returns."""
    import tensorflow as tf

    real = freeze._outputs_only

    def broken(graph_def, frozen):
        out = real(graph_def, frozen)
        for node in out.node:
            if node.op == "Const" and node.attr["dtype"].type == tf.float32.as_datatype_enum:
                value = tf.make_ndarray(node.attr["value"].tensor) + 1.0
                node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
        return out

    monkeypatch.setattr(freeze, "_outputs_only", broken)


def _keras_file(tmp_path):
    import keras

    inp = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, activation="relu", name="hidden")(inp)
    out = keras.layers.Dense(2, name="out")(hidden)
    path = tmp_path / "m.keras"
    keras.Model(inp, out).save(path)
    return path


def _inner_node(src) -> str:
    """A node of the frozen graph that is no Keras layer's name (the hidden MatMul)."""
    from kinspect.convert.keras_load import load_model

    graph = freeze.from_keras(load_model(str(src), "keras", False).model).graph_def
    return next(n.name for n in graph.node if n.op == "MatMul" and "hidden" in n.name)


def test_keras_inner_outputs_verify_the_freeze(tmp_path, monkeypatch, in_process_conversion):
    src = _keras_file(tmp_path)
    node = _inner_node(src)
    report = convert(src, tmp_path / "good.pb", options={"outputs": [node], "verify": True})
    assert report.verified and report.outputs == [f"{node}:0"]
    assert any("checked against the source" in w for w in report.warnings)
    _shift_float_consts(monkeypatch)
    with pytest.raises(ConvertError, match="frozen graph differs from the source"):
        convert(src, tmp_path / "bad.pb", options={"outputs": [node], "verify": True})
    assert not (tmp_path / "bad.pb").exists()


def test_savedmodel_inner_outputs_verify_the_freeze(tmp_path, monkeypatch,
                                                  in_process_conversion):
    src = corpus_path("half-plus-two-tf1")  # y = 0.5 x + 2; Mul = 0.5 x
    report = convert(src, tmp_path / "good.pb", options={"outputs": ["Mul"], "verify": True})
    assert report.verified and report.outputs == ["Mul:0"]
    _shift_float_consts(monkeypatch)
    with pytest.raises(ConvertError, match="frozen graph differs from the source"):
        convert(src, tmp_path / "bad.pb", options={"outputs": ["Mul"], "verify": True})
    assert not (tmp_path / "bad.pb").exists()
