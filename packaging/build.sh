#!/usr/bin/env bash
# Build the desktop bundle for THIS system (PyInstaller does not cross-compile) and smoke-test it.
# Linux, macOS and Windows (Git Bash); the three-system CI workflow runs exactly this.
#
#   packaging/build.sh [smoke_test.py options, e.g. --runs 5 --timeout 120]
#     -> dist/planner/ (planner-gui, planner, _internal/); on macOS also dist/Planner.app
#
# Steps: ./dev setup (.venv with Python >= 3.12 and exactly packaging/requirements.lock,
# PyInstaller included), a clean PyInstaller run of packaging/planner.spec, the frozen smoke test
# (packaging/smoke_test.py), then the bundle's size by component (packaging/bundle_size.py).
# Never run `strip` over the bundle: it breaks numpy's bundled maths libraries. The spec itself
# does the only safe trimming of binaries (packaging/bundle_trim.py).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--strip-python-debug" ]; then
    echo "build: --strip-python-debug is the default now (planner.spec strips CPython's debug sections)" >&2
    shift
fi

./dev setup
if [ -x .venv/Scripts/python.exe ]; then PY=.venv/Scripts/python.exe; else PY=.venv/bin/python; fi
echo "build: PyInstaller $("$PY" -m PyInstaller --version) (pinned in packaging/requirements.lock)"

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build packaging/planner.spec
echo "build: PyInstaller took $(( $(date +%s) - start )) s"

"$PY" packaging/smoke_test.py dist/planner "$@"

"$PY" packaging/bundle_size.py dist/planner ${BUNDLE_MAX_MIB:+--max-mib "$BUNDLE_MAX_MIB"}
if [ -d dist/Planner.app ]; then "$PY" packaging/bundle_size.py dist/Planner.app; fi
