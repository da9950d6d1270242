"""Widgets of the Run page: an input's source row (drop an image or .npy, pick, random) and
the top-K bar chart."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ...run.runner import TensorSpec

SOURCE_FILTER = ("Inputs (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.npy *.npz *.json);;"
                 "All files (*)")


class SourceEdit(QLineEdit):
    """A source path or `random`; files dropped on it replace the text."""

    dropped = Signal(str)

    def __init__(self) -> None:
        super().__init__("random")
        self.setAcceptDrops(True)
        self.setPlaceholderText("drop an image or .npy here, pick a file, or random")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.setText(urls[0])
            self.dropped.emit(urls[0])
            event.acceptProposedAction()


class InputRow(QWidget):
    """One model input: its name, dtype and shape, the source and a preview of its image."""

    def __init__(self, spec: TensorSpec) -> None:
        super().__init__()
        self.spec = spec
        self.source = SourceEdit()
        pick = QPushButton("Pick…")
        pick.clicked.connect(self._pick)
        rand = QPushButton("Random")
        rand.clicked.connect(lambda: self.source.setText("random"))
        self.preview = QLabel()
        self.preview.setFixedSize(72, 72)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(f"<b>{spec.name}</b> {spec.dtype} {spec.shape_text()}")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)
        layout.addWidget(self.source, 1)
        layout.addWidget(pick)
        layout.addWidget(rand)
        layout.addWidget(self.preview)

    def _pick(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Values for {self.spec.name}", "",
                                              SOURCE_FILTER)
        if path:
            self.source.setText(path)

    def show_image(self, image: np.ndarray | None) -> None:
        """The input image as read (0..255, before preprocessing), or nothing."""
        if image is None:
            self.preview.clear()
            return
        data = np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))
        h, w = data.shape[:2]
        if data.ndim == 3 and data.shape[2] == 3:
            qimage = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        else:
            gray = np.ascontiguousarray(data.reshape(h, w))
            qimage = QImage(gray.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
        self.preview.setPixmap(QPixmap.fromImage(qimage).scaled(
            self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))


class TopChart(QChartView):
    """Horizontal bars of the top-K scores of the first batch item, best at the top."""

    def __init__(self) -> None:
        self.chart_ = QChart()
        self.chart_.legend().hide()
        super().__init__(self.chart_)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)
        self.entries: list[dict[str, Any]] = []

    def show_top(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.chart_.removeAllSeries()
        for axis in self.chart_.axes():
            self.chart_.removeAxis(axis)
        if not entries:
            return
        bars = QBarSet("score")
        names = []
        for e in reversed(entries):
            bars.append(float(e["score"]))
            names.append(f"{e.get('label') or e['index']} ({e['score']:.4g})")
        series = QHorizontalBarSeries()
        series.append(bars)
        self.chart_.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append(names)
        axis_y.setTruncateLabels(False)  # "…" for every label otherwise (Qt 6 elides them)
        axis_x = QValueAxis()
        top = max(float(e["score"]) for e in entries)
        axis_x.setRange(min(0.0, min(float(e["score"]) for e in entries)), top or 1.0)
        self.chart_.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        self.chart_.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_y)
        series.attachAxis(axis_x)
