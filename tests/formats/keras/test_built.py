"""Models built with Keras 3 and tf_keras (functional, nested, Bidirectional, TimeDistributed,
BatchNormalization, a frozen layer, seeded Dropout), saved in every Keras format and read back:
kinspect's counts, layer mapping and values must equal what Keras reports for the live model."""

from __future__ import annotations

import math

import h5py
import pytest

from kinspect.formats import detect, open_document
from kinspect.formats.keras.pairing import open_pair


def _k3_model(k):
    inner = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(6, name="inner_dense"),
                          k.layers.BatchNormalization(name="ibn")], name="inner")
    x = k.Input(shape=(5, 4), name="x")
    a = k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True), name="bi")(x)
    b = k.layers.TimeDistributed(k.layers.Dense(2, name="td_dense"), name="td")(a)
    # Seeded Dropout holds seed-generator state, which Keras 3.15 neither counts nor saves.
    c = k.layers.Dropout(0.3, seed=7, name="drop")(k.layers.Flatten(name="flat")(b))
    d = inner(k.layers.Dense(4, name="d")(c))
    e = k.layers.BatchNormalization(name="bn", center=False)(d)
    f = k.layers.Dense(1, name="out", trainable=False)(e)
    model = k.Model(x, f, name="outer")
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Keras 3: .keras, .weights.h5, to_json; tf_keras: save_weights .h5 + to_json."""
    import keras

    out = tmp_path_factory.mktemp("kformats")
    # Keras names layers uniquely per session: a Bidirectional built by an earlier test would
    # make this one's inner layers forward_lstm_1 / backward_lstm_1.
    keras.backend.clear_session()
    k3 = _k3_model(keras)
    k3.save(out / "k3.keras")
    k3.save_weights(out / "k3.weights.h5")
    (out / "k3.json").write_text(k3.to_json())
    k3.save(out / "weights.hdf5")  # a full model with a weights-like name
    tf_keras = pytest.importorskip("tf_keras")
    tl = tf_keras.layers
    tk = tf_keras.Sequential([
        tf_keras.Input(shape=(5, 6)), tl.Bidirectional(tl.LSTM(3, return_sequences=True)),
        tl.TimeDistributed(tl.Dense(2)), tl.Flatten(), tl.Dense(5, name="h"),
        tl.BatchNormalization(name="bn"), tl.Dense(2, name="o")])
    tk.save_weights(str(out / "tk_weights.h5"))
    tk.save(str(out / "tk_full.h5"))
    (out / "tk.json").write_text(tk.to_json())
    return {"dir": out, "k3": k3, "tk": tk}


def _keras_counts(model) -> tuple[int, int, int]:
    trainable = sum(math.prod(v.shape) for v in model.trainable_weights)
    return model.count_params(), trainable, model.count_params() - trainable


def _ours(doc) -> tuple[int, int, int]:
    return doc.summary.total, doc.summary.trainable, doc.summary.non_trainable


@pytest.mark.slow
def test_built_keras_zip_maps_variables_to_layers(built):
    model = built["k3"]
    doc = open_document(built["dir"] / "k3.keras")
    assert _ours(doc) == _keras_counts(model) == (329, 298, 31)
    assert len(model.non_trainable_variables) > len(model.non_trainable_weights)  # seed state
    for layer in model.layers:
        ours = doc.layer(layer.name)
        assert ours is not None and ours.params == layer.count_params(), layer.name
    bi = doc.layer("bi")
    assert [child.name for child in bi.layers] == ["forward_lstm", "backward_lstm"]
    assert doc.layer("td_dense").params == 6 * 2 + 2
    assert (doc.layer("d").weights[0].read() == model.get_layer("d").kernel.numpy()).all()
    moving = doc.layer("ibn").weights[3]
    assert not moving.trainable
    # Numbered Keras 3 variables are labelled with the names Keras gives them.
    labels = [n.attrs.get("variable") for n in doc.root.find("ibn").children]
    assert labels == [v.path.rsplit("/", 1)[-1] for v in model.get_layer("inner")
                      .get_layer("ibn").weights]
    assert (moving.read() == model.get_layer("inner").get_layer("ibn").moving_variance.numpy()
            ).all()


@pytest.mark.slow
def test_built_keras3_weights_h5_and_pairs(built):
    model, out = built["k3"], built["dir"]
    alone = open_document(out / "k3.weights.h5")
    assert alone.format == "keras-weights-h5"
    assert alone.summary.total == model.count_params()
    assert {la.name for la in alone.layers} >= {"bi", "td", "d", "inner", "bn", "out"}
    for arch in ("k3.json", "k3.keras"):
        doc = open_pair(out / "k3.weights.h5", out / arch)
        assert _ours(doc) == _keras_counts(model), arch
        assert doc.extra["pairing"]["counts"]["matched"] == \
            sum(1 for la in model.layers if la.count_params())


@pytest.mark.slow
def test_built_keras3_json_reads_nested_and_wrappers(built):
    doc = open_document(built["dir"] / "k3.json")
    assert doc.format == "keras-json" and doc.root.type == "Functional"
    assert [c.class_name for c in doc.layer("td").layers] == ["Dense"]
    assert [c.class_name for c in doc.layer("bi").layers] == ["LSTM", "LSTM"]
    # A Sequential config lists its InputLayer first; Keras numbers that name per process
    # (input_layer, input_layer_2…), so the live model's own names are the expectation.
    inner = built["k3"].get_layer("inner")
    assert [c.name for c in doc.layer("inner").layers] == \
        [la.name for la in inner._layers]  # Keras 3 Sequential: InputLayer first
    assert [c.name for c in doc.layer("bi").layers] == ["forward_lstm", "backward_lstm"]
    assert not any("Keras 3 model_from_json" in w for w in doc.warnings)
    assert doc.summary is None  # functional: not inferred; no count rather than a false 0


@pytest.mark.slow
def test_full_model_named_weights_is_detected(built):
    path = built["dir"] / "weights.hdf5"
    assert detect(path).id == "keras-h5"
    assert _ours(open_document(path)) == _keras_counts(built["k3"])


@pytest.mark.slow
def test_tf_keras_weights_layout_and_pair(built):
    tk, out = built["tk"], built["dir"]
    with h5py.File(out / "tk_weights.h5") as f:
        assert "layer_names" in f.attrs
    alone = open_document(out / "tk_weights.h5")
    assert alone.format == "keras-weights-h5"
    assert _ours(alone) == _keras_counts(tk)  # moving statistics known by name
    doc = open_pair(out / "tk_weights.h5", out / "tk.json")
    assert _ours(doc) == _keras_counts(tk)
    assert doc.extra["pairing"]["counts"]["matched"] == 5
    full = open_document(out / "tk_full.h5")
    assert _ours(full) == _keras_counts(tk)
    bi = next(la for la in full.layers if la.class_name == "Bidirectional")
    assert [c.name.split("_")[0] for c in bi.layers] == ["forward", "backward"]
    assert [c.params for c in bi.layers] == [(6 * 12 + 3 * 12 + 12)] * 2


@pytest.mark.slow
def test_functional_architecture_counts_inferred(tmp_path):
    """A functional to_json (Keras 3 and tf_keras) gets the counts Keras gives the model."""
    import keras

    from ...builders.keras import functional

    flavours = [keras]
    try:
        import tf_keras

        flavours.append(tf_keras)
    except ImportError:
        pass
    for k in flavours:
        model = functional(k)
        path = tmp_path / f"{k.__name__}.json"
        path.write_text(model.to_json())
        doc = open_document(path)
        assert doc.extra["weights_inferred"] is True, k.__name__
        assert _ours(doc) == _keras_counts(model), k.__name__
        assert [tuple(la.output_shape) for la in doc.layers if la.class_name != "InputLayer"] \
            == [tuple(la.output.shape) for la in model.layers
                if type(la).__name__ != "InputLayer"]
