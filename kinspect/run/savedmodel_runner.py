"""SavedModel signatures: TF2's `tf.saved_model.load`, else the TF1 loader in a v1 Session.

TF 2.21's loader fails on some TF1 SavedModels whose extra signatures do not prune ("Shapes
must be equal rank", TECH-NOTES); the v1 loader in a graph session loads them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidRequest
from .graph_runner import GraphRunner
from .runner import Runner, RunResult, TensorSpec


class SignatureRunner(Runner):
    """One signature of a loaded TF2 SavedModel; inputs and outputs named by its keys.
    Layers come from the signature frozen once (the same function, variables as constants)."""

    format = "tf-savedmodel"
    check_shape = False  # TF takes any shape here (see Runner.check_shape)

    def __init__(self, loaded: Any, key: str, path: str) -> None:
        super().__init__()
        self.loaded, self.key, self.path = loaded, key, path
        self.fn = loaded.signatures[key]
        _, kwargs = self.fn.structured_input_signature
        self.inputs = {n: _spec(n, kwargs[n]) for n in sorted(kwargs)}
        outs = self.fn.structured_outputs
        self.outputs = sorted(outs) if isinstance(outs, dict) else ["output_0"]
        self._frozen: GraphRunner | None = None
        names = [t.name for t in self.fn.outputs]
        self._tensors = dict(zip(self.outputs, names, strict=True)) \
            if len(names) == len(self.outputs) else {}

    @property
    def output_tensors(self) -> dict[str, str]:
        return {n: self._tensors.get(n, n) for n in self.outputs}

    def layer_names(self) -> list[str]:
        return self._graph().layer_names()

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        if layers:
            return self._graph().run(feeds, layers)
        import tensorflow as tf

        result = self.fn(**{n: tf.constant(a) for n, a in feeds.items()})
        if not isinstance(result, dict):
            result = {"output_0": result}
        return RunResult({k: np.asarray(result[k]) for k in self.outputs})

    def _graph(self) -> GraphRunner:
        """The signature frozen into a GraphDef and run in a session, inputs and outputs
        under the signature's names."""
        if self._frozen is None:
            from ..convert.freeze import from_savedmodel
            from .graph_runner import graph_session

            frozen = from_savedmodel(self.path, self.key, self.loaded)
            ins = dict(zip(self.inputs, frozen.inputs, strict=True))
            aliases = frozen.output_aliases or dict(zip(self.outputs, frozen.outputs,
                                                        strict=True))
            self._frozen = GraphRunner(graph_session(frozen.graph_def), ins, aliases,
                                       self.path, self.format)
        return self._frozen

    def close(self) -> None:
        if self._frozen is not None:
            self._frozen.close()


def _spec(name: str, spec: Any) -> TensorSpec:
    dims = None if spec.shape.rank is None else tuple(spec.shape.as_list())
    return TensorSpec(name, dims, np.dtype(spec.dtype.as_numpy_dtype).name)


def load_signature(path: str, signature: str | None) -> Runner:
    """PATH's signature (default serving_default) as a Runner: TF2 loader, else the TF1 loader
    (the converter's, kinspect.convert.tf1_savedmodel) in a session kept open."""
    from ..convert.freeze import signature_key
    from ..convert.tf1_savedmodel import TF1_LOADER, V1SavedModel, load

    loaded = load(path)
    if isinstance(loaded, V1SavedModel):
        try:
            key, ins, outs = loaded.tensors(signature)
        except InvalidRequest:
            loaded.close()
            raise
        runner = GraphRunner(loaded.session, ins, outs, path, "tf-savedmodel")
        runner.warnings.append(f"signature '{key}' loaded with the {TF1_LOADER}: "
                               f"{loaded.tf2_error[:120]}")
        return runner
    sigs = dict(loaded.signatures)
    return SignatureRunner(loaded, signature_key(sigs, signature, path), path)
