"""What a finished Save As produced: verification per output, the result's tensor names with
copy buttons, the TF Serving request for a SavedModel, and Open result."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...convert.result import ConvertReport, quantization_lines
from ..clipboard import copy_button


def _alias_text(report: ConvertReport, key: str | None, tensor: str) -> str:
    """`= predictions, shape [None, 1000]`: the pick (or signature key) a tensor stands
    for, and its shape, where the report has them."""
    if key is None:
        return ""
    shape = report.output_shapes.get(key)
    parts = [] if key == tensor.split(":")[0] else [f"output '{key}'"]
    if shape is not None:
        parts.append("shape [" + ", ".join("None" if d is None else str(d) for d in shape) + "]")
    return ", ".join(parts)


class ResultDialog(QDialog):
    def __init__(self, report: ConvertReport, open_path: Callable[[str], object] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.open_path = open_path
        self.setWindowTitle(f"Saved {os.path.basename(report.dst.rstrip(os.sep))}")
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{report.dst}</b><br>{report.target}, from {report.source_format}"
                      f" in {report.seconds:.1f} s"
                      + (f" (loaded with {report.loaded_with})" if report.loaded_with else ""))
        head.setWordWrap(True)
        layout.addWidget(head)
        self.verification = QLabel(self.verification_text())
        self.verification.setWordWrap(True)
        layout.addWidget(self.verification)
        self.names = QGridLayout()
        row = 0
        aliases = {tensor: key for key, tensor in report.output_aliases.items()}
        for title, names in (("Input", report.inputs), ("Output", report.outputs)):
            for name in names:
                self.names.addWidget(QLabel(title), row, 0)
                label = QLabel(name)
                self.names.addWidget(QLabel(_alias_text(report, aliases.get(name), name)),
                                     row, 3)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.names.addWidget(label, row, 1)
                self.names.addWidget(copy_button(name, f"Copy the {title.lower()} name"), row, 2)
                row += 1
        self.names.setColumnStretch(1, 1)
        layout.addLayout(self.names)
        self.serving: QPlainTextEdit | None = None
        if report.serving_request:
            req = report.serving_request
            layout.addWidget(QLabel(f"TF Serving REST request: POST {req['url']}"))
            body = json.dumps(req["body"])  # one example; shown whole only when short
            self.serving = QPlainTextEdit(
                req["curl"] + "\n\n" + (req.get("signature", "") + "\n\n") +
                (f"{req.get('request_file', 'request.json')}: "
                 + (body if len(body) <= 2000 else body[:2000] + f"… ({len(body):,} bytes)")))
            self.serving.setReadOnly(True)
            self.serving.setMaximumHeight(220)
            layout.addWidget(self.serving)
            layout.addWidget(copy_button(req["curl"], "Copy the curl command"))
        self.quantization: QPlainTextEdit | None = None
        if report.quantization:  # sizes and the per-layer error against the float model
            self.quantization = QPlainTextEdit("\n".join(quantization_lines(
                report.quantization)))
            self.quantization.setReadOnly(True)
            self.quantization.setMaximumHeight(180)
            layout.addWidget(self.quantization)
        if report.warnings:
            warn = QLabel("\n".join(f"⚠ {w}" for w in report.warnings))
            warn.setWordWrap(True)
            layout.addWidget(warn)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = buttons.addButton("Open result",
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setEnabled(open_path is not None)
        self.open_button.clicked.connect(self.open_result)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def verification_text(self) -> str:
        r = self.report
        if r.max_abs_diff:
            rows = "".join(f"<tr><td>{name}</td><td align=right>{diff:.3g}</td></tr>"
                           for name, diff in r.max_abs_diff.items())
            return (f"<b>Verified</b> on random inputs (tolerance {r.tolerance:g}):"
                    f"<table><tr><th align=left>output</th><th>max abs diff</th></tr>{rows}"
                    "</table>")
        if r.verified:
            return "<b>Verified</b>: " + "; ".join(r.warnings[:1] or ["read back identical"])
        return "Not verified (tick Verify in Save As to compare source and result)."

    def open_result(self) -> None:
        """Open the result in a new tab of the window."""
        if self.open_path is not None:
            self.open_path(self.report.dst)
            self.accept()
