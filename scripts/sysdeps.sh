#!/usr/bin/env bash
# Debian packages kinspect's GUI, tests and desktop integration use. Installs only what is
# missing, only as root with apt-get; elsewhere it says what to install and carries on.
set -u
pkgs=(xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0
      fonts-dejavu-core desktop-file-utils xdg-utils shared-mime-info)
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
