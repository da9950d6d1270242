"""The trust prompt of File > Save As: a source that holds code (Lambda bytecode, custom
objects), or whose conversion runs ops that read or write files, is converted only after the
user says Yes; the answer defaults to No, and a Yes is passed on as `trust_code`.

The findings come from the document's Safety page when it has scanned (no second scan of a
big graph), else from a scan on a worker (TrustCheck, SaveAsDialog's part that asks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from ...convert.registry import Exporter
from ...convert.targets import loads_model
from ...safety import Finding, ScanReport, scan
from ..workers import Task, start

# Sources whose loading runs ops stored in the file (a SavedModel's TF1 main op or Keras
# restore, a checkpoint's restore op): kinspect.convert calls require_code_trust(...,
# file_ops=True) for them, so ops that touch files need trust as well as code does.
LOADS_STORED_OPS = ("tf-savedmodel", "tf-checkpoint")


def trust_findings(report: ScanReport, source_format: str, verify: bool) -> list[Finding]:
    """The findings kinspect.convert.trust would refuse without trust_code, for a target that
    loads the model: code always; file ops when the source's load runs its stored ops
    (require_code_trust with file_ops) or when Verify runs the graph (require_run_trust)."""
    file_ops = verify or source_format in LOADS_STORED_OPS
    return [f for f in report.findings if f.runs_code or (file_ops and f.touches_files)]


def _what(findings: list[Finding]) -> str:
    code = any(f.runs_code for f in findings)
    files = any(f.touches_files and not f.runs_code for f in findings)
    if code and files:
        return "runs code stored in the file and ops that read or write files"
    return "runs code stored in the file" if code else "runs ops that read or write files"


def ask_trust(parent: QWidget, findings: list[Finding],
              answer: Callable[[bool], None], action: str = "This conversion") -> QMessageBox:
    """Open the (non-blocking) question; `answer(yes)` when the user has chosen. ACTION says
    what asks ("This conversion", "Running")."""
    where = "\n".join(f"• {f.where}: {f.detail}" for f in findings[:8])
    more = f"\n… and {len(findings) - 8} more" if len(findings) > 8 else ""
    box = QMessageBox(QMessageBox.Icon.Warning, "Trust this file?",
                      f"{action} loads or runs the model, which {_what(findings)}:\n\n"
                      f"{where}{more}\n\nGo ahead? Say Yes only if you trust where the "
                      "file comes from.",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setEscapeButton(QMessageBox.StandardButton.No)
    box.finished.connect(lambda code: answer(code == QMessageBox.StandardButton.Yes))
    box.open()
    return box


def refusal(exporter: Exporter, findings: list[Finding], targets: list[str],
            source_format: str, dst: str) -> str:
    """Why the export did not run, and what still works without trust."""
    safe = [t for t in targets if not loads_model(source_format, t, dst, verify=False)]
    names = ", ".join(f.where.rsplit("/", 1)[-1] for f in findings[:4])
    text = (f"Not saved: {exporter.label} loads or runs the model, which {_what(findings)} "
            f"({names}), and this file is not trusted.")
    if safe:
        text += f" Without trust these targets still work: {', '.join(safe)}."
    return text


class TrustCheck:
    """SaveAsDialog's part that decides whether to ask before converting (a mixin: it uses
    the dialog's widgets, values(), run() and `known_report`)."""

    def _check_trust(self, dst: str, force: bool) -> None:
        """Ask for trust when the conversion would load code or run file ops (see
        save_as_trust), from the Safety page's report or a scan on a worker."""
        if self.trusted or not loads_model(self.document.format, self.exporter.id, dst,
                                           bool(self.values().get("verify"))):
            self.run(dst, force)
            return
        self._pending = (dst, force)
        report = self.known_report() if self.known_report is not None else None
        if report is not None:
            self._scanned(report)
            return
        path = self.document.path
        task = Task(lambda _progress: scan(path), path)
        task.signals.finished.connect(self._scanned)  # bound: dropped if the dialog goes
        task.signals.failed.connect(self._scan_failed)
        self.export_button.setEnabled(False)
        self.show_status("Checking the file for code and file operations…")
        start(task, name="kinspect-scan")

    def _scan_failed(self, _message: str, _details: str) -> None:
        self._scanned(None)  # unreadable: the conversion refuses with the scanner's reason

    def _scanned(self, report: ScanReport | None) -> None:
        self.export_button.setEnabled(True)
        dst, force = self._pending
        findings = trust_findings(report, self.document.format,
                                  bool(self.values().get("verify"))) if report else []
        if not findings:
            self.run(dst, force)
            return
        self.trust_box = ask_trust(self, findings,
                                   lambda yes: self._trust_answer(yes, dst, force, findings))

    def _trust_answer(self, yes: bool, dst: str, force: bool, findings: list[Any]) -> None:
        if yes:
            self.trusted = True
            self.run(dst, force)
        else:
            self.show_status(refusal(self.exporter, findings, self.targets(),
                                     self.document.format, dst))
            self.failed.emit(self.status.text())
