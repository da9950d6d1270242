"""A TF.js model (layers or graph) in the real TensorFlow.js runtime: Node with the pure-JS
@tensorflow/tfjs, through the script kinspect ships (convert/tfjs_runtime.py). Each run starts
Node and loads the model again (about a second for a small model): there is no Python binding
to keep it loaded. Intermediate layers are not offered (the script returns outputs only).
"""

from __future__ import annotations

import os

import numpy as np

from ..convert import tfjs_runtime
from ..errors import ConvertError, InvalidRequest
from .runner import RunError, Runner, RunResult, TensorSpec


class TFJSRunner(Runner):
    free_batch = True

    def __init__(self, path: str, fmt: str) -> None:
        super().__init__()
        self.path = path
        self.format = fmt
        self.model_json = os.path.join(path, "model.json") if os.path.isdir(path) else path
        why = tfjs_runtime.missing()
        if why:
            raise InvalidRequest(f"cannot run a TF.js model: {why}", path)
        try:
            info = tfjs_runtime.describe(self.model_json)
        except ConvertError as exc:
            raise RunError(exc.message, path) from exc
        self.inputs = {i["name"]: _spec(i) for i in info["inputs"]}
        self.outputs = [o["name"] for o in info["outputs"]]
        self.warnings.append(f"run by TensorFlow.js {info.get('tfjs', '?')} (Node, "
                             f"{info.get('backend', 'cpu')} backend)")

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        try:
            outputs = tfjs_runtime.run(self.model_json, feeds)
        except ConvertError as exc:
            raise RunError(exc.message, self.path) from exc
        return RunResult({name: outputs[name] for name in self.outputs if name in outputs}
                         or outputs)


def _spec(info: dict) -> TensorSpec:
    shape = info.get("shape")
    dims = None if shape is None else tuple(None if d is None or d < 0 else int(d)
                                           for d in shape)
    dtype = {"float32": "float32", "int32": "int32", "bool": "bool"}.get(
        info.get("dtype") or "float32", "float32")
    return TensorSpec(info["name"], dims, dtype)
