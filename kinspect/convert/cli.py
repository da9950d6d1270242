"""`kinspect convert SRC DST [--to ID] ...`: the CLI face of registry.convert."""

from __future__ import annotations

import argparse
import json
import sys

from ..progress import Progress
from .job import Options
from .registry import convert


def run_convert(args: argparse.Namespace) -> int:
    """Convert, print the report (human or --json); errors propagate as KinspectError, which
    kinspect.cli turns into one `kinspect: FILE: what is wrong` line and exit 2."""
    import logging
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    options = Options(
        arch=getattr(args, "arch", None),
        outputs=[o for o in (getattr(args, "outputs", None) or "").split(",") if o.strip()]
        or None,
        signature=getattr(args, "signature", None),
        verify=bool(getattr(args, "verify", False)),
        force=bool(getattr(args, "force", False)),
        trust_code=bool(getattr(args, "trust_code", False)),
    )
    report = convert(args.src, args.dst, getattr(args, "target", None), options, Progress())
    if getattr(args, "json", False):
        print(json.dumps(report.to_json(), indent=1, default=str))
    else:
        print(report.human())
    sys.stdout.flush()
    return 0
