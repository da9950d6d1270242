"""A TensorFlow graph in a v1 Session kept open: GraphDefs, TF1 checkpoints (restored) and
TF1 SavedModels (loaded by the v1 loader). Layers are node output tensors (`node:0`), fetched
in the same `Session.run` as the outputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .runner import Runner, RunResult, TensorSpec

# Ops whose outputs are not activations: constants, variables, bookkeeping, saving.
_SKIP_OPS = frozenset({
    "Const", "NoOp", "Placeholder", "PlaceholderWithDefault", "VariableV2", "Variable",
    "VarHandleOp", "Assign", "AssignVariableOp", "ReadVariableOp", "SaveV2", "RestoreV2",
    "Save", "Restore", "RestoreSlice", "SaveSlices", "MergeV2Checkpoints",
    "ShardedFilename", "StringJoin", "IsVariableInitialized", "VarIsInitializedOp",
})
_SKIP_PREFIXES = ("save/", "save_", "gradients/", "train/", "init", "report_uninitialized")


class GraphRunner(Runner):
    """INPUTS / OUTPUTS: {display name: tensor name}; SESSION already holds the graph (and
    restored variables)."""

    def __init__(self, session: Any, inputs: dict[str, str], outputs: dict[str, str],
                 path: str, fmt: str) -> None:
        super().__init__()
        self.session, self.path, self.format = session, path, fmt
        self._in, self._out = inputs, outputs
        graph = session.graph
        self.inputs = {name: _spec(name, graph.get_tensor_by_name(t))
                       for name, t in inputs.items()}
        self.outputs = list(outputs)
        self._layers: list[str] | None = None

    @property
    def output_tensors(self) -> dict[str, str]:
        return dict(self._out)

    def layer_names(self) -> list[str]:
        if self._layers is None:
            self._layers = [t.name for op in self.session.graph.get_operations()
                            if op.type not in _SKIP_OPS and not op.name.startswith(_SKIP_PREFIXES)
                            for t in op.outputs if t.dtype.is_numpy_compatible
                            and t.dtype != "resource"]
        return self._layers

    def _run(self, feeds: dict[str, np.ndarray], layers: list[str]) -> RunResult:
        feed = {self._in[n]: a for n, a in feeds.items()}
        fetch = list(self._out.values()) + layers
        values = self.session.run(fetch, feed_dict=feed)
        n = len(self._out)
        return RunResult(dict(zip(self.outputs, (np.asarray(v) for v in values[:n]),
                                  strict=True)),
                         dict(zip(layers, (np.asarray(v) for v in values[n:]), strict=True)))

    def close(self) -> None:
        self.session.close()


def _spec(name: str, tensor: Any) -> TensorSpec:
    shape = tensor.shape
    dims = None if shape.rank is None else tuple(shape.as_list())
    return TensorSpec(name, dims, np.dtype(tensor.dtype.as_numpy_dtype).name)


def graph_session(graph_def: Any) -> Any:
    """A Session on GRAPH_DEF imported with no name prefix."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    return tf.compat.v1.Session(graph=graph)


def tensor_names(names: list[str]) -> dict[str, str]:
    """Display names (as the user gives them, `:0` optional) -> tensor names."""
    from ..graph.outputs import tensor_name

    return {n: tensor_name(n) for n in names}
