"""Safety scan and the policy for when code from a file may run.

Policy: opening, browsing, `info`, `scan`, the Netron view and exports to JSON/YAML never
deserialise code (no pickle, no marshal, no python YAML tags, no Keras deserialisation of Lambda
or custom objects, no graph execution). Code runs only when the user converts or runs a model
and has explicitly trusted a file whose scan reports code (`Finding.runs_code`).

Modules: `findings` (what a scan reports), `scanner` (dispatch by format), `keras` (model
configs), `graph` (graphs and function libraries), `raw` (pickles, YAML tags, zip entries),
`ops` (the op tables both scanners read), `cli` (`kinspect scan`).
"""

from __future__ import annotations

import os

from .findings import Finding, ScanReport

__all__ = ["Finding", "ScanReport", "scan"]


def scan(path: str | os.PathLike[str]) -> ScanReport:
    """Everything in FILE that runs code or reaches the file system, without running any of it.

    Raises FormatError (naming the file) when the content cannot be read at all.
    """
    from .scanner import scan_path

    return scan_path(os.fspath(path))
