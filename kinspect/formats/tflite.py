"""`tflite`: a TensorFlow Lite flatbuffer: subgraphs, tensors, operators, signatures, weights.

Read with the `flatbuffers` runtime and the schema module TensorFlow ships
(tensorflow/lite/python/schema_py_generated.py), loaded by file path so that the `tensorflow`
package itself is never imported. Weights stay in the file's buffers until looked at.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from typing import Any

import numpy as np

from ..errors import FormatError
from ..model import Document, GraphNode, Kind, Node, Role, Signature, TensorInfo, TensorSpec
from ..progress import NO_PROGRESS, Progress
from .containers.probe import Probe
from .reader import FormatReader
from .tf import graph_tree
from .tf import protos as tf_protos
from .tf import tensor as tf_tensor

ID = "tflite"
LABEL = "TensorFlow Lite model"
_SCHEMA_NAME = "kinspect._tflite_schema"

# TensorType numbers of schema.fbs -> numpy dtype names.
_TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string",
          6: "bool", 7: "int16", 8: "complex64", 9: "int8", 10: "float64", 11: "complex128",
          12: "uint64", 13: "resource", 14: "variant", 15: "uint32", 16: "uint16", 17: "int4"}


def schema() -> types.ModuleType:
    """TensorFlow's generated tflite schema module, loaded once by path (not as tensorflow.*)."""
    mod = sys.modules.get(_SCHEMA_NAME)
    if mod is not None:
        return mod
    path = os.path.join(tf_protos.tensorflow_dir(), "lite", "python", "schema_py_generated.py")
    if not os.path.isfile(path):
        raise FormatError("this TensorFlow has no tflite schema module")
    spec = importlib.util.spec_from_file_location(_SCHEMA_NAME, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[_SCHEMA_NAME] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception:
        del sys.modules[_SCHEMA_NAME]
        raise
    return mod


def match(probe: Probe) -> bool:
    # Flatbuffer file identifier "TFL3" at bytes 4-8.
    return not probe.is_dir and probe.exists and probe.head[4:8] == b"TFL3"


def _names(enum_cls: Any) -> dict[int, str]:
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


def _s(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@tf_tensor.as_format_errors
def read(path: str, progress: Progress = NO_PROGRESS) -> Document:
    progress.step(0.0, "reading flatbuffer")
    with open(path, "rb") as f:
        buf = f.read()
    sch = schema()
    try:
        model = sch.Model.GetRootAs(buf, 0)
        result = _read(path, buf, model, sch)
    except (IndexError, ValueError, TypeError, AttributeError) as exc:
        # flatbuffers reads offsets blindly: a truncated file fails with struct errors.
        raise FormatError(f"broken tflite flatbuffer: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__ == "struct":
            raise FormatError(f"broken tflite flatbuffer: {exc}") from exc
        raise
    progress.step(1.0, "done")
    return result


def _read(path: str, buf: bytes, model: Any, sch: Any) -> Document:
    op_names = _names(sch.BuiltinOperator)
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        name = op_names.get(code, f"op{code}")
        codes.append(_s(oc.CustomCode()) or name if name == "CUSTOM" else name)
    buffers = model.Buffers
    root = graph_tree.root_node(path, LABEL, version=model.Version(),
                                description=_s(model.Description()),
                                subgraphs=model.SubgraphsLength())
    doc = Document(path=path, format=ID, root=root,
                   producer={"schema_version": model.Version(),
                             "description": _s(model.Description())})
    subgraph_tensors: list[list[TensorInfo]] = []
    limit = len(buf) // 4  # each vector entry takes at least 4 bytes of the file
    if max(model.SubgraphsLength(), model.BuffersLength(), model.OperatorCodesLength()) > limit:
        raise FormatError("broken tflite flatbuffer: vector longer than the file")
    for g in range(model.SubgraphsLength()):
        sg = model.Subgraphs(g)
        if max(sg.TensorsLength(), sg.OperatorsLength()) > limit:
            raise FormatError("broken tflite flatbuffer: vector longer than the file")
        tensors = [_tensor(sg.Tensors(t), buffers, buf) for t in range(sg.TensorsLength())]
        subgraph_tensors.append(tensors)
        nodes = []
        for o in range(sg.OperatorsLength()):
            op = sg.Operators(o)
            ins = [tensors[i].name if 0 <= i < len(tensors) else "(none)"
                   for i in op.InputsAsNumpy()] if op.InputsLength() else []
            outs = [tensors[i].name for i in op.OutputsAsNumpy()] if op.OutputsLength() else []
            opname = codes[op.OpcodeIndex()] if op.OpcodeIndex() < len(codes) else "?"
            nodes.append(GraphNode(outs[0] if outs else f"{opname}_{o}", opname, ins, outs))
        sg_name = _s(sg.Name()) or f"subgraph {g}"
        weights = [t for t in tensors if t.loader is not None]
        inputs = [tensors[i] for i in sg.InputsAsNumpy()] if sg.InputsLength() else []
        outputs = [tensors[i] for i in sg.OutputsAsNumpy()] if sg.OutputsLength() else []
        if g == 0:
            doc.nodes = nodes
            doc.variables = weights
            doc.extra["inputs"] = [_spec_json(t) for t in inputs]
            doc.extra["outputs"] = [_spec_json(t) for t in outputs]
        main = g == 0
        branches = [graph_tree.nodes_branch(graph_tree.NODES_TITLE if main else "Operators",
                                            nodes, None, Role.GRAPH_NODES if main else None),
                    _tensors_branch("Tensors", tensors, Role.TENSORS),
                    _tensors_branch("Weights", weights, Role.WEIGHTS)]
        if g == 0:  # the main subgraph at the top, where search finds `doc.nodes` rows
            root.attrs.update(subgraph=sg_name, inputs=[t.name for t in inputs],
                              outputs=[t.name for t in outputs])
            for b in branches:
                root.add(b)
        else:
            root.add(Node(Kind.GROUP, sg_name, f"{len(nodes)} operators", attrs={
                "inputs": [t.name for t in inputs], "outputs": [t.name for t in outputs]},
                children=branches))
    for s in range(model.SignatureDefsLength()):
        sd = model.SignatureDefs(s)
        tensors = subgraph_tensors[sd.SubgraphIndex()] \
            if sd.SubgraphIndex() < len(subgraph_tensors) else []
        doc.signatures[_s(sd.SignatureKey())] = Signature(
            _s(sd.SignatureKey()), "tflite",
            {_s(m.Name()): _spec(tensors[m.TensorIndex()]) for m in
             (sd.Inputs(i) for i in range(sd.InputsLength()))},
            {_s(m.Name()): _spec(tensors[m.TensorIndex()]) for m in
             (sd.Outputs(i) for i in range(sd.OutputsLength()))})
    branch = graph_tree.signatures_branch(doc.signatures)
    if branch is not None:
        root.children.insert(0, branch)
        branch.parent = root
    return doc


def _spec(t: TensorInfo) -> TensorSpec:
    return TensorSpec(t.name, t.dtype, t.shape)


def _spec_json(t: TensorInfo) -> dict[str, Any]:
    return _spec(t).to_json()


def _tensor(t: Any, buffers: Any, buf: bytes) -> TensorInfo:
    signature = t.ShapeSignatureAsNumpy() if t.ShapeSignatureLength() else None
    shape_arr = signature if signature is not None else (
        t.ShapeAsNumpy() if t.ShapeLength() else np.zeros(0, dtype=np.int32))
    shape = tuple(int(d) if d >= 0 else None for d in shape_arr)
    dtype = _TYPES.get(t.Type(), f"type{t.Type()}")
    info = TensorInfo(_s(t.Name()), shape, dtype, trainable=False)
    b = buffers(t.Buffer()) if t.Buffer() > 0 else None
    if b is not None:
        if b.DataLength():
            info.loader = _inline_loader(b, dtype, shape)
        elif b.Offset() > 1:  # large models keep buffers after the flatbuffer
            info.loader = _offset_loader(buf, b.Offset(), b.Size(), dtype, shape)
    return info


def _inline_loader(b: Any, dtype: str, shape: tuple) -> Any:
    return tf_tensor.as_format_errors(lambda: _as_array(b.DataAsNumpy().tobytes(), dtype, shape))


def _offset_loader(buf: bytes, offset: int, size: int, dtype: str, shape: tuple) -> Any:
    return tf_tensor.as_format_errors(lambda: _as_array(buf[offset:offset + size], dtype, shape))


def _as_array(raw: bytes, dtype: str, shape: tuple) -> np.ndarray:
    if dtype in ("string", "resource", "variant", "int4"):
        return np.frombuffer(raw, dtype=np.uint8)
    arr = np.frombuffer(raw, dtype=np.dtype(dtype))
    if None not in shape and arr.size == int(np.prod(shape)):
        return arr.reshape(shape)
    return arr


def _tensors_branch(title: str, tensors: list[TensorInfo], role: str) -> Node:
    return Node(Kind.GROUP, title, str(len(tensors)), role=role, count=len(tensors),
                children_factory=lambda: [
        Node(Kind.TENSOR if t.loader is None else Kind.WEIGHT, t.name, t.dtype, tensor=t)
        for t in tensors])


READER = FormatReader(ID, LABEL, match, read)
