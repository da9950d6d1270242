"""`kinspect convert SRC DST [--to ID] ...`: the CLI face of registry.convert."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import KinspectError
from ..progress import Progress
from .job import Options
from .registry import convert


def run_convert(args: argparse.Namespace) -> int:
    """Convert, print the report (human or --json); errors propagate as KinspectError, which
    kinspect.cli turns into one `kinspect: FILE: what is wrong` line and exit 2."""
    import logging

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
        version=1 if getattr(args, "serving_version", None) is None else args.serving_version,
        signature_name=getattr(args, "signature_name", None) or "serving_default",
        quantize=getattr(args, "quantize", None),
        shard_size=getattr(args, "shard_size", None),
        calibration=getattr(args, "calibration", None),
        calibration_loader=getattr(args, "calibration_loader", None),
        divergence_finder=getattr(args, "divergence_finder", None),
    )
    with quiet_native_stderr():
        report = convert(args.src, args.dst, getattr(args, "target", None), options,
                         Progress())
    if getattr(args, "json", False):
        print(json.dumps(report.to_json(), indent=1, default=str))
    else:
        print(report.human())
    sys.stdout.flush()
    return 0


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """TensorFlow's C++ runtime logs to fd 2 whatever TF_CPP_MIN_LOG_LEVEL says (oneDNN,
    CUDA probes); the CLI contract wants one `kinspect: ...` line on stderr. Capture fd 2
    while converting; give the log back only when something unexpected escapes (a bug),
    or always with KINSPECT_DEBUG=1."""
    if os.environ.get("KINSPECT_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        failed_unexpectedly = False
        try:
            yield
        except KinspectError:
            raise
        except BaseException:
            failed_unexpectedly = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if failed_unexpectedly:
                log.seek(0)
                sys.stderr.write(log.read().decode("utf-8", "replace"))
