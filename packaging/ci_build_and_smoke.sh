#!/usr/bin/env bash
# CI: build this system's bundle and smoke-test the frozen executables; non-zero exit on any
# failure. .ci/run calls it on Linux after the test suite; .github/workflows/bundles.yml calls it
# on Linux, Windows and macOS. About a minute of PyInstaller plus ~15 s of smoke runs here.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
# the Linux bundle must stay within the size the project promises (README, "Desktop bundle")
if [ "$(uname -s)" = Linux ]; then export BUNDLE_MAX_MIB=${BUNDLE_MAX_MIB:-250}; fi
# a bounded run: a hung build or app fails CI instead of stalling it (`timeout` is GNU
# coreutils: Linux and Git Bash have it; elsewhere the CI job's own time limit applies)
bounded=()
if timeout --version >/dev/null 2>&1; then bounded=(timeout 1800); fi  # GNU only
"${bounded[@]+"${bounded[@]}"}" packaging/build.sh --runs 2 --timeout 120
