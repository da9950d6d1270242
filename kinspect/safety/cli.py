"""`kinspect scan FILE [--json]`: the scan report for a terminal or as JSON."""

from __future__ import annotations

import json
from typing import Any

from . import scan
from .findings import ScanReport


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
