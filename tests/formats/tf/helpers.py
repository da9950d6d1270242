"""Helpers shared by the graph-format tests: corpus SavedModels, tree lookups, the
`saved_model_cli` rendering of a signature, variable comparison against TensorFlow's values."""

from __future__ import annotations

from typing import Any

import numpy as np

from kinspect.formats.tf import protos as tf_protos
from kinspect.model import Document, Signature

SAVEDMODELS = {
    "savedmodel/tfserving_half_plus_two_cpu": "savedmodel/tfserving_half_plus_two_cpu/00000123",
    "savedmodel/tfserving_half_plus_two_tf2_cpu":
        "savedmodel/tfserving_half_plus_two_tf2_cpu/00000123",
    "savedmodel/tf2onnx_regression_saved_model": "savedmodel/tf2onnx_regression_saved_model",
    "savedmodel/tfjs_node_times_three_float": "savedmodel/tfjs_node_times_three_float",
    "savedmodel/tfjs_node_module_with_multiple_signatures":
        "savedmodel/tfjs_node_module_with_multiple_signatures",
    "savedmodel/tfnet_keras_chengen_tsai": "savedmodel/tfnet_keras_chengen_tsai",
}


def node(doc: Document, name: str) -> Any:
    return next(n for n in doc.nodes if n.name == name)


def branch(doc: Document, title: str) -> Any:
    return next(c for c in doc.root.children if c.name.startswith(title))


# ---- saved_model_cli rendering, to compare signatures character for character -----------------

_DT = {v: k for k, v in tf_protos._DTYPE_NAMES.items()}


def cli_text(sig: Signature) -> str:
    """Our Signature printed the way saved_model_cli's _show_inputs_outputs_mgd prints one."""
    def spec_lines(kind: str, specs: dict) -> list[str]:
        lines = []
        for alias, spec in specs.items():
            base = spec.dtype[:-4] if spec.dtype.endswith("_ref") else spec.dtype
            dt = tf_protos.DataType.Name(_DT[base] + (100 if spec.dtype.endswith("_ref") else 0))
            shape = "unknown_rank" if spec.shape is None else \
                "(" + ", ".join("-1" if d is None else str(d) for d in spec.shape) + ")"
            lines += [f"    {kind}['{alias}'] tensor_info:", f"        dtype: {dt}",
                      f"        shape: {shape}", f"        name: {spec.name}"]
        return lines

    lines = ["  The given SavedModel SignatureDef contains the following input(s):"]
    lines += spec_lines("inputs", sig.inputs)
    lines += ["  The given SavedModel SignatureDef contains the following output(s):"]
    lines += spec_lines("outputs", sig.outputs)
    lines += [f"  Method name is: {sig.method}"]
    return "\n".join(lines) + "\n"


def assert_variables(doc: Document, expected: dict[str, Any]) -> None:
    expected = {k: v for k, v in expected.items() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    assert [v.name for v in doc.variables] == sorted(expected)
    for var in doc.variables:
        assert list(var.shape) == expected[var.name]["shape"], var.name
        np.testing.assert_allclose(var.read(), np.asarray(expected[var.name]["value"]))
