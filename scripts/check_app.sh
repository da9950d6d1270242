#!/usr/bin/env bash
# Checks the PyInstaller app that `make app` built in dist/kinspect/: version, info on a corpus
# file, tree and Netron screenshots, a conversion that imports TensorFlow inside the bundle,
# and --install-desktop. Too slow for CI; tests/test_built_app.py skips when dist/ is absent.
set -eu
cd "$(dirname "$0")/.."
test -x dist/kinspect/kinspect || { echo "check_app: no dist/kinspect/kinspect; run make app"; exit 2; }
export QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox TF_CPP_MIN_LOG_LEVEL=2
mkdir -p build
dist/kinspect/kinspect --screenshot build/app-screenshot.png \
  ../shared/corpus/keras_h5_full/alphabet_soup_ahmadhha/AlphabetSoupCharity.h5
echo "check_app: screenshot of the built app in build/app-screenshot.png"
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_built_app.py "$@"
