"""The trust prompt of File > Save As: a source that holds code (Lambda bytecode, custom
objects) is loaded only after the user says Yes; the answer defaults to No."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from ..convert.registry import Exporter
from ..safety import Finding, scan
from .save_as_dialog import needs_code


def code_findings(path: str) -> list[Finding]:
    """What in PATH runs code when the model is loaded (kinspect.safety.scan, no code run)."""
    try:
        report = scan(path)
    except Exception:  # noqa: BLE001 - unreadable: the conversion reports its own error
        return []
    return [f for f in report.findings if f.runs_code]


def ask_trust(parent: QWidget, findings: list[Finding],
              answer: Callable[[bool], None]) -> QMessageBox:
    """Open the (non-blocking) question; `answer(yes)` when the user has chosen."""
    where = "\n".join(f"• {f.where}: {f.detail}" for f in findings[:8])
    more = f"\n… and {len(findings) - 8} more" if len(findings) > 8 else ""
    box = QMessageBox(QMessageBox.Icon.Warning, "Trust this file?",
                      "This target loads the model, which runs code stored in the file:\n\n"
                      f"{where}{more}\n\nRun this code? Say Yes only if you trust where the "
                      "file comes from.",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setEscapeButton(QMessageBox.StandardButton.No)
    box.finished.connect(lambda code: answer(code == QMessageBox.StandardButton.Yes))
    box.open()
    return box


def refusal(exporter: Exporter, findings: list[Finding], targets: list[str]) -> str:
    """Why the export did not run, and what still works without trust."""
    safe = [t for t in targets if not needs_code(t, {})]
    layers = ", ".join(f.where.rsplit("/", 1)[-1] for f in findings[:4])
    text = (f"Not saved: {exporter.label} needs to load the model, which would run the code "
            f"in {layers}, and this file is not trusted.")
    if safe:
        text += f" Without trust these targets still work: {', '.join(safe)}."
    return text
