"""The TF Serving example of a SavedModel export (issue 15, defect 3): request.json beside the
version folder (one example of the input's shape), a `curl -d @request.json` line, the
signature's keys as `saved_model_cli show` prints them; checked with TensorFlow and
saved_model_cli themselves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ..conftest import corpus_path, run_cli

pytestmark = pytest.mark.slow

FLOWNET = "flownet-keras"  # Keras 3.9.2, (None, 2) -> (None, 2) (PROVENANCE #29)


def test_request_json_is_small_and_fed_as_tf_serving_feeds_it(tmp_path) -> None:
    import keras
    import tensorflow as tf

    dst = tmp_path / "flow"
    result = run_cli("convert", str(corpus_path(FLOWNET)), str(dst), "--to", "tf-savedmodel",
                     "--verify", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    req = report["serving_request"]
    request = dst / "request.json"
    assert req["request_file"] == str(request) and request.stat().st_size < 200
    assert req["curl"].endswith(f"-d @{request}")
    assert req["url"] == "http://localhost:8501/v1/models/flow:predict"
    body = json.loads(request.read_text())
    assert body == {"signature_name": "serving_default", "instances": [[0.0, 0.0]]}
    assert req["output_aliases"] == ["output_0"] and report["output_shapes"] == {
        "output_0": [None, 2]}
    # what TF Serving does with the row format: stack the instances, call the signature
    fn = tf.saved_model.load(str(dst / "1")).signatures["serving_default"]
    (key,) = fn.structured_input_signature[1]
    out = fn(**{key: tf.constant(np.array(body["instances"], dtype=np.float32))})
    assert list(out) == ["output_0"]
    model = keras.models.load_model(str(corpus_path(FLOWNET)), compile=False)
    np.testing.assert_allclose(out["output_0"].numpy(),
                               model.predict(np.zeros((1, 2), np.float32), verbose=0),
                               atol=1e-6)
    # the keys and tensors as saved_model_cli prints them
    cli = Path(sys.executable).with_name("saved_model_cli")
    shown = subprocess.run([str(cli), "show", "--dir", str(dst / "1"), "--tag_set", "serve",
                            "--signature_def", "serving_default"], capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    ours = req["signature"].splitlines()[1:]
    assert [line.strip() for line in ours] == \
        [line.strip() for line in shown.stdout.strip().splitlines()]
