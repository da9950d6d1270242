"""Run a TF.js model with the real TensorFlow.js runtime: Node + the pure-JS
`@tensorflow/tfjs` package (installed by `make tfjs` into kinspect/data/tfjs/node_modules),
through kinspect/data/tfjs/run_model.js. Used by `--verify` for the TF.js targets and by
`kinspect run` on a TF.js model. When Node or the package is missing, `missing()` says so in
one sentence and `run` raises with it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from typing import Any

import numpy as np

from ..datafiles import data_file
from ..errors import ConvertError

SCRIPT = data_file("tfjs/run_model.js")
# Node reads an OpenSSL config at start-up; inside a confined conversion /etc/ssl is not
# readable (exit 13, "OpenSSL configuration error"), so it gets this empty one.
OPENSSL_CONF = data_file("tfjs/openssl.cnf")
PACKAGE = data_file("tfjs/node_modules/@tensorflow/tfjs")
TIMEOUT = 900  # seconds; a large model on the pure-JS cpu backend is slow
_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.uint8}


def missing() -> str | None:
    """None when the runtime can run; else why not, as one sentence for the user."""
    if shutil.which("node") is None:
        return "Node.js is not installed, so TF.js models cannot be run here (install Node 20)"
    if not PACKAGE.is_dir():
        return ("the TensorFlow.js runtime (@tensorflow/tfjs) is not installed: run `make tfjs` "
                "(npm ci in kinspect/data/tfjs)")
    return None


def _call(request: dict[str, Any], path: str) -> dict[str, Any]:
    why = missing()
    if why:
        raise ConvertError(why, path)
    try:
        proc = subprocess.run(["node", str(SCRIPT)], input=json.dumps(request),
                              capture_output=True, text=True, timeout=TIMEOUT,
                              env=dict(os.environ, NODE_OPTIONS="",
                                       OPENSSL_CONF=str(OPENSSL_CONF)))
    except subprocess.TimeoutExpired as exc:
        raise ConvertError(f"the TF.js runtime took more than {TIMEOUT} s", path) from exc
    try:
        response = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = " ".join(proc.stderr.split())[-300:]
        raise ConvertError(f"the TF.js runtime failed (exit {proc.returncode}): {tail}",
                           path) from None
    if "error" in response:
        raise ConvertError(f"TF.js runtime: {' '.join(response['error'].split())[:400]}", path)
    return response


def describe(model_json: str) -> dict[str, Any]:
    """{"kind", "inputs": [{name, shape, dtype}], "outputs": [...]} as TF.js loads the model."""
    return _call({"model": os.path.abspath(model_json), "describe": True}, model_json)


def run(model_json: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Outputs by name (layer names for layers models, node names for graph models)."""
    request = {"model": os.path.abspath(model_json),
               "inputs": {name: _encode(array) for name, array in inputs.items()}}
    response = _call(request, model_json)
    return {name: _decode(response["outputs"][name]) for name in response["order"]}


def _encode(array: np.ndarray) -> dict[str, Any]:
    array = np.asarray(array)
    if array.dtype.kind == "b":
        dtype = "bool"
    elif array.dtype.kind in "iu":
        dtype = "int32"
    else:
        dtype = "float32"
    data = np.ascontiguousarray(array.astype(_DTYPES[dtype]).astype(
        np.dtype(_DTYPES[dtype]).newbyteorder("<")))
    return {"dtype": dtype, "shape": list(array.shape),
            "b64": base64.b64encode(data.tobytes()).decode("ascii")}


def _decode(tensor: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(_DTYPES.get(tensor["dtype"], np.float32)).newbyteorder("<")
    values = np.frombuffer(base64.b64decode(tensor["b64"]), dtype=dtype)
    out = values.reshape(tensor["shape"])
    if tensor["dtype"] == "bool":
        return out.astype(np.bool_)
    return out.astype(dtype.newbyteorder("="))
