"""Follow the system's light or dark colour scheme.

On macOS, Windows 11 and desktops with a Qt platform theme, Qt already switches the palette and
our widgets follow through PaletteChange (the histogram re-themes itself). Where the platform
only reports the scheme (`QStyleHints.colorScheme()`, e.g. GNOME through the desktop portal) while
the style keeps a light palette, we apply a dark Fusion palette ourselves, and undo it when the
system goes back to light.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

_applied: dict[str, object] = {"dark": False, "style": "", "following": False}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    """Fusion's colours for a dark window (the palette Qt's own Fusion dark mode uses)."""
    p = QPalette()
    window, base, text = QColor(45, 45, 45), QColor(30, 30, 30), QColor(230, 230, 230)
    role = QPalette.ColorRole
    for r, c in ((role.Window, window), (role.WindowText, text), (role.Base, base),
                 (role.AlternateBase, QColor(40, 40, 40)), (role.ToolTipBase, window),
                 (role.ToolTipText, text), (role.Text, text), (role.Button, window),
                 (role.ButtonText, text), (role.BrightText, QColor(255, 80, 80)),
                 (role.Highlight, QColor(42, 130, 218)), (role.HighlightedText, QColor("white")),
                 (role.Link, QColor(90, 160, 240)), (role.PlaceholderText, QColor(140, 140, 140))):
        p.setColor(r, c)
    disabled = QColor(120, 120, 120)
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return p


def apply(app: QApplication, scheme: Qt.ColorScheme) -> None:
    """Make the palette match `scheme` when Qt did not already."""
    if scheme == Qt.ColorScheme.Dark and not is_dark(app.palette()):
        _applied["style"] = app.style().name()
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
        _applied["dark"] = True
    elif scheme != Qt.ColorScheme.Dark and _applied["dark"]:
        if _applied["style"]:
            app.setStyle(str(_applied["style"]))
        app.setPalette(app.style().standardPalette())
        _applied["dark"] = False


def follow_system(app: QApplication) -> None:
    """Apply the current scheme now and whenever the system changes it."""
    hints = QGuiApplication.styleHints()
    apply(app, hints.colorScheme())
    if not _applied.get("following"):  # make_app may run more than once (tests)
        hints.colorSchemeChanged.connect(lambda scheme: apply(app, scheme))
        _applied["following"] = True
