"""Copy buttons: every name kinspect shows (node, tensor, signature key, curl line) can be
copied exactly, with one click."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton


def copy_button(text: str, tip: str) -> QPushButton:
    button = QPushButton("Copy")
    button.setToolTip(f"{tip}: {text}")
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
    return button
