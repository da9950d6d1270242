"""The two plots of the Compare view: error by depth, and a histogram of a difference."""

from __future__ import annotations

import math

from PySide6.QtCharts import (
    QAreaSeries,
    QChart,
    QChartView,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter

FLOOR = 1e-12  # log axis: an exact 0 error is drawn at this floor


def chart_view(title: str) -> QChartView:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().hide()
    chart.setMargins(QMargins(4, 4, 4, 4))
    font = chart.titleFont()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    chart.setTitleFont(font)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(160)
    return view


def fresh_chart(view: QChartView) -> QChart:
    """A new chart in VIEW for the next plot: axes removed from a reused chart stayed drawn
    under xcb (two sets of tick labels over each other after the second selection)."""
    old = view.chart()
    chart = QChart()
    chart.setTitle(old.title())
    chart.setTitleFont(old.titleFont())
    chart.legend().hide()
    chart.setMargins(old.margins())
    view.setChart(chart)
    old.deleteLater()
    return chart


def plot_errors(view: QChartView, errors: list[float | None], limits: list[float],
                first: int | None) -> None:
    """log10 of each compared layer's max |a-b| by depth, the tolerance as a grey line, the
    first divergence as a red dot. (A QLogValueAxis drew its labels as "..." at this size.)"""
    chart = fresh_chart(view)
    if not errors:
        return
    line, tol, dot = QLineSeries(), QLineSeries(), QScatterSeries()
    values = [math.log10(FLOOR if e is None or e <= 0 or not math.isfinite(e) else e)
              for e in errors]
    bounds = [math.log10(max(FLOOR, lim)) for lim in limits]
    line.append([QPointF(i, v) for i, v in enumerate(values)])
    tol.append([QPointF(i, v) for i, v in enumerate(bounds)])
    tol.setColor(QColor("#888888"))
    if first is not None:
        dot.append(QPointF(first, values[first]))
    dot.setColor(QColor("#d62728"))
    dot.setMarkerSize(10)
    x_axis = QValueAxis()
    x_axis.setRange(0, max(1, len(values) - 1))
    x_axis.setLabelFormat("%d")
    x_axis.setTitleText("layer (depth)")
    x_axis.setTickCount(min(6, max(2, len(values))))
    y_axis = QValueAxis()
    low, high = min(values + bounds), max(values + bounds)
    y_axis.setRange(math.floor(low) - 0.5, math.ceil(high) + 0.5)
    y_axis.setLabelFormat("%.0f")
    y_axis.setTitleText("log10 max |a-b|")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    for series in (line, tol, dot):
        chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)


def plot_histogram(view: QChartView, counts: list[int], edges: list[float]) -> None:
    """A filled step outline, as the details pane draws a tensor's histogram."""
    chart = fresh_chart(view)
    if not counts:
        return
    upper = QLineSeries()
    points = []
    for i, count in enumerate(counts):
        points += [QPointF(edges[i], count), QPointF(edges[i + 1], count)]
    upper.append(points)
    series = QAreaSeries(upper)
    upper.setParent(series)  # QAreaSeries does not own its edge (see tensor_view._plot)
    chart.addSeries(series)
    x_axis = QValueAxis()
    x_axis.setRange(edges[0], edges[-1])
    x_axis.setTickCount(5)
    x_axis.setLabelFormat("%.3g")
    y_axis = QValueAxis()
    y_axis.setRange(0, max(counts) or 1)
    y_axis.setLabelFormat("%d")
    y_axis.setTickCount(4)
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x_axis)
    series.attachAxis(y_axis)


def histogram_counts(chart: QChart) -> list[float]:
    out: list[float] = []
    for series in chart.series():
        if isinstance(series, QAreaSeries):
            upper = series.upperSeries()
            out += [upper.at(i).y() for i in range(0, upper.count(), 2)]
    return out
