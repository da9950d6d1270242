"""The window's Save As converts in a confined process kept for its source (keep_process):
the second conversion of a file reuses the process, each output is what Keras / TensorFlow
load, and a failed conversion leaves nothing at the destination and the process usable."""

from __future__ import annotations

import numpy as np
import pytest

from kinspect.convert import convert
from kinspect.errors import InvalidRequest
from kinspect.safety import confine_pool

pytestmark = pytest.mark.slow


def test_second_conversion_reuses_the_process(tmp_path):
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.save(tmp_path / "m.h5")
    confine_pool.end_all()
    convert(str(tmp_path / "m.h5"), str(tmp_path / "a.keras"), keep_process=True)
    (kept,) = confine_pool._kept.values()  # noqa: SLF001
    report = convert(str(tmp_path / "m.h5"), str(tmp_path / "b.pb"), "tf-graphdef",
                     {"verify": True}, keep_process=True)
    assert report.verified
    with pytest.raises(InvalidRequest, match="destination exists"):
        convert(str(tmp_path / "m.h5"), str(tmp_path / "a.keras"), keep_process=True)
    assert list(confine_pool._kept.values()) == [kept] and kept[0].alive  # noqa: SLF001
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    expected = np.asarray(model(x))
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "a.keras")(x), expected,
                               atol=1e-6)
    graph_def = tf.compat.v1.GraphDef.FromString((tmp_path / "b.pb").read_bytes())
    fn = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, name=""),
                                    [])
    graph = fn.graph
    inputs = [op.outputs[0] for op in graph.get_operations() if op.type == "Placeholder"]
    outputs = [graph.get_tensor_by_name(name) for name in report.outputs]
    got = fn.prune(inputs, outputs)(tf.constant(x))[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.keras", "b.pb", "m.h5"]
    confine_pool.end_all()
    assert not kept[0].alive
