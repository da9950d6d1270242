"""Render resources/icons/kinspect.svg into the PNG sizes desktops and PyInstaller want.

Run from the project root: `.venv/bin/python resources/make_icons.py`. Qt's own SVG renderer
is used so that no extra tool (Inkscape, rsvg) is needed; PNGs are written with the highest
zlib compression Qt offers to keep the committed files small.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
ICONS = Path(__file__).resolve().parent / "icons"


def render(svg: Path, size: int) -> QImage:
    """One square, antialiased rendering of `svg` at `size` pixels."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    svg = ICONS / "kinspect.svg"
    for size in SIZES:
        out = ICONS / f"kinspect-{size}.png"
        if not render(svg, size).save(str(out), "PNG", 0):
            raise SystemExit(f"make_icons: cannot write {out}")
        print(f"{out.relative_to(ICONS.parent.parent)}  {out.stat().st_size} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
