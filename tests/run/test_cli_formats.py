"""`kinspect run` on one small CNN saved in every runnable format (made by kinspect convert),
against Keras itself on the same PNG: same top-1, values within 1e-5 (1e-4 for tflite)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

SIZE = 24  # the model's input height and width; the PNG is larger, so it gets resized


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import keras

    from kinspect.convert.registry import convert

    out = tmp_path_factory.mktemp("cnn")
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((SIZE, SIZE, 3), name="image"),
        keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(10, activation="softmax", name="probs"),
    ], name="tiny_cnn")
    paths = {"h5": out / "m.h5", "keras": out / "m.keras"}
    model.save(paths["h5"])
    model.save(paths["keras"])
    for key, name in (("savedmodel", "sm"), ("pb", "m.pb"), ("tflite", "m.tflite"),
                      ("onnx", "m.onnx")):
        target = "tf-savedmodel" if key == "savedmodel" else None
        convert(str(paths["keras"]), str(out / name), target)
        paths[key] = out / name
    image = np.zeros((37, 41, 3), np.uint8)
    image[..., 0] = np.arange(41)[None, :] * 6
    image[..., 1] = np.arange(37)[:, None] * 7
    image[10:20, 5:30, 2] = 255
    from PIL import Image

    Image.fromarray(image).save(out / "pic.png")
    paths["png"] = out / "pic.png"
    return paths


@pytest.fixture(scope="module")
def expected(models: dict[str, Path]) -> np.ndarray:
    """Keras's own answer: load_img (nearest resize), preprocess_input in 'tf' mode."""
    import keras

    img = keras.utils.img_to_array(keras.utils.load_img(models["png"],
                                                        target_size=(SIZE, SIZE)))
    x = keras.applications.mobilenet.preprocess_input(img[None])
    model = keras.models.load_model(models["keras"], compile=False)
    return np.asarray(model(x, training=False))


@pytest.mark.parametrize("fmt", ["h5", "keras", "savedmodel", "pb", "tflite", "onnx"])
def test_same_answer_in_every_format(models: dict[str, Path], expected: np.ndarray,
                                     fmt: str) -> None:
    proc = run_cli("run", str(models[fmt]), "--input", str(models["png"]), "--preprocess",
                   "tf", "--top", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    ((name, out),) = report["outputs"].items()
    ((_, x),) = report["inputs"].items()
    assert x["preprocess"] == "tf" and x["shape"] == [1, SIZE, SIZE, 3]
    values = np.array(out["values"], np.float32)
    tolerance = 1e-4 if fmt == "tflite" else 1e-5
    np.testing.assert_allclose(values, expected, atol=tolerance, rtol=0)
    assert out["top"][0][0]["index"] == int(np.argmax(expected[0]))
    assert [e["index"] for e in out["top"][0]] == list(np.argsort(-expected[0])[:3])


def test_keras_layers_are_the_layer_outputs(models: dict[str, Path], tmp_path: Path) -> None:
    """--layers from one pass equal keras.Model(inputs, layer.output) run by Keras itself."""
    import keras

    save = tmp_path / "r.npz"
    proc = run_cli("run", str(models["keras"]), "-i", "random", "--layers", "conv,probs",
                   "--save", str(save), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["layers"]["conv"]["shape"] == [1, SIZE - 2, SIZE - 2, 8]
    with np.load(save, allow_pickle=False) as saved:
        x = saved["inputs/image"]
        model = keras.models.load_model(models["keras"], compile=False)
        probe = keras.Model(model.inputs, model.get_layer("conv").output)
        np.testing.assert_allclose(saved["layers/conv"], np.asarray(probe(x)), atol=1e-6)
        np.testing.assert_allclose(saved["outputs/probs"], np.asarray(model(x)), atol=1e-6)
        np.testing.assert_array_equal(saved["layers/probs"], saved["outputs/probs"])


def test_folder_of_images_and_json_labels(models: dict[str, Path], expected: np.ndarray,
                                          tmp_path: Path) -> None:
    """A folder is one batch (sorted by name); an ImageNet-style JSON index names the
    classes."""
    import shutil

    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(models["png"], folder / "a.png")
    shutil.copy(models["png"], folder / "b.png")
    labels = tmp_path / "index.json"
    labels.write_text(json.dumps({str(i): [f"n{i:08d}", f"thing_{i}"] for i in range(10)}))
    proc = run_cli("run", str(models["onnx"]), "-i", str(folder), "--preprocess", "tf",
                   "--labels", str(labels), "--top", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    ((_, out),) = json.loads(proc.stdout)["outputs"].items()
    best = int(np.argmax(expected[0]))
    assert out["shape"] == [2, 10]
    assert out["top"] == [[{"index": best, "score": pytest.approx(float(expected[0, best]),
                                                                 abs=1e-5),
                            "label": f"thing_{best}"}]] * 2
