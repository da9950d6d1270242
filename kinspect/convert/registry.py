"""The exporters and the one `convert` entry point that the CLI and File > Save As call.

    exporters_for(document_or_path) -> [Exporter]    targets this source can go to
    exporter(target_id) -> Exporter                  id, label, suffixes, dialog_filter, options
    target_for(dst) -> target id                     from DST's name (`--to` overrides)
    convert(src, dst, target=None, options=None, progress=NO_PROGRESS) -> ConvertReport

Every output is atomic (see atomic.py): on error or cancel nothing is left at DST.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import Cancelled, ConvertError, InvalidRequest, KinspectError
from ..progress import NO_PROGRESS, Progress
from . import targets as t
from . import tfjs, tflite_quant
from .atomic import atomic_path
from .job import KERAS_FILE_TARGETS, Job, Options
from .result import ConvertReport
from .sources import GRAPH_SOURCES as GRAPH
from .sources import KERAS_SOURCES as KERAS
from .sources import source_format
from .trust import (
    confined_sources,
    confinement_warnings,
    refuse_reads_outside,
    run_confined,
)
from .verify import TFLITE_TOLERANCE, TOLERANCE

# What a waiting confined child imports before its job (see safety/confine.py `warm`).
CHILD_WARM = ("kinspect.convert.targets", "tensorflow", "keras")


@dataclass(frozen=True)
class Option:
    """One option of an exporter, described for a dialog (name = Options field)."""

    name: str
    kind: str  # "bool", "str", "int", "list", "path"
    default: Any
    help: str
    choices: tuple[str, ...] = ()  # a "str" option that takes one of these (or none)


COMMON = (Option("verify", "bool", False, "run source and result on the same inputs"),
          Option("trust_code", "bool", False, "allow loading a model that holds code"),
          Option("force", "bool", False, "overwrite an existing destination"))
OUTPUTS = Option("outputs", "list", None, "output node names (':0' optional)")
SIGNATURE = Option("signature", "str", None, "SavedModel signature to freeze")
ARCH = Option("arch", "path", None, "architecture file for a weights-only source")
TFJS_QUANTIZE = Option("quantize", "str", None, "quantize weights: float16, uint8 or uint16",
                       tfjs.QUANTIZE)
SHARD_SIZE = Option("shard_size", "int", None, "weight shard size in bytes (default 4 MiB)")
TFLITE_QUANTIZE = Option("quantize", "str", None, "quantize: dynamic, float16 or int8 (the "
                         "report compares it with the float model, layer by layer)",
                         tflite_quant.MODES)
CALIBRATION = Option("calibration", "path", None, "int8: representative inputs (a folder of "
                     "images, an .npz); random when empty, which calibrates nothing")


@dataclass(frozen=True)
class Exporter:
    id: str
    label: str
    suffixes: tuple[str, ...]  # first is the default; () for a folder
    accepts: tuple[str, ...]  # source format ids
    write: Callable[[Job, str], None]
    run: Callable[[Job, str, list[Any]], list[Any]] | None  # result runner for --verify
    options: tuple[Option, ...] = COMMON
    tolerance: float = TOLERANCE

    @property
    def is_dir(self) -> bool:
        return not self.suffixes

    @property
    def dialog_filter(self) -> str:
        """Qt file dialog filter, e.g. `Keras HDF5 (*.h5 *.hdf5)`."""
        if self.is_dir:
            return f"{self.label} (folder)"
        return f"{self.label} ({' '.join('*' + s for s in self.suffixes)})"


EXPORTERS: tuple[Exporter, ...] = (
    Exporter("keras-h5", "Keras HDF5", (".h5", ".hdf5"), KERAS, t.write_keras_h5,
             t.run_keras_file, COMMON + (ARCH,)),
    Exporter("keras", "Keras 3 (.keras)", (".keras",), KERAS, t.write_keras, t.run_keras_file,
             COMMON + (ARCH,)),
    Exporter("keras-weights-h5", "Keras weights", (".weights.h5", ".h5"), KERAS,
             t.write_weights, t.run_weights, COMMON + (ARCH,)),
    Exporter("keras-json", "Keras architecture JSON", (".json",),
             KERAS + ("keras-json", "keras-yaml"), t.write_json, None, COMMON + (ARCH,)),
    Exporter("keras-yaml", "Keras architecture YAML", (".yaml", ".yml"),
             KERAS + ("keras-json", "keras-yaml"), t.write_yaml, None, COMMON + (ARCH,)),
    Exporter("tf-savedmodel", "TF SavedModel (TF Serving layout)", (), KERAS,
             t.write_savedmodel, t.run_savedmodel,
             COMMON + (ARCH, Option("version", "int", 1, "TF Serving version folder"),
                       Option("signature_name", "str", "serving_default",
                              "key of the serving signature (TF Serving's default: "
                              "serving_default)"))),
    Exporter("tf-graphdef", "Frozen TensorFlow graph", (".pb", ".pbtxt"), GRAPH,
             t.write_graphdef, t.run_graphdef, COMMON + (ARCH, OUTPUTS, SIGNATURE)),
    Exporter("tflite", "TensorFlow Lite", (".tflite",), GRAPH, t.write_tflite, t.run_tflite,
             COMMON + (ARCH, OUTPUTS, SIGNATURE, TFLITE_QUANTIZE, CALIBRATION),
             tolerance=TFLITE_TOLERANCE),
    Exporter("onnx", "ONNX (tf2onnx)", (".onnx",), GRAPH, t.write_onnx, t.run_onnx,
             COMMON + (ARCH, OUTPUTS, SIGNATURE, Option("opset", "int", None, "ONNX opset"))),
    Exporter("tfjs-layers", "TensorFlow.js layers model", (), KERAS, tfjs.write_layers,
             tfjs.run, COMMON + (ARCH, TFJS_QUANTIZE, SHARD_SIZE)),
    Exporter("tfjs-graph", "TensorFlow.js graph model", (), GRAPH, tfjs.write_graph, tfjs.run,
             COMMON + (ARCH, OUTPUTS, SIGNATURE, TFJS_QUANTIZE, SHARD_SIZE)),
)


def exporter(target: str) -> Exporter:
    for exp in EXPORTERS:
        if exp.id == target:
            return exp
    raise InvalidRequest(f"unknown target '{target}'; targets: "
                         f"{', '.join(e.id for e in EXPORTERS)}")


def exporters_for(source: Any) -> list[Exporter]:
    """Exporters that accept SOURCE: a Document (its .format) or a path."""
    if isinstance(source, (str, os.PathLike)):  # (a str has a .format method too)
        fmt = source_format(os.fspath(source))
    else:
        fmt = source.format
    return [e for e in EXPORTERS if fmt in e.accepts]


def target_for(dst: str) -> str:
    """The target id DST's name asks for; a name without a known suffix means a folder."""
    name = os.path.basename(dst.rstrip(os.sep)).lower()
    if name.endswith(".weights.h5"):
        return "keras-weights-h5"
    for exp in EXPORTERS:
        if any(name.endswith(s) for s in exp.suffixes):
            return exp.id
    if os.path.splitext(name)[1] == "":
        return "tf-savedmodel"
    ids = ", ".join(e.id for e in EXPORTERS)
    raise InvalidRequest(f"cannot tell the target from the name; pass --to ({ids})", dst)


def convert(src: str, dst: str, target: str | None = None,
            options: Options | dict[str, Any] | None = None,
            progress: Progress = NO_PROGRESS, keep_process: bool = False) -> ConvertReport:
    """Convert SRC to DST. Raises a KinspectError (nothing left at DST) on any failure.

    `keep_process`: convert in a confined process kept for the next conversion of SRC (the
    window's Save As); else in a new one that ends with the conversion (the CLI)."""
    opts = options if isinstance(options, Options) else Options.from_dict(options)
    start = time.perf_counter()
    src = os.fspath(src)
    dst = os.path.abspath(os.fspath(dst))
    if not os.path.exists(src) and not os.path.exists(src + ".meta") \
            and not os.path.exists(src + ".index"):
        raise InvalidRequest("no such file or directory", src)
    fmt = source_format(src)
    exp = exporter(target or target_for(dst))
    if fmt not in exp.accepts:
        raise InvalidRequest(f"cannot convert {fmt} to {exp.id}; {fmt} converts to: "
                             f"{', '.join(e.id for e in EXPORTERS if fmt in e.accepts)}", src)
    for name in ("quantize", "shard_size", "calibration"):  # options only some targets take
        if getattr(opts, name) is not None and name not in {o.name for o in exp.options}:
            raise InvalidRequest(f"--{name.replace('_', '-')} does not apply to {exp.id}", src)
    suffix = _suffix(dst, exp)
    try:
        with atomic_path(dst, opts.force, suffix) as tmp:
            # Loading can run what the scan missed: the job runs in a confined child that
            # reads only the sources and writes only the temporary folder (safety/confine.py).
            reads = (confined_sources(src, fmt, opts.arch) +
                     tflite_quant.calibration_reads(opts.calibration))
            job = (_write, src, dst, exp.id, opts, fmt)
            report = _in_kept_process(job, tmp, reads, opts, progress) if keep_process else \
                run_confined(*job, tmp, read=reads, write=[os.path.dirname(tmp)],
                             progress=progress, warm=CHILD_WARM)
    except KinspectError as exc:
        exc.path = exc.path or src  # the CLI contract: every error line names a file
        raise
    except KeyboardInterrupt:
        raise Cancelled() from None
    report.seconds = time.perf_counter() - start
    return report


def _in_kept_process(job: tuple[Any, ...], tmp: str, reads: list[str], opts: Options,
                     progress: Progress) -> ConvertReport:
    """The job in the confined process kept for these sources (safety/confine_pool.py): it
    writes into its private folder, and the output is moved to TMP from there."""
    import shutil
    import tempfile

    from ..safety.confine_pool import kept_process

    with kept_process(reads, CHILD_WARM, key=(opts.trust_code,)) as (child, folder):
        work = tempfile.mkdtemp(dir=folder)
        try:
            out = os.path.join(work, os.path.basename(tmp))
            report = child.call(*job, out, progress=progress)
            shutil.move(out, tmp)  # a rename on one file system, else a copy
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _write(src: str, dst: str, target: str, opts: Options, fmt: str, tmp: str,
           progress: Progress = NO_PROGRESS) -> ConvertReport:
    """The conversion itself, in the confined child: write, verify, the report."""
    exp = exporter(target)
    job = Job(src, dst, exp.id, opts, progress, fmt)
    try:
        for path in (src, opts.arch):
            if path:
                refuse_reads_outside(path)
        progress.step(0.05, f"converting {fmt} to {exp.id}")
        exp.write(job, tmp)
        progress.step(0.7, "written")
        if opts.verify:
            _verify(job, exp, tmp)
        progress.step(1.0, "done")
    except KinspectError as exc:
        exc.path = exc.path or src
        raise
    except Exception as exc:  # noqa: BLE001 - libraries raise anything: one line for the user
        raise ConvertError(f"{exp.id} conversion failed: {type(exc).__name__}: "
                           f"{' '.join(str(exc).split())[:400]}", src) from exc
    job.report.warnings.extend(confinement_warnings())
    return job.report


def _suffix(dst: str, exp: Exporter) -> str:
    if exp.is_dir:
        return ""
    lower = dst.lower()
    if exp.id == "keras-weights-h5":
        return ".weights.h5"  # Keras 3 insists on it; the file is renamed to DST after
    return next((s for s in exp.suffixes if lower.endswith(s)), exp.suffixes[0])


def _verify(job: Job, exp: Exporter, tmp: str) -> None:
    from . import verify
    from .trust import require_run_trust

    job.progress.step(0.75, "verifying")
    if exp.run is None:  # JSON / YAML: built by the Keras they are for (verify.architecture)
        t.check_arch(job, tmp)
        job.report.verified = True
        return
    if exp.id in KERAS_FILE_TARGETS:  # the live model gives the inputs: no freeze needed
        specs = verify.keras_specs(job.keras.model)
        default_names = t.keras_io_names(job.keras.model)[1]
    else:
        frozen = job.frozen
        if not job.has_keras_model:
            require_run_trust(job.src, frozen.graph_def, job.options.trust_code)
        if any("not frozen" in w for w in frozen.warnings):
            raise InvalidRequest("cannot verify a graph whose variables have no values (not "
                                 "frozen); convert without --verify", job.src)
        specs = verify.graph_specs(frozen.graph_def, frozen.inputs)
        default_names = list(frozen.outputs)
    arrays = verify.sample(specs)
    try:
        expected = job.reference(arrays)
    except Exception as exc:
        unknown = [name for name, shape, _ in specs if shape is None]
        if unknown:
            raise InvalidRequest(f"cannot verify: input {', '.join(unknown)} has no recorded "
                                 "shape and the guess failed; convert without --verify",
                                 job.src) from exc
        raise
    got = exp.run(job, tmp, arrays)
    names = job.report.outputs if len(job.report.outputs) == len(expected) else default_names
    diffs = verify.max_abs_diffs(list(names), expected, got)
    job.report.max_abs_diff = diffs
    # Quantized weights: a looser bound.
    tolerance = tflite_quant.tolerance(job, exp.tolerance) if exp.id == "tflite" else \
        tfjs.tolerance(job, exp.tolerance)
    job.report.tolerance = tolerance
    if not verify.within(diffs, expected, tolerance):
        raise ConvertError(f"verification failed: max_abs_diff {diffs} exceeds {tolerance:g}"
                           f"{verify.divergence_note(job, tmp, tolerance)}; nothing written",
                           job.src)
    job.report.verified = True

