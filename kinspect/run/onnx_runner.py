"""An .onnx in onnxruntime; layers are node outputs, fetched by a second session whose graph
lists them all as outputs (made when first asked)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConvertError
from .runner import Runner, RunResult, TensorSpec

_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64",
          "tensor(float16)": "float16", "tensor(int64)": "int64", "tensor(int32)": "int32",
          "tensor(int16)": "int16", "tensor(int8)": "int8", "tensor(uint8)": "uint8",
          "tensor(uint16)": "uint16", "tensor(bool)": "bool", "tensor(string)": "object"}


class OnnxRunner(Runner):
    format = "onnx"

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.session = _session(path)
        self.inputs = {i.name: _spec(i) for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
        self._model: Any = None
        self._all: Any = None

    def _graph(self) -> Any:
        if self._model is None:
            import onnx

            self._model = onnx.load(self.path)
        return self._model.graph

    def layer_names(self) -> list[str]:
        return list(dict.fromkeys(o for n in self._graph().node for o in n.output if o))

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        if not layers:
            values = self.session.run(self.outputs, feeds)
            return RunResult(dict(zip(self.outputs, values, strict=True)))
        if self._all is None:
            self._all = self._every_tensor_session()
        values = self.session_run_all(feeds, layers)
        return RunResult({n: values[n] for n in self.outputs},
                         {n: values[n] for n in layers})

    def session_run_all(self, feeds: dict[str, np.ndarray], layers: list[str]) -> dict[str, Any]:
        names = list(dict.fromkeys(self.outputs + layers))
        return dict(zip(names, self._all.run(names, feeds), strict=True))

    def _every_tensor_session(self) -> Any:
        import onnx
        import onnxruntime as ort

        model = onnx.ModelProto()
        model.CopyFrom(self._model if self._model is not None else onnx.load(self.path))
        known = {o.name for o in model.graph.output}
        for name in self.layer_names():
            if name not in known:
                model.graph.output.append(onnx.ValueInfoProto(name=name))
        return ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"])


def _session(path: str) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ConvertError("running ONNX needs onnxruntime (pip install onnxruntime)") from exc
    try:
        return ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        raise ConvertError(f"onnxruntime cannot load the model: "
                           f"{' '.join(str(exc).split())[:300]}", path) from exc


def _spec(arg: Any) -> TensorSpec:
    dims = tuple(d if isinstance(d, int) and d >= 0 else None for d in arg.shape)
    return TensorSpec(arg.name, dims, _TYPES.get(arg.type, "float32"))
