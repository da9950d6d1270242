"""`load(path) -> Runner`: the one entry point that checks trust and loads any runnable file.

Formats are detected from content by the same registry as `kinspect info`; Keras files load
through the converter's loader (every vintage, Keras 3 then tf_keras), graphs through the
converter's freeze helpers, so running and converting read a file the same way.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidRequest, UnsafeContent
from ..progress import NO_PROGRESS, Progress
from .runner import Runner

KERAS_FORMATS = ("keras-h5", "keras")
ARCH_ONLY = ("keras-json", "keras-yaml")


def load(path: str, *, arch: str | None = None, signature: str | None = None,
         outputs: list[str] | None = None, trust_code: bool = False,
         progress: Progress = NO_PROGRESS) -> Runner:
    """PATH (with ARCH for a weights-only file) as a Runner. Raises UnsafeContent when the
    scan finds code, custom objects or file operations and TRUST_CODE is not set;
    InvalidRequest / FormatError / ConvertError with the file otherwise."""
    from ..convert.sources import source_format

    progress.step(0.02, "detecting the format")
    fmt = source_format(path)
    progress.step(0.05, "checking the file for code")
    warnings = _require_trust(path, arch, trust_code)
    progress.step(0.1, "loading TensorFlow")
    runner = _load(path, fmt, arch, signature, outputs, trust_code, progress)
    runner.warnings[:0] = warnings
    progress.step(1.0, "loaded")
    return runner


def _require_trust(path: str, arch: str | None, trust: bool) -> list[str]:
    from ..convert.trust import require_code_trust

    found: list[str] = []
    for part in (path, arch):
        if part is None:
            continue
        try:
            found += require_code_trust(part, trust, file_ops=True)
        except UnsafeContent as exc:
            exc.message = exc.message.replace("loading it runs them",
                                              "running the model runs them")
            raise
    return [f"trusted: {d}" for d in found]


def _load(path: str, fmt: str, arch: str | None, signature: str | None,
          outputs: list[str] | None, trust: bool, progress: Progress) -> Runner:
    if fmt in KERAS_FORMATS or fmt == "keras-weights-h5" or fmt in ARCH_ONLY:
        return _keras(path, fmt, arch, trust, progress)
    if fmt == "tf-savedmodel":
        return _savedmodel(path, signature, trust, progress)
    if fmt == "tf-graphdef":
        return _graphdef(path, outputs, progress)
    if fmt == "tf-checkpoint":
        from .checkpoint_runner import load_checkpoint

        progress.step(0.2, "restoring the checkpoint")
        return load_checkpoint(path, outputs)
    if fmt == "tflite":
        from .tflite_runner import TFLiteRunner

        return TFLiteRunner(path)
    if fmt == "onnx":
        from .onnx_runner import OnnxRunner

        return OnnxRunner(path)
    if fmt in ("tfjs-layers", "tfjs-graph"):
        from .tfjs_runner import TFJSRunner

        progress.step(0.2, "loading the model in TensorFlow.js (Node)")
        return TFJSRunner(path, fmt)
    raise InvalidRequest(f"{fmt} files cannot be run (nothing to execute)", path)


def _keras(path: str, fmt: str, arch: str | None, trust: bool, progress: Progress) -> Runner:
    from ..convert import keras_load
    from ..convert.sources import source_format
    from .keras_runner import KerasRunner

    progress.step(0.2, "loading the Keras model")
    if fmt in KERAS_FORMATS and not arch:
        loaded = keras_load.load_model(path, fmt, trust)
    elif arch and fmt == "keras-weights-h5":
        loaded = keras_load.load_pair(path, arch, source_format(arch), trust)
    elif arch and fmt in ARCH_ONLY:
        loaded = keras_load.load_pair(arch, path, fmt, trust)
        path = arch
    elif fmt in ARCH_ONLY:
        raise InvalidRequest("architecture only, no weights: pass the weights file and this "
                             "one with --arch", path)
    else:
        raise InvalidRequest("weights only: pass its architecture with --arch FILE", path)
    runner = KerasRunner(loaded.model, loaded.lib, path, fmt)
    runner.warnings += loaded.warnings
    return runner


def _savedmodel(path: str, signature: str | None, trust: bool, progress: Progress) -> Runner:
    from ..convert.sources import savedmodel_dir
    from .savedmodel_runner import load_signature

    folder = savedmodel_dir(path)
    progress.step(0.2, "loading the SavedModel")
    try:
        return load_signature(folder, signature)
    except InvalidRequest as exc:
        if "no signatures" not in exc.message or signature:
            raise
    return _keras_savedmodel(path, folder, trust)


def _keras_savedmodel(path: str, folder: str, trust: bool) -> Runner:
    """A Keras-written SavedModel without signatures (TensorFlow.NET): tf_keras loads it."""
    from ..convert import keras_load
    from .keras_runner import KerasRunner

    loaded = keras_load.load_model(folder, "tf-savedmodel", trust)
    runner = KerasRunner(loaded.model, loaded.lib, path, "tf-savedmodel")
    runner.warnings += loaded.warnings
    return runner


def _graphdef(path: str, outputs: list[str] | None, progress: Progress) -> Runner:
    from ..convert.freeze import from_graphdef
    from .graph_runner import GraphRunner, graph_session

    progress.step(0.2, "importing the graph")
    frozen = from_graphdef(path, outputs)
    if frozen.warnings and any("holds variables" in w for w in frozen.warnings):
        raise InvalidRequest("the graph holds variables without values (not frozen): run "
                             "its checkpoint (.meta with the variables) or a frozen graph",
                             path)
    ins = {n: n for n in frozen.inputs}
    runner = GraphRunner(graph_session(frozen.graph_def), ins, {n: n for n in frozen.outputs},
                         path, "tf-graphdef")
    runner.warnings += frozen.warnings
    return runner


def describe(runner: Any) -> str:
    """One line: format, inputs, outputs (for logs and the window's status)."""
    ins = ", ".join(f"{s.name} {s.dtype}{s.shape_text()}" for s in runner.inputs.values())
    return f"{runner.format}: {ins} -> {', '.join(runner.outputs)}"
