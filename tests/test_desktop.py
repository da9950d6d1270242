"""Desktop integration: the .desktop entry, the MIME package, and `kinspect --install-desktop`
registering kinspect for a throwaway user (temporary HOME / XDG_DATA_HOME / XDG_CONFIG_HOME),
checked with the freedesktop tools themselves (desktop-file-validate, xdg-mime) and with Qt's
shared-mime-info reader for the magic rules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

from kinspect import desktop

from .conftest import ROOT, corpus, run_cli

RES = ROOT / "resources"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
EXTENSIONS = ("h5", "hdf5", "keras", "pb", "pbtxt", "tflite", "onnx", "meta", "index")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed (scripts/sysdeps.sh installs it)")
    return found


@pytest.fixture
def user_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh user: empty home, data and config folders, used by us and by xdg-mime."""
    for tool in ("xdg-mime", "update-mime-database", "update-desktop-database"):
        _tool(tool)
    env = {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    for key, value in env.items():
        Path(value).mkdir()
        monkeypatch.setenv(key, value)
    # xdg-mime picks its back end from the desktop session; the generic one reads mimeapps.list.
    for key in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION",
                "GNOME_DESKTOP_SESSION_ID"):
        monkeypatch.delenv(key, raising=False)
    return env


def _query_default(mime: str) -> str:
    done = subprocess.run([_tool("xdg-mime"), "query", "default", mime], capture_output=True,
                          text=True, timeout=60, check=False)
    return done.stdout.strip()


def _mime_types() -> dict[str, ET.Element]:
    root = ET.parse(RES / "kinspect-mime.xml").getroot()
    return {t.get("type", ""): t for t in root.findall("m:mime-type", NS)}


def test_desktop_entry_validates() -> None:
    done = subprocess.run([_tool("desktop-file-validate"), str(RES / "kinspect.desktop")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""  # not even hints


def test_mime_package_covers_every_extension_and_desktop_type() -> None:
    types = _mime_types()
    globs = {g.get("pattern") for t in types.values() for g in t.findall("m:glob", NS)}
    assert {f"*.{ext}" for ext in EXTENSIONS} <= globs
    names = set(types) | {a.get("type") for t in types.values() for a in t.findall("m:alias", NS)}
    listed = desktop.mime_types((RES / "kinspect.desktop").read_text())
    assert set(listed) == names
    # Ambiguous extensions carry magic.
    for mime in ("application/x-hdf", "application/x-tensorflow-graph",
                 "application/x-tensorflow-metagraph", "application/x-tensorflow-checkpoint-index",
                 "application/x-tflite"):
        assert types[mime].find("m:magic", NS) is not None, mime


def test_icons_are_the_sizes_desktops_use() -> None:
    from PySide6.QtGui import QImage  # reading PNG headers; tests may use Qt

    for size in desktop.ICON_SIZES:
        image = QImage(str(RES / "icons" / f"kinspect-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
    assert ET.parse(RES / "icons" / "kinspect.svg").getroot().tag.endswith("svg")


def test_install_makes_kinspect_the_handler(user_env: dict[str, str]) -> None:
    assert _query_default("application/x-hdf5") == ""
    report = desktop.install_desktop()
    assert not report.warnings, report.warnings
    data = Path(user_env["XDG_DATA_HOME"])
    installed = data / "applications" / "kinspect.desktop"
    assert installed in report.files
    for mime in ("application/x-hdf5", "application/x-hdf", "application/x-keras",
                 "application/x-tensorflow-graph", "application/x-tflite", "application/x-onnx"):
        assert _query_default(mime) == "kinspect.desktop", mime
    done = subprocess.run([_tool("desktop-file-validate"), str(installed)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout
    exec_line = next(x for x in installed.read_text().splitlines() if x.startswith("Exec="))
    program = exec_line[len("Exec="):].split(" %f")[0].split(" ")[0]
    assert os.access(program, os.X_OK), exec_line
    globs = (data / "mime" / "globs2").read_text()
    for ext in EXTENSIONS:
        assert f":*.{ext}\n" in globs, ext
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "kinspect.png").is_file()
    assert "kinspect.desktop" in (data / "applications" / "mimeinfo.cache").read_text()


def test_magic_recognises_misnamed_model_files(user_env: dict[str, str], tmp_path: Path) -> None:
    """Qt's reader of the shared-mime-info database, in a fresh process that sees our user
    database, classifies extension-less copies of real files by our magic rules."""
    desktop.install_desktop()
    files = tmp_path / "files"
    files.mkdir()
    with h5py.File(files / "hdf", "w", userblock_size=512) as f:  # signature at offset 512
        f["w"] = np.zeros(3)
    expected = {"hdf": "application/x-hdf"}
    sources = {
        "tflite": ("tflite/tfserving_half_plus_two/00000123/model.tflite", "application/x-tflite"),
        "keras": ("keras3/flownet_ann_2mdtln/final_model.keras", "application/x-keras"),
        "graph": ("frozen_pb/tf2onnx_regression/frozen.pb", "application/x-tensorflow-graph"),
        "meta": ("tf1_checkpoint/tf2onnx_regression_checkpoint/model.meta",
                 "application/x-tensorflow-metagraph"),
        "index": ("tf1_checkpoint/tf2onnx_regression_checkpoint/model.index",
                  "application/x-tensorflow-checkpoint-index"),
        "sm": ("savedmodel/tfserving_half_plus_two_cpu/00000123/saved_model.pb",
               "application/x-tensorflow-savedmodel"),
    }
    for name, (rel, mime) in sources.items():
        shutil.copyfile(corpus(rel), files / name)
        expected[name] = mime
    script = ("import sys\nfrom PySide6.QtCore import QMimeDatabase\ndb = QMimeDatabase()\n"
              "for p in sys.argv[1:]:\n"
              "    print(db.mimeTypeForFile(p, QMimeDatabase.MatchMode.MatchContent).name())\n")
    names = sorted(expected)
    done = subprocess.run([sys.executable, "-c", script, *(str(files / n) for n in names)],
                          capture_output=True, text=True, timeout=120, check=True,
                          env=dict(os.environ, XDG_DATA_DIRS="/usr/local/share:/usr/share"))
    assert dict(zip(names, done.stdout.split(), strict=True)) == expected


def test_cli_install_then_uninstall(user_env: dict[str, str]) -> None:
    done = run_cli("--install-desktop", env=user_env, timeout=120)
    assert done.returncode == 0, done.stderr
    installed = Path(user_env["XDG_DATA_HOME"]) / "applications" / "kinspect.desktop"
    assert str(installed) in done.stdout
    assert _query_default("application/x-hdf5") == "kinspect.desktop"
    done = run_cli("--uninstall-desktop", env=user_env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not installed.exists()
    assert _query_default("application/x-hdf5") == ""
    left = [p for p in Path(user_env["XDG_DATA_HOME"]).rglob("kinspect*") if p.is_file()]
    assert left == []


def test_uninstall_keeps_other_associations(user_env: dict[str, str]) -> None:
    config = Path(user_env["XDG_CONFIG_HOME"])
    apps = Path(user_env["XDG_DATA_HOME"]) / "applications"
    apps.mkdir(parents=True)
    (apps / "other.desktop").write_text("[Desktop Entry]\nType=Application\nName=Other\n"
                                        "Exec=true %f\nMimeType=text/plain;application/x-hdf;\n")
    (config / "mimeapps.list").write_text("[Default Applications]\ntext/plain=other.desktop;\n")
    desktop.install_desktop()
    assert _query_default("text/plain") == "other.desktop"
    desktop.uninstall_desktop()
    assert (apps / "other.desktop").is_file()
    assert _query_default("text/plain") == "other.desktop"
    assert _query_default("application/x-hdf") != "kinspect.desktop"


def test_exec_line_quotes_paths_with_spaces(tmp_path: Path) -> None:
    template = (RES / "kinspect.desktop").read_text()
    entry = desktop.desktop_entry(template, ["/opt/my apps/kinspect"])
    assert 'Exec="/opt/my apps/kinspect" %f' in entry.splitlines()
    assert "TryExec=/opt/my apps/kinspect" in entry.splitlines()  # a plain string, not quoted
    odd = desktop.desktop_entry(template, ['/opt/100% "x"/kinspect'])
    assert 'Exec="/opt/100%% \\\\"x\\\\"/kinspect" %f' in odd.splitlines()
    module_entry = desktop.desktop_entry(template, ["/usr/bin/python3", "-m", "kinspect"])
    assert "Exec=/usr/bin/python3 -m kinspect %f" in module_entry.splitlines()
    assert "TryExec=" not in module_entry
    for i, text in enumerate((entry, module_entry, odd)):
        path = tmp_path / f"e{i}.desktop"
        path.write_text(text)
        done = subprocess.run([_tool("desktop-file-validate"), str(path)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stdout
