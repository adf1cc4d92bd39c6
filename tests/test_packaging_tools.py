"""The lock, the three-system workflow, the size report and the spec's binary trimming, checked
without building a bundle (packaging/ci_build_and_smoke.sh builds one in CI).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
LOCK = PACKAGING / "requirements.lock"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"planner_packaging_{name}", PACKAGING / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.fixture(scope="module")
def lockcheck():
    return _load("lockcheck")


@pytest.fixture(scope="module")
def bundle_size():
    return _load("bundle_size")


@pytest.fixture(scope="module")
def bundle_trim():
    return _load("bundle_trim")


# --- the lock -----------------------------------------------------------------------------------


def test_lock_satisfies_pyproject_on_every_shipped_system_and_python(lockcheck, capsys) -> None:
    assert lockcheck.main(["--all"]) == 0, capsys.readouterr().out
    envs = lockcheck.target_environments()
    assert len(envs) == 8  # Linux x86_64/aarch64, Windows, macOS arm64 x Python 3.12/3.13


def test_every_lock_entry_is_an_exact_pin_with_hashes(lockcheck) -> None:
    pins = lockcheck.read_lock(LOCK.read_text(encoding="utf-8"))
    assert len(pins) > 20
    for pin in pins:
        assert pin.version is not None, pin.req
        assert pin.hashes >= 1, pin.req
    names = {pin.req.name.lower() for pin in pins}
    # the build backend and PyInstaller are locked too: nothing installs unpinned
    assert {"setuptools", "pyinstaller", "pyside6-essentials", "numpy", "scipy"} <= names
    assert LOCK.read_text(encoding="utf-8").splitlines()[1].strip() == "#    packaging/lock.sh"


def test_installed_environment_is_the_lock(lockcheck) -> None:
    """What ./dev set up matches the lock exactly for the locked packages."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.markers import default_environment

    env = dict(default_environment())
    for pin in lockcheck.read_lock(LOCK.read_text(encoding="utf-8")):
        if pin.req.marker is None or pin.req.marker.evaluate({**env, "extra": ""}):
            try:
                assert version(pin.req.name) == pin.version, pin.req.name
            except PackageNotFoundError:
                pytest.fail(f"{pin.req.name} is locked but not installed")


def _add_dependency(data: dict, req: str) -> None:
    data["project"]["dependencies"].append(req)


def _raise_numpy(data: dict) -> None:
    deps = data["project"]["dependencies"]
    (i,) = [i for i, r in enumerate(deps) if r.split(">")[0].split("=")[0].strip() == "numpy"]
    deps[i] = "numpy>=99"


def _add_to_an_extra(data: dict, req: str) -> None:
    next(iter(data["project"]["optional-dependencies"].values())).append(req)


def _add_build_requirement(data: dict, req: str) -> None:
    data["build-system"]["requires"].append(req)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: _add_dependency(d, "rich>=13"), "rich>=13 has no pin"),
        (_raise_numpy, "numpy>=99 but the lock pins"),
        (lambda d: _add_to_an_extra(d, "nosuch>=1"), "nosuch>=1 has no pin"),
        (lambda d: _add_dependency(d, "nosuch; python_version < '3'"), None),
        (lambda d: _add_build_requirement(d, "wheel"), "wheel has no pin"),
    ],
)
def test_lockcheck_names_what_pyproject_wants_and_the_lock_lacks(
    lockcheck, tmp_path, capsys, edit, expected
) -> None:
    import tomli_w

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    edit(data)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(tomli_w.dumps(data), encoding="utf-8")
    rc = lockcheck.main(["--pyproject", str(pyproject)])
    out = capsys.readouterr().out
    if expected is None:  # a requirement whose marker never applies needs no pin
        assert rc == 0 and out == ""
        return
    assert rc == 1
    assert len(out.strip().splitlines()) == 1  # ./dev prints it as its one-line error
    assert expected in out and "packaging/lock.sh" in out


def test_lockcheck_reads_markers_and_platform_only_pins(lockcheck) -> None:
    text = (
        "# header\n"
        "a==1.0 \\\n    --hash=sha256:00\n    # via x\n"
        "b==2.0 ; sys_platform == 'win32' \\\n    --hash=sha256:11 \\\n    --hash=sha256:22\n"
        "c>=3\n"
    )
    pins = lockcheck.read_lock(text)
    assert [(p.req.name, p.version, p.hashes) for p in pins] == [
        ("a", "1.0", 1), ("b", "2.0", 2), ("c", None, 0)
    ]  # fmt: skip
    pyproject = {"project": {"name": "me", "dependencies": ["a>=1", "b; sys_platform == 'win32'"],
                             "optional-dependencies": {"x": ["c"]}}}  # fmt: skip
    envs = lockcheck.target_environments()
    assert lockcheck.problems(pyproject, pins, envs["Linux x86_64, Python 3.12"]) == [
        "c is locked as c>=3, not an exact == pin"
    ]
    windows = lockcheck.problems(pyproject, pins, envs["Windows x86_64, Python 3.13"])
    assert windows == ["c is locked as c>=3, not an exact == pin"]
    pyproject["project"]["dependencies"].append("b; sys_platform == 'linux'")
    assert 'b; sys_platform == "linux" has no pin' in lockcheck.problems(
        pyproject, pins, envs["Linux aarch64, Python 3.13"]
    )


def test_dev_installs_the_lock_with_hashes_then_the_project_without_dependencies() -> None:
    dev = (ROOT / "dev").read_text(encoding="utf-8")
    assert "LOCK=packaging/requirements.lock" in dev
    lines = [ln.strip() for ln in dev.splitlines()]
    check = next(i for i, ln in enumerate(lines) if "packaging/lockcheck.py)" in ln)
    lock = next(i for i, ln in enumerate(lines) if '--require-hashes -r "$LOCK"' in ln)
    own = next(i for i, ln in enumerate(lines) if "--no-deps --no-build-isolation -e ." in ln)
    assert check < lock < own
    # the set-up stamp covers the lock, so a lock change reinstalls
    assert 'pyproject.toml "$LOCK")' in dev
    # nothing else installs packages: no bare `pip install -e .[...]` left anywhere
    for script in (ROOT / "dev", PACKAGING / "build.sh", ROOT / ".ci" / "run"):
        assert "-e .[" not in script.read_text(encoding="utf-8"), script
        assert '-e ".[' not in script.read_text(encoding="utf-8"), script


def test_lock_script_resolves_universally_with_hashes_and_all_extras() -> None:
    text = (PACKAGING / "lock.sh").read_text(encoding="utf-8")
    for flag in ("--universal", "--generate-hashes", "--all-extras", "--python-version 3.12",
                 "-o \"$LOCK\"", "UV_VERSION="):  # fmt: skip
        assert flag in text, flag
    assert "build-system" in text  # the build backend is locked too


# --- the workflow ---------------------------------------------------------------------------------


WORKFLOW = ROOT / ".github" / "workflows" / "bundles.yml"


def test_workflow_builds_three_systems_with_the_ci_script_and_uploads_dist() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "os: [ubuntu-latest, windows-latest, macos-14]" in text
    assert "run: packaging/ci_build_and_smoke.sh" in text
    assert "actions/upload-artifact@" in text and "path: dist/" in text
    assert "shell: bash" in text
    yaml = pytest.importorskip("yaml")  # parsed only where a YAML parser happens to be installed
    data = yaml.safe_load(text)
    job = data["jobs"]["bundle"]
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "windows-latest", "macos-14"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == ["packaging/ci_build_and_smoke.sh"]


def test_ci_runs_the_same_script_as_the_workflow() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
    assert ci.rstrip().splitlines()[-1] == "packaging/ci_build_and_smoke.sh"


# --- size by component ------------------------------------------------------------------------


def _fake_tree(root: Path, files: dict[str, int]) -> Path:
    for rel, size in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)
    return root


MiB = 2**20


def test_size_report_sorts_a_linux_bundle_into_components(bundle_size, tmp_path, capsys) -> None:
    bundle = _fake_tree(tmp_path / "planner", {
        "planner": 8 * MiB, "planner-gui": 8 * MiB,
        "_internal/PySide6/Qt/lib/libQt6Core.so.6": 7 * MiB,
        "_internal/PySide6/QtCore.abi3.so": 4 * MiB,
        "_internal/PySide6/Qt/plugins/platforms/libqxcb.so": MiB,
        "_internal/PySide6/Qt/lib/libicudata.so.73": 16 * MiB,
        "_internal/PySide6/Qt/lib/libicuuc.so.73": 2 * MiB,
        "_internal/numpy.libs/libscipy_openblas64_-4b78795a.so": 23 * MiB,
        "_internal/scipy.libs/libscipy_openblas-5f890258.so": 25 * MiB,
        "_internal/scipy.libs/libgfortran-83c28eba.so.5.0.0": 3 * MiB,
        "_internal/scipy/optimize/_lbfgsb.cpython-313-x86_64-linux-gnu.so": 5 * MiB,
        "_internal/numpy/_core/_multiarray_umath.cpython-313-x86_64-linux-gnu.so": 10 * MiB,
        "_internal/libpython3.13.so.1.0": 6 * MiB,
        "_internal/python3.13/lib-dynload/_ctypes.cpython-313-x86_64-linux-gnu.so": 4 * MiB,
        "_internal/base_library.zip": MiB, "_internal/libstdc++.so.6": 2 * MiB,
        "_internal/presets/epoch-2024.toml": 1000,
    })  # fmt: skip
    (bundle / "_internal" / "link.so").symlink_to(bundle / "_internal" / "libstdc++.so.6")
    got = {k: v / MiB for k, v in bundle_size.sizes(bundle).items()}
    assert got["executables"] == 16 and got["Qt"] == 12 and got["ICU"] == 18
    assert got["OpenBLAS"] == 51 and got["scipy"] == 5 and got["numpy"] == 10
    assert got["libpython"] == 6 and got["stdlib extensions"] == 4
    assert got["other"] == pytest.approx(3, abs=0.01)  # symlinks are not counted twice
    assert bundle_size.main([str(bundle), "--max-mib", "200"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(f"{bundle}: 125.0 MiB (131.1 MB) by component")
    assert lines[1].split()[0] == "OpenBLAS"  # largest first
    assert bundle_size.main([str(bundle), "--max-mib", "100"]) == 1
    assert "125.0 MiB is over the 100 MiB limit" in capsys.readouterr().out


def test_size_report_knows_the_windows_and_macos_layouts(bundle_size) -> None:
    c = bundle_size.component
    assert c("planner-gui.exe", True) == "executables"
    assert c("_internal/python312.dll", False) == "libpython"
    assert c("_internal/_ctypes.pyd", False) == "stdlib extensions"
    assert c("_internal/PySide6/Qt6Core.dll", False) == "Qt"
    assert c("_internal/numpy.libs/libscipy_openblas64_-abc.dll", False) == "OpenBLAS"
    assert c("_internal/scipy/linalg/_flapack.cp312-win_amd64.pyd", False) == "scipy"
    assert c("_internal/Python", False) == "libpython"
    assert c("_internal/numpy/.dylibs/libscipy_openblas64_.dylib", False) == "OpenBLAS"
    assert c("_internal/python3.12/lib-dynload/_json.cpython-312-darwin.so", False) == (
        "stdlib extensions"
    )
    assert c("_internal/PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore", False) == "Qt"
    assert c("_internal/pyqtgraph/colors/maps/CET-C1.csv", False) == "other"


# --- ICU data and debug-section trimming ---------------------------------------------------------


def _package(items: dict[str, bytes]) -> bytes:
    """A small ICU common data package laid out the way ICU's tools write one."""
    header = bytearray(b"\0" * 32)
    struct.pack_into("<HBB", header, 0, 32, 0xDA, 0x27)
    struct.pack_into("<HHBBBB", header, 4, 20, 0, 0, 0, 2, 0)
    header[12:16] = b"CmnD"
    names = sorted(items)
    blob_items = [(n, items[n] + b"\xaa" * (-len(items[n]) % 16)) for n in names]
    return _load("bundle_trim").write_common_data(bytes(header), blob_items)


ITEMS = {
    "icudt99l/root.res": b"R" * 40,
    "icudt99l/cnvalias.icu": b"A" * 16,
    "icudt99l/coll/root.res": b"C" * 33,
    "icudt99l/brkitr/word.brk": b"B" * 100,
    "icudt99l/lang/de.res": b"L" * 17,
    "icudt99l/zone/de.res": b"Z" * 5,
}


def test_icu_common_data_round_trips_and_drops_whole_trees(bundle_trim) -> None:
    blob = _package(ITEMS)
    header, items = bundle_trim.read_common_data(blob)
    assert [n for n, _ in items] == sorted(ITEMS)
    assert bundle_trim.write_common_data(header, items) == blob  # byte for byte
    kept = bundle_trim.drop_trees(items, ("brkitr", "lang"))
    assert [n for n, _ in kept] == [
        "icudt99l/cnvalias.icu", "icudt99l/coll/root.res", "icudt99l/root.res",
        "icudt99l/zone/de.res",
    ]  # fmt: skip
    new = bundle_trim.write_common_data(header, kept)
    _, back = bundle_trim.read_common_data(new)
    assert back == kept
    assert all(data.rstrip(b"\xaa") == ITEMS[name] for name, data in back)
    toc_start = struct.unpack_from("<H", new, 0)[0]
    for i in range(len(back)):  # every item 16-byte aligned, as ICU needs
        assert (toc_start + struct.unpack_from("<II", new, toc_start + 4 + 8 * i)[1]) % 16 == 0
    with pytest.raises(ValueError):
        bundle_trim.read_common_data(b"\0" * 64)


linux_binutils = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and shutil.which("as") and shutil.which("ld")),
    reason="needs Linux and GNU as/ld (binutils)",
)


@linux_binutils
def test_trimmed_icu_library_exports_the_data_and_reads_back(bundle_trim, tmp_path, capsys) -> None:
    lib = bundle_trim.build_data_library(
        "icudt99_dat", _package(ITEMS), "libicudata.so.99", tmp_path
    )
    assert lib is not None and lib.name == "libicudata.so.99"
    out = bundle_trim.trim_icu_data(lib, tmp_path / "trimmed")
    assert out is not None and out.name == "libicudata.so.99"
    assert "dropped 2 items" in capsys.readouterr().out  # brkitr/word.brk and lang/de.res
    symbol, data = bundle_trim.icu_data_symbol(out)
    assert symbol == "icudt99_dat"
    assert [n for n, _ in bundle_trim.read_common_data(data)[1]] == [
        "icudt99l/cnvalias.icu", "icudt99l/coll/root.res", "icudt99l/root.res",
        "icudt99l/zone/de.res",
    ]  # fmt: skip
    readelf = shutil.which("readelf")
    if readelf:
        dyn = subprocess.run([readelf, "-d", str(out)], capture_output=True, text=True).stdout
        assert "Library soname: [libicudata.so.99]" in dyn and "NEEDED" not in dyn


def _qt_icu_data() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    found = sorted((Path(spec.origin).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


QT_ICU = _qt_icu_data()
needs_qt_icu = pytest.mark.skipif(QT_ICU is None, reason="this PySide6 ships no ICU (not Linux)")


@needs_qt_icu
def test_qt_calls_only_the_icu_functions_the_trim_was_checked_for(bundle_trim) -> None:
    version = QT_ICU.name.rsplit(".", 1)[1]
    used = set()
    for lib in QT_ICU.parent.glob("libQt6*.so*"):
        used |= bundle_trim.icu_imports(lib, version)
    assert used, "QtCore links ICU"
    assert all(f.startswith(bundle_trim.QT_ICU_APIS) for f in used), sorted(
        f for f in used if not f.startswith(bundle_trim.QT_ICU_APIS)
    )


PROBE = r"""
from PySide6.QtCore import (QCollator, QDateTime, QLocale, QStringConverter, QStringDecoder,
                            QTimeZone)
out = []
for loc in ("de_DE", "sv_SE", "zh_CN", "ja_JP", "en_US", "tr_TR"):
    c = QCollator(QLocale(loc))
    c.setNumericMode(True)
    words = ["äpple", "zebra", "apple", "Örn", "ö", "10", "9", "中文", "日本", "Ärger", "b"]
    out.append(f"{loc}: {sorted(words, key=c.sortKey)} {c.compare('a10', 'a9')}")
for tz in (b"Europe/Berlin", b"America/Los_Angeles", b"Asia/Tokyo"):
    for loc in ("de_DE", "en_US", "ja_JP"):
        for t in QTimeZone.TimeType:
            for n in QTimeZone.NameType:
                name = QTimeZone(tz).displayName(t, n, QLocale(loc))
                out.append(f"{tz} {loc} {t.name} {n.name}: {name}")
out.append(f"codecs {len(QStringConverter.availableCodecs())}")
for name in ("Shift_JIS", "GB18030", "windows-1252", "KOI8-R", "EUC-KR", "Big5"):
    out.append(f"{name} {QStringDecoder(name).isValid()}")
for loc, s in (("tr_TR", "istanbul"), ("el_GR", "άλφα"), ("de_DE", "straße")):
    out.append(f"{loc}: {QLocale(loc).toUpper(s)} {QLocale(loc).toLower(s.upper())}")
dt = QDateTime.fromSecsSinceEpoch(1700000000, QTimeZone(b"Europe/Berlin"))
out.append(QLocale("de_DE").toString(dt, "yyyy-MM-dd HH:mm t tttt"))
print("\n".join(out))
"""


@needs_qt_icu
@linux_binutils
def test_trimmed_icu_data_changes_nothing_qt_shows(bundle_trim, tmp_path) -> None:
    """Collation, time-zone names, codecs, case mapping: the same with the trimmed data."""
    trimmed = bundle_trim.trim_icu_data(QT_ICU, tmp_path / "icu")
    assert trimmed is not None
    assert trimmed.stat().st_size < 0.6 * QT_ICU.stat().st_size

    def probe(lib_dir: Path | None) -> str:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        if lib_dir is not None:  # searched before QtCore's own RUNPATH
            env["LD_LIBRARY_PATH"] = f"{lib_dir}:{env.get('LD_LIBRARY_PATH', '')}"
        res = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
        assert res.returncode == 0, res.stderr
        return res.stdout

    full, small = probe(None), probe(trimmed.parent)
    assert len(full.splitlines()) > 100
    assert "Mitteleuropäische Normalzeit" in full  # zone names really came from ICU's data
    assert small == full


@linux_binutils
def test_strip_debug_keeps_a_working_library(bundle_trim, tmp_path) -> None:
    import _statistics  # a small standard-library extension module in lib-dynload

    src = Path(getattr(_statistics, "__file__", ""))
    if src.suffix != ".so" or not shutil.which("strip"):
        pytest.skip("_statistics is built in here, or no strip")
    out = bundle_trim.strip_debug(src, tmp_path / "lib-dynload" / src.name)
    assert out is not None and out.stat().st_size <= src.stat().st_size
    code = (
        "import importlib.util;"
        f"s = importlib.util.spec_from_file_location('_statistics', {str(out)!r});"
        "m = importlib.util.module_from_spec(s); s.loader.exec_module(m);"
        "print('ok', m._normal_dist_inv_cdf(0.5, 3.0, 1.0))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr
