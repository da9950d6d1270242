"""Command line front end. The CLI and the GUI call the same core functions.

Exit codes: 0 success; 1 `scan` found something; 2 the file cannot be read or the request is
invalid, with one line `kinspect: FILE: what is wrong` on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import KinspectError

SUBCOMMANDS = ("info", "convert", "scan", "run", "compare")
# --screenshot --view: the tree, the Graph tab (Netron), or a page of the document by its title.
SCREENSHOT_VIEWS = ("tree", "netron", "summary", "safety", "outputs", "run")
EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one `kinspect: …` line instead of a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"kinspect: {message}\n")


def gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kinspect", description="Inspect and convert Keras and TensorFlow "
                     "model files. Subcommands: info, convert, scan, run, compare (see "
                     "kinspect CMD --help).")
    parser.add_argument("file", nargs="?", help="model file or SavedModel folder to open")
    parser.add_argument("--version", action="version", version=f"kinspect {__version__}")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="open FILE, write a PNG of the window once shown, and exit")
    parser.add_argument("--view", choices=SCREENSHOT_VIEWS, default="tree",
                        help="what --screenshot shows: the tree, the Graph tab, or a page")
    parser.add_argument("--install-desktop", action="store_true",
                        help="register kinspect as the handler of model files for this user")
    parser.add_argument("--uninstall-desktop", action="store_true")
    return parser


def _version_number(text: str) -> int:
    """TF Serving version folders are whole numbers >= 0 (0 is a valid version)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not '{text}'")
    return int(text)


def command_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kinspect")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    info = sub.add_parser("info", help="summary of a model file")
    info.add_argument("file")
    info.add_argument("--arch", help="architecture file to pair with a weights-only FILE")
    info.add_argument("--json", action="store_true")
    convert = sub.add_parser("convert", help="convert SRC to DST")
    convert.add_argument("src")
    convert.add_argument("dst")
    convert.add_argument("--to", dest="target", help="target format id (default: from DST)")
    convert.add_argument("--arch", help="architecture file to pair with a weights-only SRC")
    convert.add_argument("--outputs", help="output node names, comma-separated, ':0' optional")
    convert.add_argument("--signature", help="SavedModel signature key to freeze")
    convert.add_argument("--serving-version", type=_version_number, metavar="N",
                         help="tf-savedmodel: TF Serving version folder DST/N (default 1)")
    convert.add_argument("--signature-name", metavar="KEY",
                         help="tf-savedmodel: key of the serving signature "
                         "(default serving_default)")
    convert.add_argument("--quantize", metavar="DTYPE",
                         help="tfjs-layers / tfjs-graph: float16, uint8 or uint16 weights; "
                         "tflite: dynamic, float16 or int8")
    convert.add_argument("--shard-size", type=int, metavar="BYTES",
                         help="tfjs targets: weight shard size (default 4194304)")
    convert.add_argument("--calibration", metavar="INPUTS",
                         help="tflite --quantize int8: representative inputs (a folder of "
                         "images, an .npz; default random, with a warning)")
    convert.add_argument("--verify", action="store_true")
    convert.add_argument("--json", action="store_true")
    convert.add_argument("--force", action="store_true", help="overwrite an existing DST")
    convert.add_argument("--trust-code", action="store_true",
                         help="allow loading a model that holds code (Lambda, custom objects)")
    scan = sub.add_parser("scan", help="safety findings")
    scan.add_argument("file")
    scan.add_argument("--json", action="store_true")
    from .run.cli import add_arguments as run_arguments

    run_arguments(sub.add_parser("run", help="run a model on inputs (images, .npy, JSON)"))
    from .compare.cli import add_arguments as compare_arguments

    compare_arguments(sub.add_parser("compare", help="structure, weights, outputs and "
                                     "layer-by-layer differences of two models"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            args = command_parser().parse_args(args_list)
            return _COMMANDS[args.command](args)
        return _gui(gui_parser().parse_args(args_list))
    except KinspectError as exc:
        print(f"kinspect: {exc.one_line()}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kinspect: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # `kinspect info FILE | head`: the reader left; say nothing more, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _info(args: argparse.Namespace) -> int:
    from .formats import open_document
    from .report import human_info

    if args.arch:
        from .formats.keras.pairing import open_pair

        doc = open_pair(args.file, args.arch)
    else:
        doc = open_document(args.file)
    if args.json:
        print(json.dumps(doc.to_json(), indent=1, default=str))
    else:
        print(human_info(doc))
    return EXIT_OK


def _convert(args: argparse.Namespace) -> int:
    from .convert.cli import run_convert

    if getattr(args, "calibration", None):  # kinspect run's loaders (run sits above convert)
        from .run.calibration import load

        args.calibration_loader = load
    if getattr(args, "verify", False):  # a failed --verify names the first diverging layer
        from .compare.verify_hook import first_divergence_text

        args.divergence_finder = first_divergence_text

    return run_convert(args)


def _scan(args: argparse.Namespace) -> int:
    from .safety.cli import run_scan

    return run_scan(args)


def _run(args: argparse.Namespace) -> int:
    from .run.cli import run_run

    return run_run(args)


def _compare(args: argparse.Namespace) -> int:
    from .compare.cli import run_compare

    return run_compare(args)


_COMMANDS = {"info": _info, "convert": _convert, "scan": _scan, "run": _run,
             "compare": _compare}


def _gui(args: argparse.Namespace) -> int:
    if args.install_desktop or args.uninstall_desktop:
        from .desktop import install_desktop, uninstall_desktop

        report = (install_desktop if args.install_desktop else uninstall_desktop)()
        verb = "installed" if args.install_desktop else "removed"
        print("\n".join([f"kinspect: desktop integration {verb}:", *report.lines()]))
        return EXIT_OK
    if args.screenshot and not args.file:
        print("kinspect: --screenshot needs a FILE", file=sys.stderr)
        return EXIT_ERROR
    from .ui.app import run_app

    return run_app(args.file, screenshot=args.screenshot, view=args.view)


if __name__ == "__main__":
    sys.exit(main())
