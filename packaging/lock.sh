#!/usr/bin/env bash
# Refresh packaging/requirements.lock, the exact versions (with hashes) that ./dev, .ci/run and
# packaging/build.sh install, from the ranges in pyproject.toml.
#
#   packaging/lock.sh              after editing pyproject.toml: add, drop or move only the pins
#                                  that pyproject's change needs; every other pin stays
#   packaging/lock.sh --upgrade    every package to the newest version pyproject allows
#   packaging/lock.sh --check      also prove that the lock installs from wheels on every
#                                  system we ship for (see TARGETS below; metadata only)
#
# The lock is universal (one file for Linux, Windows and macOS, Python 3.12+; platform-only
# packages carry markers) and covers the project's dependencies, every extra (gui, test,
# bundle, ...) and the build backend ([build-system] requires, so the editable install needs
# nothing unlocked). It is written by uv (a maintainer tool, not a dependency of the project:
# installed here into .venv-uv/, pinned below; bump UV_VERSION deliberately). Commit the lock
# together with the pyproject.toml change; ./dev refuses a pyproject that the lock does not
# satisfy.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
LOCK=packaging/requirements.lock
TOOLS=.venv-uv
# system, minimum Python and platform tag of every bundle we build (PySide6 6.12's wheels need
# glibc 2.34 on x86_64, 2.39 on aarch64 and macOS 14)
TARGETS="x86_64-manylinux_2_34 aarch64-manylinux_2_39 x86_64-pc-windows-msvc aarch64-apple-darwin"
PYTHONS="3.12 3.13"

upgrade=() check=0
for arg in "$@"; do
    case "$arg" in
        --upgrade) upgrade=(--upgrade) ;;
        --check) check=1 ;;
        *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done

if [ -x "$TOOLS/Scripts/python.exe" ]; then bin="$TOOLS/Scripts"; else bin="$TOOLS/bin"; fi
if [ ! -x "$bin/uv" ] && [ ! -x "$bin/uv.exe" ] || [ "$("$bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    rm -rf "$TOOLS"
    # any Python >= 3.11 (tomllib) will do: uv resolves for 3.12+ whatever runs it
    py=$(command -v python3 || command -v python)
    "$py" -m venv "$TOOLS"
    if [ -x "$TOOLS/Scripts/python.exe" ]; then bin="$TOOLS/Scripts"; else bin="$TOOLS/bin"; fi
    "$bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" 2>&1 \
        | grep -v '^WARNING: Location' || true
    "$bin/uv" --version >/dev/null || { echo "lock: could not install uv==$UV_VERSION" >&2; exit 1; }
fi
UV="$bin/uv"

# the build backend, read from pyproject.toml (uv compiles the [project] table only)
build_requires=$("$bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))')

echo "lock: resolving pyproject.toml (all extras + build backend) for Python >= 3.12, every system" >&2
# the existing lock is the preference: without --upgrade only what pyproject forces moves
printf '%s\n' "$build_requires" | "$UV" pip compile pyproject.toml - \
    --all-extras --universal --python-version 3.12 --generate-hashes \
    --custom-compile-command "packaging/lock.sh" --quiet "${upgrade[@]+"${upgrade[@]}"}" \
    -o "$LOCK"
echo "lock: wrote $LOCK ($(grep -c '==' "$LOCK") pins)" >&2

if [ "$check" = 1 ]; then
    for target in $TARGETS; do
        for v in $PYTHONS; do
            MACOSX_DEPLOYMENT_TARGET=14.0 "$UV" pip compile "$LOCK" --python-platform "$target" \
                --python-version "$v" --only-binary :all: --no-header --no-annotate --quiet \
                -o /dev/null
            echo "lock: installs from wheels on $target, Python $v" >&2
        done
    done
fi
