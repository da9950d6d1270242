#!/usr/bin/env bash
# Debian packages kinspect's GUI, tests and desktop integration use. Installs only what is
# missing, only as root with apt-get; elsewhere it says what to install and carries on.
set -u
# Qt's xcb and offscreen platforms, fonts, and what QtWebEngine's Chromium loads (checked with
# ldd on PySide6 6.12's libraries); then desktop integration and the screenshot display.
pkgs=(xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0
      libegl1 libfontconfig1 fonts-dejavu-core
      libnss3 libnspr4 libgbm1 libxcomposite1 libxdamage1 libxtst6 libxrandr2 libxkbfile1
      libxshmfence1 libdbus-1-3 libwayland-server0
      desktop-file-utils xdg-utils shared-mime-info)
# ALSA's library was renamed in Debian 13 (libasound2t64).
if apt-cache show libasound2t64 >/dev/null 2>&1; then pkgs+=(libasound2t64); else pkgs+=(libasound2); fi
# Debian's own python3 makes venvs only with python3-venv (a pyenv or python.org build has it).
"${PYTHON:-python3}" -c "import ensurepip, venv" 2>/dev/null || pkgs+=(python3-venv)
# TensorFlow.js verification runs the pure-JS @tensorflow/tfjs under Node; a Node already on PATH
# (this machine image has Node 20) is used as it is.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "sysdeps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/kinspect-apt.log 2>&1 ||
   { apt-get update -q >/dev/null 2>&1 &&
     apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/kinspect-apt.log 2>&1; }) ||
    echo "sysdeps: apt-get failed (see /tmp/kinspect-apt.log); GUI tests that need these will skip"
else
  echo "sysdeps: please install: ${missing[*]}"
fi
exit 0
