"""PySide6 6.12.0's `Signal.emit()` returned True without a reference: on Python 3.11 each emit
stole one reference to True, and after about 570 emits (progress reports, worker results) the
window aborted with "Fatal Python error: bool_dealloc". pyproject.toml pins a PySide6 that
counts right; this test fails on one that does not, in a child process so the abort cannot take
pytest down."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, threading
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
signals = Signals()
got = []
signals.progress.connect(lambda f, m: got.append(f))
signals.finished.connect(got.append)
before = sys.getrefcount(True), sys.getrefcount(None)
def work():
    for i in range(3000):
        signals.progress.emit(i / 3000, "step")
    signals.finished.emit(None)
for _ in range(3000):
    signals.progress.emit(0.5, "main thread")
worker = threading.Thread(target=work)
worker.start()
while worker.is_alive():
    app.processEvents()
app.processEvents()
after = sys.getrefcount(True), sys.getrefcount(None)
print(len(got), before[0] - after[0], before[1] - after[1])
"""


def test_signal_emits_keep_reference_counts():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    received, lost_true, lost_none = map(int, proc.stdout.split())
    assert received == 6001
    assert lost_true < 50 and lost_none < 50  # 6,000 emits must not drain either
