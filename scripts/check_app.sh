#!/usr/bin/env bash
# Checks the PyInstaller app that `make app` built in dist/kinspect/: version, info on a corpus
# file, a screenshot of every page (tree, Summary, Safety, Outputs, Run, Graph: an error page fails),
# a conversion that imports TensorFlow inside the bundle, and --install-desktop. Too slow for
# CI; tests/test_built_app.py skips when dist/ is absent.
set -eu
cd "$(dirname "$0")/.."
test -x dist/kinspect/kinspect || { echo "check_app: no dist/kinspect/kinspect; run make app"; exit 2; }
export QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox TF_CPP_MIN_LOG_LEVEL=2
mkdir -p build
model=../shared/corpus/keras_h5_full/alphabet_soup_ahmadhha/AlphabetSoupCharity.h5
for view in tree summary safety outputs run netron; do
  dist/kinspect/kinspect --screenshot "build/app-$view.png" --view "$view" "$model" ||
    { echo "check_app: the $view page of the built app failed (see above)"; exit 1; }
done
echo "check_app: screenshots of every page of the built app in build/app-*.png"
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_built_app.py "$@"
