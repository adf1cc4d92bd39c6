#!/usr/bin/env bash
# Build the desktop bundle for THIS system (PyInstaller does not cross-compile) and smoke-test it.
#
#   packaging/build.sh [--strip-python-debug] [smoke_test.py options, e.g. --runs 5]
#     -> dist/planner/ (planner-gui, planner, _internal/); on macOS also dist/Planner.app
#
# Steps: ./dev setup (venv with Python >= 3.12 and the app), the pinned PyInstaller from the
# `bundle` extra, a clean PyInstaller run of packaging/planner.spec, packaging/smoke_test.py,
# then the bundle size. Never run `strip` over the bundle: it breaks numpy's bundled maths
# libraries (the spec sets strip=False everywhere).
#
# --strip-python-debug (Linux, opt-in): removes only the DWARF debug sections of CPython's own
# files (libpython and lib-dynload/*.so), which pyenv-built interpreters ship unstripped
# (~30 MB); numpy, scipy and Qt libraries are never touched. The smoke test runs afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

strip_python_debug=0
if [ "${1:-}" = "--strip-python-debug" ]; then strip_python_debug=1; shift; fi

./dev setup
if [ -x .venv/Scripts/python.exe ]; then PY=.venv/Scripts/python.exe; else PY=.venv/bin/python; fi

# the exact PyInstaller pinned in pyproject's `bundle` extra (installed only when it differs)
if ! "$PY" - <<'PYEOF'
import sys, tomllib
from importlib.metadata import PackageNotFoundError, version
from packaging.requirements import Requirement
reqs = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bundle"]
for text in reqs:
    req = Requirement(text)
    try:
        if version(req.name) not in req.specifier:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PYEOF
then
    echo "build: installing the bundle extra (pinned PyInstaller)" >&2
    "$PY" -m pip install -q --disable-pip-version-check -e ".[gui,bundle]"
fi
echo "build: PyInstaller $("$PY" -m PyInstaller --version)"

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build packaging/planner.spec
echo "build: PyInstaller took $(( $(date +%s) - start )) s"

if [ "$strip_python_debug" = 1 ]; then
    if [ "$(uname -s)" = Linux ] && command -v strip >/dev/null 2>&1; then
        echo "build: removing debug sections from libpython and lib-dynload only" >&2
        find dist/planner/_internal -maxdepth 1 -name 'libpython3*.so*' -type f -exec strip --strip-debug {} +
        find dist/planner/_internal/python3*/lib-dynload -name '*.so' -type f -exec strip --strip-debug {} +
    else
        echo "build: --strip-python-debug applies to Linux builds only; skipped" >&2
    fi
fi

"$PY" packaging/smoke_test.py dist/planner "$@"

echo "build: bundle size: $(du -sh dist/planner | cut -f1) (du -sh dist/planner)"
if [ -d dist/Planner.app ]; then echo "build: app bundle: $(du -sh dist/Planner.app | cut -f1) (dist/Planner.app)"; fi
