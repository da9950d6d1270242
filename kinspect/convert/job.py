"""One conversion's context: the source loaded once, lazily, in the form a target needs.

A target asks for `job.keras` (a live Keras model) or `job.frozen` (a frozen GraphDef); each
is built on first use, so targets that copy data (JSON, YAML, weights) load nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import ConvertError, InvalidRequest, UnsafeContent
from ..progress import Progress
from . import freeze
from .keras_load import KerasModel, load_model, load_pair
from .result import ConvertReport
from .sources import checkpoint_parts, savedmodel_dir, source_format
from .trust import check_graph_bounds, require_code_trust

KERAS_MODEL_FORMATS = ("keras-h5", "keras")
GRAPH_TARGETS = ("tf-graphdef", "tflite", "onnx", "tf-savedmodel", "tfjs-graph")
KERAS_FILE_TARGETS = ("keras-h5", "keras", "keras-weights-h5",  # whole model, never pruned
                      "tfjs-layers")


@dataclass
class Options:
    """Everything a conversion can be told; the GUI fills the same fields as the CLI."""

    arch: str | None = None  # architecture file for a weights-only source
    outputs: list[str] | None = None  # node names, `:0` optional
    signature: str | None = None  # SavedModel signature to freeze
    verify: bool = False
    force: bool = False
    trust_code: bool = False
    version: int = 1  # TF Serving version folder
    signature_name: str = "serving_default"  # key of the SavedModel's serving signature
    opset: int | None = None  # ONNX opset (tf2onnx's default when None)
    quantize: str | None = None  # tfjs: float16|uint8|uint16; tflite: dynamic|float16|int8
    shard_size: int | None = None  # tfjs weight shard bytes (4 MiB when None)
    calibration: str | None = None  # tflite int8: representative inputs (folder, .npz, ...)
    # (specs, source, model name) -> one array per input: kinspect.run's loaders, handed in by
    # the front ends (kinspect.run sits above kinspect.convert)
    calibration_loader: Callable[..., list[Any]] | None = None
    # (src, result, arch, tolerance, trust_code) -> text naming the first diverging layer when
    # --verify fails: kinspect.compare's, handed in by the front ends (compare sits above)
    divergence_finder: Callable[..., str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Options:
        values = dict(values or {})
        known = {k: values.pop(k) for k in list(values) if k in cls.__dataclass_fields__}
        outputs = known.get("outputs")
        if isinstance(outputs, str):
            known["outputs"] = [o for o in outputs.split(",") if o.strip()]
        return cls(**known, extra=values)


class Job:
    def __init__(self, src: str, dst: str, target: str, options: Options,
                 progress: Progress, fmt: str | None = None) -> None:
        self.src = os.path.abspath(src)
        self.dst = os.path.abspath(dst)
        self.target = target
        self.options = options
        self.progress = progress
        self.format = fmt or source_format(self.src)
        self.report = ConvertReport(self.src, self.dst, self.format, target)

    @property
    def is_keras_savedmodel(self) -> bool:
        return self.format == "tf-savedmodel" and os.path.isfile(
            os.path.join(self.savedmodel, "keras_metadata.pb"))

    @cached_property
    def savedmodel(self) -> str:
        return str(savedmodel_dir(self.src))

    @cached_property
    def has_keras_model(self) -> bool:
        if self.is_keras_savedmodel and self.target in GRAPH_TARGETS:
            # A Keras SavedModel tf_keras cannot read (e.g. written by TensorFlow.NET) is
            # still a SavedModel: graph targets fall back to its signatures.
            try:
                _ = self.keras
            except ConvertError as exc:
                self.report.warnings.append(f"used as a plain SavedModel: {exc.message}")
                return False
            return True
        return self.format in KERAS_MODEL_FORMATS or self.is_keras_savedmodel or (
            self.format == "keras-weights-h5" and self.options.arch is not None)

    @cached_property
    def keras(self) -> KerasModel:
        """The source as a live Keras model (runs the code check first)."""
        self.progress.step(0.1, "loading the Keras model")
        if self.format == "keras-weights-h5":
            if not self.options.arch:
                raise InvalidRequest("weights-only file: pass the architecture with --arch",
                                     self.src)
            km = load_pair(self.src, self.options.arch, source_format(self.options.arch),
                           self.options.trust_code)
            self.report.weights_report = km.weights_report
        elif self.format == "tf-savedmodel":
            km = load_model(self.savedmodel, self.format, self.options.trust_code)
        elif self.format in KERAS_MODEL_FORMATS:
            km = load_model(self.src, self.format, self.options.trust_code)
        else:
            raise InvalidRequest(f"{self.format} is not a Keras model; convert it to a graph "
                                 "format (tf-graphdef, tflite, onnx)", self.src)
        self.report.loaded_with = km.lib
        self.report.warnings += km.warnings
        return km

    @cached_property
    def keras3_model(self) -> Any:
        """The source as a Keras 3 model: a tf_keras one is rebuilt (config upgraded, weights
        copied by layer name)."""
        km = self.keras
        if km.lib == "keras":
            return km.model
        from .upgrade import to_keras3

        model = to_keras3(km.model, self.report.warnings)
        self.report.warnings.append("rebuilt as a Keras 3 model (config upgraded, weights "
                                    "copied by layer name)")
        return model

    @cached_property
    def layer_outputs(self) -> list[str]:
        """`outputs` when every one names a layer of the Keras model, else []."""
        names = [freeze.node_name(o) for o in self.options.outputs or []]
        if not names or not self.has_keras_model:
            return []
        layers = {layer.name for layer in self.keras.model.layers}
        return names if all(n in layers for n in names) else []

    @cached_property
    def submodel(self) -> Any:
        """The Keras model cut at `layer_outputs`: same inputs, those layers' outputs."""
        model = self.keras.model
        lib = __import__(self.keras.lib)
        outs = [model.get_layer(n).output for n in self.layer_outputs]
        ins = model.inputs
        return lib.Model(ins[0] if len(ins) == 1 else ins, outs[0] if len(outs) == 1 else outs)

    @cached_property
    def source_graphdef(self) -> Any:
        """A GraphDef source, parsed once (freezing and --verify both use it)."""
        return freeze.read_graphdef(self.src)

    @cached_property
    def loaded_savedmodel(self) -> Any:
        """The SavedModel loaded once (freezing and --verify both use it), trust checked."""
        from . import tf1_savedmodel

        self._require_load_trust(self.savedmodel)
        loaded = tf1_savedmodel.load(self.savedmodel)
        self.report.loaded_with, notes = tf1_savedmodel.loader_note(loaded)
        self.report.warnings += notes
        return loaded

    @cached_property
    def full_frozen(self) -> freeze.Frozen:
        """A Keras model or SavedModel signature frozen whole, before any --outputs pruning."""
        if self.has_keras_model:
            return freeze.from_keras(self.keras.model)
        from . import tf1_savedmodel

        loaded = self.loaded_savedmodel
        if isinstance(loaded, tf1_savedmodel.V1SavedModel):
            return tf1_savedmodel.freeze_signature(loaded, self.options.signature)
        return freeze.from_savedmodel(self.savedmodel, self.options.signature, loaded)

    @cached_property
    def frozen(self) -> freeze.Frozen:
        """The source as a frozen GraphDef, pruned to --outputs when given."""
        self.progress.step(0.3, "freezing the graph")
        outputs = self.options.outputs
        if self.has_keras_model and self.layer_outputs:
            # Keras layer names (picked in the window): freeze the sub-model ending there.
            frozen = freeze.from_keras(self.submodel)
        elif self.has_keras_model or self.format == "tf-savedmodel":
            frozen = self.full_frozen
            if outputs:
                frozen = freeze.Frozen(freeze.prune(frozen.graph_def, outputs), frozen.inputs,
                                       [freeze.tensor_name(o) for o in outputs],
                                       warnings=frozen.warnings)
        elif self.format == "tf-checkpoint":
            self._require_load_trust(checkpoint_parts(self.src)[0])
            frozen = freeze.from_checkpoint(self.src, outputs)
        elif self.format == "tf-graphdef":
            frozen = freeze.from_graphdef(self.src, outputs, self.source_graphdef)
        else:
            raise InvalidRequest(f"cannot make a TensorFlow graph from {self.format}", self.src)
        check_graph_bounds(frozen.graph_def, self.src)  # before any converter expands it
        self.report.warnings += frozen.warnings
        if frozen.output_aliases:
            self.report.output_aliases = frozen.output_aliases
        return frozen

    def _require_load_trust(self, scanned: str) -> None:
        """Loading a SavedModel runs its TF1 main op; restoring a checkpoint runs the meta
        graph's restore op: refuse when the scan finds code or file ops there, unless trusted."""
        try:
            found = require_code_trust(scanned, self.options.trust_code, file_ops=True)
        except UnsafeContent as exc:
            exc.path = self.src  # the file the user named, not the part scanned
            raise
        self.report.warnings += [f"trusted file operations: {d}" for d in found]

    def reference(self, arrays: list[Any]) -> list[Any]:
        """The source's own outputs on ARRAYS (run as the source, not as our result)."""
        from . import verify

        if self.has_keras_model and self.layer_outputs:
            return verify.run_keras(self.submodel, arrays)
        if self.has_keras_model:
            source = verify.run_keras(self.keras.model, arrays)
        elif self.format == "tf-savedmodel":
            source = self._run_signature(arrays)
        elif self.format == "tf-graphdef":
            return verify.run_graph(self.source_graphdef, self.frozen.inputs,
                                    self.frozen.outputs, arrays)
        elif self.format == "tf-checkpoint":
            return freeze.run_checkpoint(self.src, self.frozen.inputs, self.frozen.outputs,
                                         arrays)
        else:
            raise InvalidRequest(f"cannot run {self.format} as a reference", self.src)
        if not self.options.outputs or self.target in KERAS_FILE_TARGETS:
            return source
        return self._inner_reference(source, arrays)

    def _run_signature(self, arrays: list[Any]) -> list[Any]:
        """The chosen signature of the loaded SavedModel on ARRAYS, by whichever loader."""
        from . import tf1_savedmodel, verify

        loaded = self.loaded_savedmodel
        if isinstance(loaded, tf1_savedmodel.V1SavedModel):
            return loaded.run(self.options.signature, arrays)
        sigs = loaded.signatures
        key = freeze.signature_key(sigs, self.options.signature, self.src)
        return verify.run_signature(sigs[key], arrays)

    def _inner_reference(self, source: list[Any], arrays: list[Any]) -> list[Any]:
        """Inner --outputs have no counterpart in the Keras model or signature: check the
        whole freeze against the source on its final outputs, then take the chosen nodes'
        values from that checked, unpruned graph."""
        from . import verify

        full = self.full_frozen
        values = verify.run_graph(full.graph_def, full.inputs,
                                  list(full.outputs) + list(self.frozen.outputs), arrays)
        ends, inner = values[:len(full.outputs)], values[len(full.outputs):]
        diffs = verify.max_abs_diffs(list(full.outputs), source, ends)
        if not verify.within(diffs, source, verify.TOLERANCE):
            raise ConvertError(f"verification failed: the frozen graph differs from the source "
                               f"on its outputs (max_abs_diff {diffs}); nothing written",
                               self.src)
        self.report.warnings.append(
            "--outputs inside the model: the freeze was checked against the source on its "
            f"final outputs (max_abs_diff {max(diffs.values(), default=0.0):.3g}), the chosen "
            "nodes against the unpruned frozen graph")
        return inner
