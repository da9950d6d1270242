"""Converter core: exporters per target, verification, atomic writes. No Qt here, and no
TensorFlow or Keras at import time (they are imported inside a conversion).

API (the CLI and the GUI's File > Save As call the same functions):

    from kinspect.convert import convert, exporters_for, exporter, target_for, Options

    exporters_for(document_or_path) -> list[Exporter]
        Exporter: id, label, suffixes (first = default; () = folder), is_dir, dialog_filter
        ("Keras HDF5 (*.h5 *.hdf5)"), accepts (source format ids), options (Option: name,
        kind, default, help; names are Options fields), tolerance (for --verify).
    target_for(dst) -> target id from DST's name (`--to` overrides).
    convert(src, dst, target=None, options=Options|dict, progress=Progress) -> ConvertReport
        Options: arch, outputs (list; ':0' optional), signature, verify, force, trust_code,
        version (TF Serving folder), opset.
        ConvertReport: inputs/outputs (tensor names of the result), output_aliases,
        max_abs_diff per output + tolerance (with verify), serving_request (url, body, curl),
        weights_report (matched/skipped/mismatched), loaded_with, warnings, to_json().
        Raises KinspectError subclasses: InvalidRequest (existing DST without force, wrong
        pairing, missing --outputs), UnsafeContent (code without trust_code), ConvertError,
        Cancelled (progress.cancel()). Nothing is left at DST after an error.

Modules: registry (exporters, convert), job (lazy source loading), sources (format and
parts of SRC), keras_load + upgrade + weights_match (Keras 3 / tf_keras), freeze (everything
to one frozen GraphDef), targets (writers and result runners), verify, atomic, trust.
"""

from __future__ import annotations

from typing import Any

__all__ = ["convert", "exporters_for", "exporter", "target_for", "Options"]


def __getattr__(name: str) -> Any:
    # Lazy: importing kinspect.convert stays cheap (the registry pulls yaml/numpy only).
    if name in __all__ or name in ("EXPORTERS", "ConvertReport"):
        from . import job, registry, result

        return {"Options": job.Options, "ConvertReport": result.ConvertReport}.get(
            name, getattr(registry, name, None))
    raise AttributeError(name)
