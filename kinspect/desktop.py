"""Register kinspect as the handler of model files for the current user (XDG desktops).

`kinspect --install-desktop` writes the desktop entry, the shared-mime-info package and the
icons under $XDG_DATA_HOME (default ~/.local/share), refreshes the caches with the freedesktop
tools when they are installed, and makes kinspect the default application of its types with
`xdg-mime default`, so that a file manager's double-click opens kinspect. Nothing here needs
root or Qt; `uninstall_desktop()` removes exactly what `install_desktop()` wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidRequest

APP_ID = "kinspect"
DESKTOP_FILE = f"{APP_ID}.desktop"
MIME_FILE = f"{APP_ID}-mime.xml"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
TOOL_TIMEOUT = 60.0


@dataclass
class DesktopReport:
    """What an install or uninstall did: files touched, tools run, problems that were not fatal."""

    files: list[Path] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"  {p}" for p in self.files]
        out += [f"  ran {t}" for t in self.tools]
        out += [f"  warning: {w}" for w in self.warnings]
        return out


def resources_dir() -> Path:
    """Where resources/ is: in a PyInstaller bundle, or beside the package in a checkout."""
    candidates = []
    if os.environ.get("KINSPECT_RESOURCES"):
        candidates.append(Path(os.environ["KINSPECT_RESOURCES"]))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    candidates.append(Path(sys.prefix) / "share" / APP_ID / "resources")
    for candidate in candidates:
        if (candidate / DESKTOP_FILE).is_file():
            return candidate
    raise InvalidRequest("kinspect's resources folder (desktop entry, icons) was not found; "
                         "set KINSPECT_RESOURCES to it", path=str(candidates[-1]))


def icon_path(size: int = 256) -> Path | None:
    """The PNG icon of `size` pixels, for the window icon; None when resources are missing."""
    try:
        path = resources_dir() / "icons" / f"{APP_ID}-{size}.png"
    except InvalidRequest:
        return None
    return path if path.is_file() else None


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def config_home() -> Path:
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".config"


def launcher() -> list[str]:
    """The command that starts this kinspect: the frozen app, the venv's script, or `-m`."""
    if getattr(sys, "frozen", False):
        return [os.path.abspath(sys.executable)]
    beside = Path(sys.executable).parent / APP_ID
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside.absolute())]
    found = shutil.which(APP_ID)
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", APP_ID]


def _exec_quote(arg: str) -> str:
    """Quote one Exec argument by the Desktop Entry spec (then escape `\\` for the string)."""
    arg = arg.replace("%", "%%")  # a literal percent sign; %f stays the field code
    if not re.search(r"[\s\"'\\><~|&;$*?#()`]", arg):
        return arg
    inner = re.sub(r'(["`$\\])', r"\\\1", arg)
    return f'"{inner}"'.replace("\\", "\\\\")


def mime_types(desktop_text: str) -> list[str]:
    """The MimeType= list of a desktop entry."""
    match = re.search(r"^MimeType=(.*)$", desktop_text, re.MULTILINE)
    return [t for t in match.group(1).split(";") if t] if match else []


def desktop_entry(template: str, command: list[str]) -> str:
    """The template with Exec/TryExec pointing at `command`, so no PATH lookup is needed."""
    exec_line = " ".join(_exec_quote(a) for a in command) + " %f"
    text = re.sub(r"^Exec=.*$", lambda _m: f"Exec={exec_line}", template, flags=re.MULTILINE)
    if len(command) == 1:
        # TryExec is a plain string (no quoting, unlike Exec): a quoted path names no program
        # and hides the entry.
        return re.sub(r"^TryExec=.*$", lambda _m: f"TryExec={command[0]}", text,
                      flags=re.MULTILINE)
    return re.sub(r"^TryExec=.*\n", "", text, flags=re.MULTILINE)


def _targets(data: Path) -> dict[str, Path]:
    targets = {"desktop": data / "applications" / DESKTOP_FILE,
               "mime": data / "mime" / "packages" / MIME_FILE,
               "svg": data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"}
    for size in ICON_SIZES:
        targets[f"png{size}"] = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / \
            f"{APP_ID}.png"
    return targets


def _run(report: DesktopReport, *argv: str) -> None:
    """Run a freedesktop tool if it is installed; its failure is a warning, not an error."""
    if shutil.which(argv[0]) is None:
        report.warnings.append(f"{argv[0]} is not installed (Debian: desktop-file-utils, "
                               "shared-mime-info, xdg-utils); skipped")
        return
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        report.warnings.append(f"{argv[0]}: {exc}")
        return
    report.tools.append(" ".join(argv))
    if done.returncode != 0:
        report.warnings.append(f"{argv[0]} exited {done.returncode}: "
                               f"{(done.stderr or done.stdout).strip()[:200]}")


def _refresh(report: DesktopReport, data: Path) -> None:
    _run(report, "update-mime-database", str(data / "mime"))
    _run(report, "update-desktop-database", "-q", str(data / "applications"))
    if shutil.which("gtk-update-icon-cache") and (data / "icons" / "hicolor").is_dir():
        _run(report, "gtk-update-icon-cache", "-q", "-f", "-t", str(data / "icons" / "hicolor"))


def install_desktop() -> DesktopReport:
    """Install the desktop entry, MIME types and icons for this user; make kinspect the default."""
    res = resources_dir()
    data = data_home()
    targets = _targets(data)
    template = (res / DESKTOP_FILE).read_text(encoding="utf-8")
    sources = {"mime": res / MIME_FILE, "svg": res / "icons" / f"{APP_ID}.svg"}
    sources.update({f"png{s}": res / "icons" / f"{APP_ID}-{s}.png" for s in ICON_SIZES})
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise InvalidRequest(f"missing resource files: {', '.join(missing)}", path=str(res))
    report = DesktopReport()
    for key, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if key == "desktop":
            target.write_text(desktop_entry(template, launcher()), encoding="utf-8")
        else:
            shutil.copyfile(sources[key], target)
        report.files.append(target)
    _refresh(report, data)
    _run(report, "xdg-mime", "default", DESKTOP_FILE, *mime_types(template))
    return report


def _drop_defaults(path: Path) -> bool:
    """Remove kinspect.desktop from the associations of a mimeapps.list; True if changed."""
    if not path.is_file():
        return False
    lines, changed = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("[", "#")) and DESKTOP_FILE in value.split(";"):
            kept = [v for v in value.split(";") if v and v != DESKTOP_FILE]
            changed = True
            if not kept:
                continue
            line = f"{key}={';'.join(kept)};"
        lines.append(line)
    if changed:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def uninstall_desktop() -> DesktopReport:
    """Remove what install_desktop() wrote and kinspect's default-application entries."""
    data = data_home()
    report = DesktopReport()
    for target in _targets(data).values():
        if target.is_file():
            target.unlink()
            report.files.append(target)
    for lists in (config_home() / "mimeapps.list", data / "applications" / "mimeapps.list"):
        if _drop_defaults(lists):
            report.files.append(lists)
    _refresh(report, data)
    return report
