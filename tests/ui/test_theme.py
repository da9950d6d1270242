"""The window follows the system's colour scheme when the platform only reports it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kinspect.model import Document, Kind, Node
from kinspect.ui import theme
from kinspect.ui.document_view import DocumentView


def test_dark_scheme_gives_a_dark_palette_and_back(qtbot):
    app = QApplication.instance()
    before = app.palette().color(app.palette().ColorRole.Window).name()
    style_before = app.style().name()
    view = DocumentView(Document("x.h5", "keras-h5", Node(Kind.MODEL, "m", "Model")))
    qtbot.addWidget(view)
    try:
        theme.apply(app, Qt.ColorScheme.Dark)
        qtbot.wait(20)  # palette changes reach widgets as events
        assert theme.is_dark(app.palette())
        assert theme.is_dark(view.palette())
        chart = view.details.tensor_view.chart
        assert chart.theme() == chart.ChartTheme.ChartThemeDark
        theme.apply(app, Qt.ColorScheme.Light)
        qtbot.wait(20)
        assert not theme.is_dark(app.palette())
        assert chart.theme() == chart.ChartTheme.ChartThemeLight
    finally:
        theme.apply(app, Qt.ColorScheme.Light)
    assert app.style().name() == style_before
    assert app.palette().color(app.palette().ColorRole.Window).name() == before
