"""Docs screenshot of the Run page: InceptionV3 (weights=None) on a photo, Run clicked.

Usage: python scripts/screenshot_run.py MODEL.h5 PHOTO.jpg OUT.png [LABELS]
(make MODEL.h5 with keras.applications.InceptionV3(weights=None).save(...)).
"""

from __future__ import annotations

import sys
import time


def main(model: str, photo: str, out: str, labels: str = "") -> int:
    from PySide6.QtWidgets import QApplication

    from kinspect.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.resize(1280, 860)
    window.show()
    opened = []
    window.document_opened.connect(opened.append)
    window.open_path(model)
    _wait(app, lambda: opened, 120)
    page = opened[0].show_page("Run")
    page.run_button.click()  # loads the model, runs once on random values
    _wait(app, lambda: page.runner is not None and page.task is None, 300)
    next(iter(page.rows.values())).source.setText(photo)
    page.labels.setText(labels)
    page.last = None
    page.run_button.click()
    _wait(app, lambda: page.last is not None and page.task is None, 300)
    _wait(app, lambda: page.tensor_view.stats is not None, 60)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    window.grab().save(out)
    print(page.status.text())
    _wait(app, lambda: page.warming is None, 300)  # TF aborts if its thread dies at exit
    return 0


def _wait(app, done, seconds: float) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
