"""`kinspect run MODEL [--input NAME=SOURCE]... [--json] ...`: load, read inputs, run, report."""

from __future__ import annotations

import argparse
import json
import sys

from .preprocess import MODES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument("--arch", help="architecture file to pair with a weights-only MODEL")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="[NAME=]SOURCE",
                        help="an input's values: FILE.npy, FILE.npz[:KEY], an image or a "
                        "folder of images, FILE.json or a JSON array, or random")
    parser.add_argument("--outputs", help="graph outputs, comma-separated, ':0' optional")
    parser.add_argument("--signature", help="SavedModel signature key (default "
                        "serving_default)")
    parser.add_argument("--preprocess", choices=MODES,
                        help="for images (default: guessed from the model, else none)")
    parser.add_argument("--labels", help="class names: one per line, or an ImageNet JSON index")
    parser.add_argument("--top", type=int, default=5, metavar="K")
    parser.add_argument("--layers", metavar="all|N1,N2",
                        help="also return these layers' (graph tensors') values")
    parser.add_argument("--save", metavar="OUT.npz", help="write inputs, outputs and layers")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trust-code", action="store_true",
                        help="allow running a model that holds code or file operations")


def run_run(args: argparse.Namespace) -> int:
    """Errors propagate as KinspectError: one `kinspect: FILE: ...` line, exit 2."""
    import logging
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    from ..convert.cli import quiet_native_stderr
    from . import report, session
    from .oneshot import run_file_confined

    labels = report.load_labels(args.labels) if args.labels else None
    outputs = [o for o in (args.outputs or "").split(",") if o.strip()] or None
    # Running executes the model: load + run happen in a confined child (issue 22) that reads
    # only the model and the inputs; --save writes in this process, from the returned arrays.
    with quiet_native_stderr():
        shot = run_file_confined(args.model, args.input, arch=args.arch,
                                 signature=args.signature, outputs=outputs,
                                 preprocess=args.preprocess, layers=args.layers,
                                 trust_code=args.trust_code)
    if args.save:
        session.save_npz(args.save, shot.inputs, shot.result)
    out = report.run_json(args.model, shot.format, shot.inputs, shot.result.outputs,
                          shot.result.layers,
                          {"load": shot.load_seconds, "inference": shot.run_seconds},
                          max(0, args.top), labels, shot.output_tensors)
    if args.json:
        out["warnings"] = shot.warnings
        print(json.dumps(out, indent=1))
    else:
        print(report.human(out, shot.warnings))
    sys.stdout.flush()
    return 0
