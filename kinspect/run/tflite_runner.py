"""A .tflite in TensorFlow's interpreter; every op's output tensor is a layer (a second
interpreter with experimental_preserve_all_tensors keeps them, made when first asked)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .runner import Runner, RunResult, TensorSpec


class TFLiteRunner(Runner):
    format = "tflite"
    free_batch = True

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.interp = _interpreter(path, keep_all=False)
        self.inputs = {d["name"]: _spec(d) for d in self.interp.get_input_details()}
        self.outputs = [d["name"] for d in self.interp.get_output_details()]
        self._all: Any = None

    def layer_names(self) -> list[str]:
        # Resource and variant tensors (VAR_HANDLE outputs) have no values to show, and reading
        # one with get_tensor segfaults the interpreter: only numeric tensors are offered.
        details = {d["index"]: d["name"] for d in self.interp.get_tensor_details()
                   if _readable(d)}
        names: list[str] = []
        for op in self.interp._get_ops_details():  # noqa: SLF001 - the only op-order listing
            names += [details[i] for i in op["outputs"] if i in details and i >= 0]
        return list(dict.fromkeys(names))

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        if layers and self._all is None:
            self._all = _interpreter(self.path, keep_all=True)
        interp = self._all if layers else self.interp
        details = interp.get_input_details()
        for d in details:
            if tuple(d["shape"]) != feeds[d["name"]].shape:
                interp.resize_tensor_input(d["index"], list(feeds[d["name"]].shape))
        interp.allocate_tensors()
        for d in details:
            interp.set_tensor(d["index"], feeds[d["name"]])
        interp.invoke()
        outputs = {d["name"]: np.array(interp.get_tensor(d["index"]))
                   for d in interp.get_output_details()}
        by_name = {d["name"]: d["index"] for d in interp.get_tensor_details() if _readable(d)}
        return RunResult(outputs, {n: np.array(interp.get_tensor(by_name[n]))
                                   for n in layers if n in by_name})


def _interpreter(path: str, keep_all: bool) -> Any:
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=path, experimental_preserve_all_tensors=keep_all)
    interp.allocate_tensors()
    return interp


def _readable(detail: dict[str, Any]) -> bool:
    return np.dtype(detail["dtype"]).kind in "biuf"


def _spec(detail: dict[str, Any]) -> TensorSpec:
    shape = detail.get("shape_signature")
    if shape is None or len(shape) != len(detail["shape"]):
        shape = detail["shape"]
    dims = tuple(None if int(d) < 0 else int(d) for d in shape)
    return TensorSpec(detail["name"], dims, np.dtype(detail["dtype"]).name)
