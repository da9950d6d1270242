"""One kinspect window per user session: a second `kinspect FILE` hands FILE to the running one.

A file manager starts a new process for every double-click. The first process listens on a
per-user local socket (QLocalServer); later ones connect, send one JSON line `{"open": PATH}`,
wait for `ok` and exit, so the file opens as a tab in the window that is already there. A
socket left behind by a crashed instance is detected (nobody answers) and replaced. On macOS
Finder sends files as QFileOpenEvents instead of arguments; FileOpenFilter handles those, and is
installed only there: an application-wide Python event filter sees every event of every object,
and on Linux (Xvfb, with and without a window manager) it made the Graph tab segfault in
PySide's getWrapperForQObject as soon as QtWebEngine's widgets appeared (issue 15).
"""

from __future__ import annotations

import getpass
import json
import os
import sys

from PySide6.QtCore import QCoreApplication, QDir, QEvent, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500
REPLY_MS = 3000
MAX_SOCKET_PATH = 100  # sun_path is 104-108 bytes depending on the system


def server_name() -> str:
    """Per-user name: a socket in $XDG_RUNTIME_DIR (private to the user and session) if there is
    one, else a name with the user in it in Qt's temp folder (named pipe on Windows)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and os.path.isabs(runtime) and os.path.isdir(runtime):
        candidate = os.path.join(runtime, "kinspect.sock")
        if len(candidate.encode()) <= MAX_SOCKET_PATH:
            return candidate
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return f"kinspect-{''.join(c for c in user if c.isalnum()) or 'user'}"


def send_to_running(path: str | None, name: str | None = None) -> bool:
    """Ask a running kinspect to open `path` (or just to come to the front). True when it
    answered; False when none runs (or it did not answer), so the caller opens its own window."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = {"open": os.path.abspath(path) if path else None}
    socket.write((json.dumps(message) + "\n").encode("utf-8"))
    socket.flush()
    ok = socket.bytesToWrite() == 0 or socket.waitForBytesWritten(REPLY_MS)
    reply = b""
    while ok and not reply.endswith(b"\n") and socket.waitForReadyRead(REPLY_MS):
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return reply.strip() == b"ok"


def _answers(name: str) -> bool:
    socket = QLocalSocket()
    socket.connectToServer(name)
    alive = socket.waitForConnected(CONNECT_MS)
    socket.abort()
    return alive


class InstanceServer(QObject):
    """Listens for later kinspect processes and opens what they send in `window`."""

    file_requested = Signal(str)  # absolute path received from another process
    raise_requested = Signal()

    def __init__(self, window: object, name: str | None = None) -> None:
        super().__init__()
        self.window = window
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self.file_open_filter: FileOpenFilter | None = None

    def listen(self) -> bool:
        """Start listening; replaces a stale socket. False if another live instance owns it."""
        # Asked first: on Unix, Qt's listen() may replace a live server's socket file.
        if _answers(self.name):
            return False
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            self._buffers[socket] = data[-65536:]
            return
        line, _, rest = data.partition(b"\n")
        self._buffers[socket] = rest
        try:
            message = json.loads(line.decode("utf-8"))
            path = message.get("open") if isinstance(message, dict) else None
        except (UnicodeDecodeError, ValueError):
            socket.write(b"error\n")
            return
        if self.window is None:  # not attached yet: let the sender open its own window
            socket.write(b"busy\n")
            return
        socket.write(b"ok\n")
        socket.flush()
        self._bring_to_front()
        if isinstance(path, str) and path:
            self.file_requested.emit(path)
            self.window.open_path(path)  # type: ignore[attr-defined]
        else:
            self.raise_requested.emit()

    def _bring_to_front(self) -> None:
        window = self.window
        if window.isMinimized():  # type: ignore[attr-defined]
            window.showNormal()  # type: ignore[attr-defined]
        window.raise_()  # type: ignore[attr-defined]
        window.activateWindow()  # type: ignore[attr-defined]


class FileOpenFilter(QObject):
    """macOS: Finder's double-click arrives as a QFileOpenEvent on the application."""

    def __init__(self, window: object) -> None:
        super().__init__()
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.FileOpen:
            path = event.file()  # type: ignore[attr-defined]
            if path:
                self.window.open_path(path)  # type: ignore[attr-defined]
                return True
        return super().eventFilter(watched, event)


def _lock_path(name: str) -> str:
    folder = os.path.dirname(name) if os.path.isabs(name) else QDir.tempPath()
    return os.path.join(folder, os.path.basename(name) + ".lock")


def claim(path: str | None, name: str | None = None) -> InstanceServer | None:
    """Become the running instance, or hand `path` to the one that is. Returns a listening
    server (give it the window with `attach`), or None when another instance took the file.

    Several processes start at once when the user opens many files together; a lock file
    makes "is one running? else listen" one step, so exactly one of them listens."""
    name = name or server_name()
    lock = QLockFile(_lock_path(name))
    lock.setStaleLockTime(15_000)
    locked = lock.tryLock(10_000)  # go on without it rather than never open the file
    try:
        if send_to_running(path, name):
            return None
        server = InstanceServer(None, name)
        if server.listen():
            return server
        return None if send_to_running(path, name) else server
    finally:
        if locked:
            lock.unlock()


def takes_file_open_events(platform: str | None = None) -> bool:
    """Only macOS sends QFileOpenEvents (Finder); elsewhere files come as arguments."""
    return (platform or sys.platform) == "darwin"


def attach(server: InstanceServer, window: object, platform: str | None = None) -> InstanceServer:
    """Route what later processes send (and, on macOS, file-open events) to `window`."""
    server.window = window
    app = QCoreApplication.instance()
    if app is not None and server.file_open_filter is None and takes_file_open_events(platform):
        server.file_open_filter = FileOpenFilter(window)
        app.installEventFilter(server.file_open_filter)
    return server


def serve(window: object, platform: str | None = None) -> InstanceServer | None:
    """Make `window` the running instance and take macOS file-open events; returns the server
    (keep a reference), or None if another live instance already listens."""
    server = InstanceServer(window)
    if not server.listen():
        return None
    return attach(server, window, platform)
