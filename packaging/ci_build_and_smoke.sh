#!/usr/bin/env bash
# CI: build the Linux bundle and smoke-test the frozen executables; non-zero exit on any failure.
# Called by .ci/run after the test suite. About a minute of PyInstaller plus ~10 s of smoke runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
if [ "$(uname -s)" != Linux ]; then
    echo "ci_build_and_smoke: Linux only (build macOS/Windows bundles on those systems)" >&2
    exit 0
fi
# a bounded run: a hung build or app fails CI instead of stalling it
# STRIP_PYTHON_DEBUG=1 (set by .ci/run) removes only CPython's own debug sections (see build.sh)
extra=()
[ "${STRIP_PYTHON_DEBUG:-0}" = 1 ] && extra=(--strip-python-debug)
timeout 900 packaging/build.sh "${extra[@]}" --runs 2 --timeout 120
