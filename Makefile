# `make run` and `make test` set everything up on a fresh machine (Debian, Python 3.11).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SAMPLE := resources/sample/mnist_cnn.h5
TEST_ENV := QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox \
	TF_CPP_MIN_LOG_LEVEL=2 PYTHONDONTWRITEBYTECODE=1

.PHONY: setup sysdeps run test lint bench sample app clean tfjs

# System packages first: a Debian python3 needs python3-venv before a venv can be made.
setup: sysdeps $(STAMP)

# A venv whose pip does not run (an interrupted `python3 -m venv`) is made again.
$(STAMP): pyproject.toml
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

sysdeps:
	@bash scripts/sysdeps.sh

# Opens the window on the bundled sample. Without a display it writes a screenshot instead.
run: setup
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		$(VENV)/bin/kinspect $(SAMPLE); \
	else \
		mkdir -p build && QT_QPA_PLATFORM=offscreen $(VENV)/bin/kinspect \
			--screenshot build/kinspect-sample.png $(SAMPLE) && \
		echo "No display here: the window was opened offscreen and saved to build/kinspect-sample.png"; \
	fi

# The pure-JS TensorFlow.js runtime (npm registry, lock file committed) that runs and verifies
# TF.js models; skipped with a note when Node is not installed (those tests then skip).
TFJS_DIR := kinspect/data/tfjs
tfjs:
	@if command -v npm >/dev/null 2>&1; then \
		[ -d $(TFJS_DIR)/node_modules/@tensorflow/tfjs ] || \
			(cd $(TFJS_DIR) && npm ci --no-audit --no-fund --loglevel=error); \
	else echo "npm not found: TF.js models cannot be run or verified (install Node 20)"; fi

# pytest's exit code 5 (no test selected) is not a failure of the suite.
test: setup tfjs
	$(VENV)/bin/ruff check kinspect tests resources scripts
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

lint: setup
	$(VENV)/bin/ruff check kinspect tests resources scripts
	$(VENV)/bin/lint-imports

bench: setup
	$(TEST_ENV) $(PY) -m pytest tests/benchmarks -s -p no:cacheprovider --run-bench $(PYTEST_ARGS); \
		rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

sample: setup
	$(PY) resources/make_sample.py $(SAMPLE)

# One-folder app in dist/kinspect/ (big and slow: ~minutes, >1 GB). build/ and dist/ are git-ignored.
app: setup
	$(PY) -m pip install -q -e '.[app]'
	nice -n 10 $(VENV)/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		build_app.spec
	@echo "Built dist/kinspect/kinspect; check it with scripts/check_app.sh"

clean:
	rm -rf build dist .pytest_cache
