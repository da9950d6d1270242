"""What a safety scan reports: findings, each naming where it is, and the report of a file.

Policy: opening, browsing, `info`, `scan`, the Netron view and exports to JSON/YAML never
deserialise code (no pickle, no marshal, no python YAML tags, no Keras deserialisation of Lambda
or custom objects, no graph execution). Code runs only when the user converts or runs a model
and has explicitly trusted a file whose scan reports code (`Finding.runs_code`).
"""

from __future__ import annotations

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
