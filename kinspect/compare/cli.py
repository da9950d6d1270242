"""`kinspect compare A B`: exit 0 when A and B agree within tolerance, 1 when they differ."""

from __future__ import annotations

import argparse
import json

from .tolerance import DEFAULT_ATOL, DEFAULT_RTOL, Tolerance

EXIT_EQUAL, EXIT_DIFFERENT = 0, 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--arch-a", help="architecture file to pair with a weights-only A")
    p.add_argument("--arch-b", help="architecture file to pair with a weights-only B")
    p.add_argument("--input", action="append", default=[], metavar="NAME=SOURCE",
                   help="input values (.npy, FILE.npz:key, image, JSON, random); default: "
                   "seeded random, as convert --verify")
    p.add_argument("--atol", type=float, default=DEFAULT_ATOL)
    p.add_argument("--rtol", type=float, default=DEFAULT_RTOL)
    p.add_argument("--no-run", action="store_true", help="structure and weights only")
    p.add_argument("--json", action="store_true")
    p.add_argument("--trust-code", action="store_true",
                   help="allow running models that hold code (Lambda, custom objects)")


def run_compare(args: argparse.Namespace) -> int:
    import os

    from ..convert.cli import quiet_native_stderr
    from .comparison import compare
    from .report import human, to_json

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Running both models happens in a confined child (comparison.run_both_confined); its
    # TensorFlow logs to fd 2, which the CLI contract keeps for one `kinspect: ...` line.
    with quiet_native_stderr():
        result = compare(args.a, args.b, arch_a=args.arch_a, arch_b=args.arch_b,
                         inputs=args.input, tol=Tolerance(args.atol, args.rtol),
                         run=not args.no_run, trust_code=args.trust_code)
    if args.json:
        print(json.dumps(to_json(result), indent=1))
    else:
        print(human(result))
    return EXIT_EQUAL if result.equal else EXIT_DIFFERENT
