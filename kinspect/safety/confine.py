"""Confinement: load and run models in a child process that can read only its sources, write
only its output folder, and reach no network. The second wall behind the scan: a scanner miss
(an op or a Keras class that does more than its name says) cannot write a `.pth` into a Python
environment, read a secret beside the model, or call home.

    from kinspect.safety.confine import run_confined
    result = run_confined(fn, *args, read=[src, arch], write=[out_dir], progress=progress,
                          **kwargs)

`fn` is a module-level function (the child imports it by name), its arguments and result are
picklable; with `progress`, the child calls `fn(*args, progress=<Progress>, **kwargs)` and its
steps reach the parent's Progress (a cancel there kills the child). A KinspectError raised in the
child is raised again in the parent as is; anything else becomes ConfinementError with the
child's one line. `kinspect run` and `compare` wrap their load + run the same way.

What each platform gets (`confinement()` says which, the report shows it):
- Linux with Landlock (kernel 5.13+; used through the `landlock` binding from PyPI): the
  child reads only READ paths, the Python installation (stdlib, site-packages, kinspect) and the
  system's libraries and a few /etc, /proc/self and /sys files; it writes only WRITE folders and
  a private TMPDIR inside the first of them. Network: a new, empty network namespace (unshare;
  as non-root inside a new user namespace), so no socket reaches any host.
- Linux without Landlock (old kernels, some containers): the network namespace only; the report
  says the file system is not confined.
- macOS, Windows: a child process without confinement (no kernel mechanism used here); the
  report says so. The scan and the trust policy are then the only walls.
Cost, measured here (MobileNetV2 alpha 0.35 at 64x64, the same job in-process vs confined,
medians of 5, children forked from the warm server): tflite +8%, onnx +20%, keras +0.8 s
(+50%): each child builds a fresh TensorFlow runtime (eager context, kernels), which cannot be
warmed in the server without starting the threads that would escape the confinement.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import site
import sys
import sysconfig
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import Cancelled, KinspectError

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
POLL_SECONDS = 0.1
SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1"}  # numpy started its one BLAS thread here
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/opt/conda",
               "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
               "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/os-release",
               "/etc/mime.types", "/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat",
               "/proc/sys/kernel", "/proc/sys/vm", "/sys/devices/system/cpu",
               "/sys/fs/cgroup", "/dev/urandom", "/dev/random", "/dev/null", "/dev/zero")
SYSTEM_WRITE = ("/dev/null",)


class ConfinementError(KinspectError):
    """The confined child failed with something that is not a KinspectError, or died."""


def confinement() -> str:
    """What the child gets here, in a few words (for reports)."""
    fs = "file system limited by Landlock" if _landlock_abi() > 0 else \
        "file system NOT confined (no Landlock)"
    net = "network namespace" if sys.platform.startswith("linux") else "network NOT confined"
    return f"child process; {fs}; {net}"


def run_confined(fn: Callable[..., Any], *args: Any, read: Iterable[str] = (),
                 write: Iterable[str] = (), progress: Any = None,
                 warm: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """fn(*args, **kwargs) in a confined child process; its result, or its error raised here.

    `warm`: modules (e.g. "tensorflow") a fork server imports once, on first use; each call then
    forks its child from that server, already warm, and confines it when it receives its job.
    Without it, each call spawns a fresh interpreter (about 0.4 s here)."""
    with ConfinedProcess(read, write, warm) as child:
        return child.call(fn, *args, progress=progress, **kwargs)


class ConfinedProcess:
    """A confined child that answers calls one after another and keeps what they leave in its
    module globals: the Run page loads a model once in it, then runs it many times. A call
    cancelled through its progress kills the child (TensorFlow cannot be interrupted), after
    which every call raises ConfinementError: start a new one."""

    def __init__(self, read: Iterable[str] = (), write: Iterable[str] = (),
                 warm: tuple[str, ...] = ()) -> None:
        self._proc, self._conn = _start(warm)
        self._lock = threading.Lock()
        self._conn.send(([os.path.abspath(p) for p in read],
                         [os.path.abspath(p) for p in write]))

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def call(self, fn: Callable[..., Any], *args: Any, progress: Any = None,
             **kwargs: Any) -> Any:
        """fn(*args, **kwargs) in the child (with `progress`, as run_confined passes it).
        While another call has the child (e.g. the Run page's warm-up), a cancel through
        PROGRESS is honoured at once: nothing was sent yet."""
        while not self._lock.acquire(timeout=POLL_SECONDS):
            if progress is not None:
                progress.check()
        try:
            if not self._proc.is_alive():
                raise ConfinementError("the confined process has ended (cancelled or died)")
            try:
                self._conn.send((fn, args, kwargs, progress is not None))
            except (OSError, ValueError) as exc:
                raise ConfinementError(f"the confined process is gone ({exc})") from exc
            try:
                return _wait(self._proc, self._conn, progress)
            except Cancelled:
                self.close()
                raise
        finally:
            self._lock.release()

    def close(self) -> None:
        """End the child (idempotent); what it held is freed with it."""
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join()
        self._conn.close()

    def __enter__(self) -> ConfinedProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


_lock = threading.Lock()
_server_preload: tuple[str, ...] | None = None


def _start(warm: tuple[str, ...]) -> tuple[Any, Any]:
    """A child that waits for one job: forked from the warm fork server (Linux, `warm`), else
    spawned. OpenBLAS is kept to one thread so the server and its children stay
    single-threaded until confined: Landlock and unshare apply to the calling thread and the
    threads it starts later, not to threads already running. (Measured: after importing
    numpy, TensorFlow, Keras, tf_keras and tf2onnx, one thread with OPENBLAS_NUM_THREADS=1.)"""
    global _server_preload
    with _lock:
        if warm and sys.platform.startswith("linux") and _server_preload in (None, warm):
            ctx = multiprocessing.get_context("forkserver")
            if _server_preload is None:
                ctx.set_forkserver_preload(list(warm))
                _server_preload = warm
        else:
            ctx = multiprocessing.get_context("spawn")  # never fork a Qt/TF process itself
        parent_end, child_end = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_child, args=(child_end,), daemon=True)
        saved = {k: os.environ.get(k) for k in SINGLE_THREAD_ENV}
        os.environ.update(SINGLE_THREAD_ENV)
        try:
            with _main_script_hidden():
                proc.start()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    child_end.close()
    return proc, parent_end


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Start the child without running the parent's main script again. multiprocessing runs
    `__main__.__file__` in every child it starts (as `__mp_main__`); a script without an
    `if __name__ == "__main__"` guard that converts with kinspect would then convert again
    inside the child, and die there. The child runs only kinspect's functions, so it needs no
    main script: the file is hidden while the child starts. `python -m` mains (imported by
    module name, guarded, e.g. kinspect's own) are left alone."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    hide = path is not None and getattr(main, "__spec__", None) is None
    if hide:
        del main.__file__
    try:
        yield
    finally:
        if hide:
            main.__file__ = path


def _wait(proc: Any, conn: Any, progress: Any) -> Any:
    while True:
        try:
            ready = conn.poll(POLL_SECONDS)
        except (EOFError, OSError):
            ready = False
        if progress is not None:
            try:
                progress.check()
            except Cancelled:
                proc.kill()
                raise
        if ready:
            try:
                kind, *payload = conn.recv()
            except (EOFError, OSError):  # the child closed its end: it is ending
                proc.join(5)
                raise ConfinementError(f"the confined process died ({_how(proc)})") from None
            if kind == "progress":
                if progress is not None:
                    progress.step(*payload)
                continue
            if kind == "ok":
                return payload[0]
            if kind == "error":
                raise payload[0]
            if kind == "failed":
                raise ConfinementError(payload[0])
        if not proc.is_alive() and not _readable(conn):
            raise ConfinementError(f"the confined process died ({_how(proc)})")


def _how(proc: Any) -> str:
    code = proc.exitcode
    return f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"


def _readable(conn: Any) -> bool:
    """Whether an answer waits in CONN (False once it is closed: the child was ended)."""
    try:
        return bool(conn.poll(0))
    except (EOFError, OSError):
        return False


class _PipeProgress:
    """The child's Progress: steps go to the parent (which owns cancelling)."""

    cancelled = False

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def check(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def step(self, fraction: float, message: str = "") -> None:
        self._conn.send(("progress", fraction, message))


def _child(conn: Any) -> None:
    """Answer calls until the pipe closes; confined from the first call on, once that call's
    function is imported (its module is the parent's choice, e.g. a test's probe)."""
    try:
        read, write = conn.recv()
    except (EOFError, OSError, KeyboardInterrupt):
        return  # the parent went away before giving the paths
    confined = False
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the parent closed the pipe: done
        try:
            fn, args, kwargs, with_progress = pickle.loads(message)
            if not confined:
                confine(read, write)
                confined = True
        except BaseException as exc:  # noqa: BLE001 - e.g. fn's module cannot be read here
            _answer_failed(conn, exc)
            if not confined:
                return  # never run anything unconfined
            continue
        try:
            if with_progress:
                kwargs = dict(kwargs, progress=_PipeProgress(conn))
            conn.send(("ok", fn(*args, **kwargs)))
        except KinspectError as exc:
            conn.send(("error", exc))
        except BaseException as exc:  # noqa: BLE001 - one line to the parent
            _answer_failed(conn, exc)
        del fn, args, kwargs
        # The job's models are garbage now: collected between jobs, not during the next one
        # (a kept process converting a MobileNet took 1.2-1.4 s every other time, 0.9-1.0 s
        # with this).
        gc.collect()


def _answer_failed(conn: Any, exc: BaseException) -> None:
    if os.environ.get("KINSPECT_DEBUG"):
        traceback.print_exc()
    text = " ".join(str(exc).split())[:400]
    conn.send(("failed", f"{type(exc).__name__}: {text}"))


_confined = False


def is_confined() -> bool:
    """True in a confined child, which cannot start children of its own: nested loads (e.g.
    compare's layer-by-layer run for a failed --verify) run in place, as confined already."""
    return _confined


def confine(read: list[str], write: list[str]) -> None:
    """Apply the confinement to this process (the child calls it first thing)."""
    global _confined
    _confined = True
    if write:
        tmp = tempfile.mkdtemp(prefix="tmp-", dir=write[0])
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = tmp
    if sys.platform.startswith("linux"):
        _no_network()
        if _landlock_abi() > 0:
            _landlock(read + _python_paths(), write)


def _no_network() -> None:
    """A new network namespace holds only a loopback device that is down: nothing to reach."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise ConfinementError(f"cannot cut the network off (unshare: {os.strerror(err)})")


def _landlock_abi() -> int:
    if not sys.platform.startswith("linux"):
        return 0
    try:
        from landlock import landlock_abi_version

        return int(landlock_abi_version())
    except Exception:  # noqa: BLE001 - no binding, old kernel, seccomp'd syscall: no Landlock
        return 0


def _python_paths() -> list[str]:
    """Where this interpreter and its packages live (read-only in the child). Not sys.path as
    a whole: its first entry can be the user's working folder."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}  # kinspect itself
    paths.update(sysconfig.get_paths().values())
    # The interpreter itself; in the built app (PyInstaller) the executable carries the archive
    # of bundled modules that the child imports from, beside its _internal folder.
    paths.add(os.path.abspath(sys.executable))
    if getattr(sys, "frozen", False):
        paths.add(os.path.dirname(os.path.abspath(sys.executable)))
    # Keras's own settings (backend, image data format): read at import, as outside a child.
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    paths.add(os.path.join(keras_home, "keras.json"))
    paths.update(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        paths.add(site.USER_SITE)
    return sorted(p for p in paths if p)


def _landlock(read: list[str], write: list[str]) -> None:
    from landlock import FSAccess, Ruleset

    ruleset = Ruleset()
    read_rights = FSAccess.READ_FILE | FSAccess.READ_DIR | FSAccess.EXECUTE
    file_read = FSAccess.READ_FILE | FSAccess.EXECUTE
    for path in sorted(set(read) | set(SYSTEM_READ)):
        if os.path.exists(path):
            ruleset.allow(path, rules=read_rights if os.path.isdir(path) else file_read)
    for path in sorted(set(write) | set(SYSTEM_WRITE)):
        if os.path.isdir(path):
            ruleset.allow(path, rules=FSAccess.all())
        elif os.path.exists(path):
            ruleset.allow(path, rules=FSAccess.all_file())
    ruleset.apply()
