"""Parameter counts exactly as Keras reports them, for the Keras applications (weights=None),
saved as legacy `.h5` and as `.keras`: total, trainable, non-trainable (BatchNormalization
moving statistics)."""

from __future__ import annotations

import math
import re

import pytest

from kinspect.formats import open_document

APPS = ["InceptionV3", "MobileNetV2", "ResNet50"]


def _summary_counts(model) -> dict[str, int]:
    """The three figures from the text `model.summary()` prints."""
    lines: list[str] = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    text = "\n".join(lines)
    found = {}
    for key, label in (("total", "Total params"), ("trainable", "Trainable params"),
                       ("non_trainable", "Non-trainable params")):
        m = re.search(rf"^\s*{label}:\s*([\d,]+)", text, re.MULTILINE)
        assert m, text[-500:]
        found[key] = int(m.group(1).replace(",", ""))
    return found


@pytest.fixture(scope="session")
def applications(tmp_path_factory):
    import keras

    out = tmp_path_factory.mktemp("apps")
    made = {}
    for name in APPS:
        model = getattr(keras.applications, name)(weights=None)
        h5, zipped = out / f"{name}.h5", out / f"{name}.keras"
        model.save(h5)
        model.save(zipped)
        made[name] = (model, h5, zipped)
    return made


@pytest.mark.slow
@pytest.mark.parametrize("name", APPS)
@pytest.mark.parametrize("suffix", ["h5", "keras"])
def test_counts_equal_keras(applications, name, suffix):
    model, h5, zipped = applications[name]
    doc = open_document(h5 if suffix == "h5" else zipped)
    assert doc.format == ("keras-h5" if suffix == "h5" else "keras")
    expected = _summary_counts(model)
    assert expected["total"] == model.count_params()
    assert expected["trainable"] == sum(math.prod(w.shape) for w in model.trainable_weights)
    assert doc.summary.to_json() == expected
    assert [la.name for la in doc.layers if la.class_name != "InputLayer"] == \
        [la.name for la in model.layers if type(la).__name__ != "InputLayer"]
    # output shapes as Keras builds them (ZeroPadding2D, DepthwiseConv2D, Add, Concatenate…)
    assert {la.name: tuple(la.output_shape or ()) for la in doc.layers} == \
        {la.name: tuple(la.output.shape) for la in model.layers}


@pytest.mark.slow
@pytest.mark.parametrize("name", APPS)
def test_architecture_json_gets_the_same_counts_and_shapes(applications, name, tmp_path):
    """`to_json()` alone (no weights): counts and output shapes inferred from the config."""
    model = applications[name][0]
    path = tmp_path / f"{name}.json"
    path.write_text(model.to_json())
    doc = open_document(path)
    assert doc.extra["weights_inferred"] is True
    assert doc.summary.to_json() == _summary_counts(model)
    assert {la.name: tuple(la.output_shape or ()) for la in doc.layers} == \
        {la.name: tuple(la.output.shape) for la in model.layers}


@pytest.mark.slow
def test_inception_v3_figures(applications):
    """The figures the issue quotes, as Keras prints them for InceptionV3."""
    for path in applications["InceptionV3"][1:]:
        summary = open_document(path).summary
        assert (summary.total, summary.trainable, summary.non_trainable) == \
            (23_851_784, 23_817_352, 34_432)
