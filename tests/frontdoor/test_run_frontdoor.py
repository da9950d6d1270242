"""The Run page in a real X server (Xvfb, xcb) driven by mouse and key events: Ctrl+R loads,
a typed image path, Ctrl+R runs, and the shown top-1 is Keras's own answer on that image; the
model runs in a confined process (another network namespace) while the window shows it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ..conftest import ROOT

DRIVER = Path(__file__).with_name("run_driver.py")

pytestmark = pytest.mark.slow


def test_run_page_by_keyboard_and_mouse(frontdoor_env, tmp_path) -> None:
    import keras
    from PIL import Image

    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.Input((20, 20, 3)),
                              keras.layers.Conv2D(3, 3, activation="relu"),
                              keras.layers.Flatten(),
                              keras.layers.Dense(7, activation="softmax", name="scores")])
    model.save(tmp_path / "cnn.h5")
    pixels = (np.indices((30, 26)).prod(axis=0)[..., None] * [3, 7, 11] % 256).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "pic.png")
    img = keras.utils.img_to_array(keras.utils.load_img(tmp_path / "pic.png",
                                                        target_size=(20, 20)))
    expected = np.asarray(model(img[None] / 127.5 - 1.0))[0]
    best = int(np.argmax(expected))
    shot = tmp_path / "run.png"
    proc = subprocess.run([sys.executable, str(DRIVER), str(tmp_path / "cnn.h5"),
                           str(tmp_path / "pic.png"), "tf", str(shot)], cwd=ROOT,
                          env=frontdoor_env, capture_output=True, text=True, timeout=600)
    report = f"exit {proc.returncode}\n{proc.stdout}\n--- stderr\n{proc.stderr[-3000:]}"
    assert "ALIVE 0 failed" in proc.stdout and "OK confined" in proc.stdout, report
    assert f"TOP1 scores: top-1 {best} {expected[best]:.6g}" in proc.stdout, report
    assert "preprocess tf" in proc.stdout and shot.stat().st_size > 10_000, report
    assert proc.returncode == 0, report
