"""The QtWebEngine side of the Graph page: an off-the-record profile that only reaches
127.0.0.1, Netron's page with our bootstrap script, and click reports from the page.

Imported only when QtWebEngine exists (netron_view falls back to "Open in browser" otherwise).
"""

from __future__ import annotations

import json
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QWidget

from . import js as netron_js

_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_LOCAL_SCHEMES = ("data", "blob", "about", "qrc")


class LocalOnly(QWebEngineUrlRequestInterceptor):
    """Blocks every request that leaves this computer (Netron's telemetry, update check, fonts)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.blocked: list[str] = []  # what the page tried to reach (tests assert on it)

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt
        url = info.requestUrl()
        if url.scheme() in _LOCAL_SCHEMES:
            return
        if url.scheme() in ("http", "https", "ws", "wss") and url.host() in _LOCAL_HOSTS:
            return
        self.blocked.append(url.toString())
        info.block(True)


_profile: QWebEngineProfile | None = None
_interceptor: LocalOnly | None = None


def chromium_flags() -> None:
    """Add the flags the embedded Chromium needs, before the first profile starts it (that is
    when QtWebEngine reads QTWEBENGINE_CHROMIUM_FLAGS):

    - `--disable-gpu`: with GPU compositing, the GL driver (Mesa's llvmpipe here, radeonsi on AMD)
      loads a shared libLLVM into our process, and a later `import tensorflow` (Convert, Freeze)
      then crashes in the static initialisers of TensorFlow's own LLVM (measured here: SIGSEGV in
      `_GLOBAL__sub_I_DebugInfoMetadata.cpp`). Netron draws SVG, software compositing is enough.
      KINSPECT_WEBENGINE_GPU=1 keeps the GPU.
    - `--no-sandbox` for root only: Chromium aborts the whole process otherwise ("Running as root
      without --no-sandbox is not supported"), common in containers. What runs in the page is
      Netron's bundled code, and requests off this computer are blocked.
    """
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    if not os.environ.get("KINSPECT_WEBENGINE_GPU") and "--disable-gpu" not in flags:
        flags.append("--disable-gpu")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in flags:
        flags.append("--no-sandbox")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)


def profile() -> QWebEngineProfile:
    """One off-the-record profile for all Graph pages, owned by the application."""
    global _profile, _interceptor
    if _profile is None:
        chromium_flags()
        app = QApplication.instance()
        _profile = QWebEngineProfile(app)  # no storage name: off the record
        _interceptor = LocalOnly(_profile)
        _profile.setUrlRequestInterceptor(_interceptor)
        _profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    return _profile


class NetronPage(QWebEnginePage):
    """Netron's page; `node_clicked(name)` when a node is clicked in the drawing,
    `node_activated(name)` when it is double-clicked."""

    node_clicked = Signal(str)
    node_activated = Signal(str)  # double-clicked (the scope view opens / closes groups)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(profile(), parent)
        script = QWebEngineScript()
        script.setName("kinspect-netron-bootstrap")
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentReady)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        script.setSourceCode(netron_js.BOOTSTRAP)
        self.scripts().insert(script)
        settings = self.settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls,
                              False)

    def javaScriptConsoleMessage(self, level, message: str, line: int,  # noqa: ANN001, N802
                                 source: str) -> None:
        opened = netron_js.MESSAGE_PREFIX + "open:"
        if message.startswith(opened):
            try:
                name = json.loads(message[len(opened):])
            except ValueError:
                return
            if isinstance(name, str) and name:
                self.node_activated.emit(name)
            return
        prefix = netron_js.MESSAGE_PREFIX + "select:"
        if message.startswith(prefix):
            try:
                name = json.loads(message[len(prefix):])
            except ValueError:
                return
            if isinstance(name, str) and name:
                self.node_clicked.emit(name)


def make_web_view(parent: QWidget) -> tuple[QWebEngineView, NetronPage]:
    view = QWebEngineView(parent)
    page = NetronPage(view)
    view.setPage(page)
    return view, page


def blocked_requests() -> list[str]:
    """Outside URLs Netron's pages tried to reach (and were refused) in this process."""
    return list(_interceptor.blocked) if _interceptor is not None else []
