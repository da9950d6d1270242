"""Safety scan and the policy for when code from a file may run.

Policy: opening, browsing, `info`, `scan`, the Netron view and exports to JSON/YAML never
deserialise code (no pickle, no marshal, no python YAML tags, no Keras deserialisation of Lambda
or custom objects, no graph execution). Code runs only when the user converts or runs a model
and has explicitly trusted a file whose scan reports code (`Finding.runs_code`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One thing in a file that runs code or reaches the file system or the host."""

    kind: str  # e.g. "lambda-layer", "custom-object", "pickle", "yaml-python-tag", "file-op"
    where: str  # exact location: layer path, zip entry, node name or function/node
    detail: str  # one line a user understands
    runs_code: bool = False  # loading or running it executes Python from the file
    touches_files: bool = False  # running the graph reads/writes files or reaches the host

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail,
                "runs_code": self.runs_code, "touches_files": self.touches_files}


@dataclass
class ScanReport:
    path: str
    format: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def runs_code(self) -> bool:
        return any(f.runs_code for f in self.findings)

    @property
    def touches_files(self) -> bool:
        return any(f.touches_files for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format,
                "findings": [f.to_json() for f in self.findings],
                "runs_code": self.runs_code, "touches_files": self.touches_files}


def scan(path: str | os.PathLike[str]) -> ScanReport:
    """Everything in FILE that runs code or reaches the file system, without running any of it.

    Raises FormatError (naming the file) when the content cannot be read at all.
    """
    from .safety_scan import scan_path

    return scan_path(os.fspath(path))


def run_scan(args: Any) -> int:
    """`kinspect scan FILE [--json]`: 0 clean, 1 findings; errors propagate (exit 2)."""
    report = scan(args.file)
    if getattr(args, "json", False):
        print(json.dumps(report.to_json(), indent=1))
    else:
        print(human_report(report))
    return 1 if report.findings else 0


def human_report(report: ScanReport) -> str:
    lines = [f"{report.path} ({report.format})"]
    if not report.findings:
        lines.append("no findings: no code, no file-system or host ops")
        return "\n".join(lines)
    lines.append(f"{len(report.findings)} finding(s)"
                 + ("; loading this file runs code from it" if report.runs_code else "")
                 + ("; running it touches files or the host" if report.touches_files else ""))
    for f in report.findings:
        lines.append(f"  [{f.kind}] {f.where}: {f.detail}")
    return "\n".join(lines)
