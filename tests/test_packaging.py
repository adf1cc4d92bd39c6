"""Fast checks of the desktop-bundle sources (the real build + frozen smoke test runs in CI via
packaging/ci_build_and_smoke.sh): the spec says what it must, the icons are valid for every
system, resource_dir() resolves a PyInstaller layout, and the smoke harness fails broken bundles.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "icons"


def _spec_source() -> str:
    return (PACKAGING / "planner.spec").read_text(encoding="utf-8")


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name
    ]


def _kw(call: ast.Call, key: str) -> object:
    for kw in call.keywords:
        if kw.arg == key:
            try:
                return ast.literal_eval(kw.value)
            except ValueError:
                return ast.unparse(kw.value)
    raise KeyError(key)


# --- the spec -----------------------------------------------------------------------------------


def test_spec_is_python_with_one_onedir_collect_and_two_executables() -> None:
    tree = ast.parse(_spec_source(), filename="planner.spec")
    exes = _calls(tree, "EXE")
    assert len(exes) == 2
    by_name = {str(_kw(e, "name")).replace('"', "'"): e for e in exes}
    assert set(by_name) == {"f'{APP_NAME}-gui'", "APP_NAME"}  # planner-gui and planner
    gui, cli = by_name["f'{APP_NAME}-gui'"], by_name["APP_NAME"]
    assert 'APP_NAME = "planner"' in _spec_source()
    assert _kw(gui, "console") is False and _kw(cli, "console") is True
    for exe in exes:  # onedir: binaries live in COLLECT, not inside the executable
        assert _kw(exe, "exclude_binaries") is True
        assert _kw(exe, "strip") is False, "strip breaks numpy's bundled maths library"
    (collect,) = _calls(tree, "COLLECT")
    assert {getattr(a, "id", None) for a in collect.args} >= {"exe_gui", "exe_cli"}
    assert _kw(collect, "strip") is False
    (bundle,) = _calls(tree, "BUNDLE")
    assert _kw(bundle, "name") == "Planner.app"


def test_spec_ships_presets_and_icons_and_excludes_unused_modules() -> None:
    src = _spec_source()
    assert '(ROOT / "presets").glob("*.toml")' in src
    assert 'ICONS.glob("*.png")' in src
    for icon in ("planner.ico", "planner.icns"):
        assert icon in src
    for excluded in (
        "PySide6.QtNetwork",
        "PySide6.QtSql",
        "PySide6.QtDBus",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.QtWebEngineCore",
        "PySide6.QtMultimedia",
        "PySide6.QtPdf",
        "PySide6.QtCharts",
        "PySide6.QtDataVisualization",
        "PySide6.Qt3DCore",
        '"tkinter"',
        '"pytest"',
        '"hypothesis"',
    ):
        assert excluded in src, excluded
    for kept in (
        "PySide6.QtSvg",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtCore",
        'PySide6.QtOpenGL"',
        'PySide6.QtPrintSupport"',
    ):
        assert f'"{kept}' not in src.replace("# ", ""), f"{kept} must not be excluded"


def test_entry_scripts_call_the_real_mains() -> None:
    gui = (PACKAGING / "entry_gui.py").read_text(encoding="utf-8")
    cli = (PACKAGING / "entry_cli.py").read_text(encoding="utf-8")
    assert "from ui.__main__ import main" in gui
    # entry-point metadata may be missing when frozen: the report command is registered by hand
    assert "from ui import report_cli" in cli and "report_cli.register()" in cli
    assert cli.index("report_cli.register()") < cli.index("from planner.cli import main")
    for text in (gui, cli):
        ast.parse(text)


def test_shell_scripts_are_executable_and_never_strip_the_bundle() -> None:
    for name in ("build.sh", "ci_build_and_smoke.sh", "lock.sh", "linux/install-desktop.sh"):
        path = PACKAGING / name
        assert path.stat().st_mode & stat.S_IXUSR, f"{name} is not executable"
        assert b"\r" not in path.read_bytes(), f"{name} has CRLF line endings"
    build = (PACKAGING / "build.sh").read_text(encoding="utf-8")
    assert "--noconfirm --clean" in build and "packaging/planner.spec" in build
    assert "smoke_test.py" in build and "bundle_size.py" in build
    # no strip over the bundle: the spec's checked trimming (bundle_trim) is the only one
    assert not [ln for ln in build.splitlines() if ln.strip().startswith(("find", "strip"))]
    ci = (PACKAGING / "ci_build_and_smoke.sh").read_text(encoding="utf-8")
    assert "packaging/build.sh" in ci and "BUNDLE_MAX_MIB" in ci


def test_spec_strips_debug_sections_of_cpython_files_only() -> None:
    src = _spec_source()
    (call_line,) = [ln for ln in src.splitlines() if "bundle_trim.strip_debug(" in ln]
    guard = "".join(src[: src.index(call_line)].splitlines()[-3:])
    assert "libpython3" in guard and "lib-dynload" in guard
    trim = (PACKAGING / "bundle_trim.py").read_text(encoding="utf-8")
    assert '"--strip-debug"' in trim and "--strip-all" not in trim
    assert 'a.binaries = _trim_linux(_prune_orphans(a.binaries))' in src
    assert 'if sys.platform.startswith("linux"):' in src


def test_spec_collects_every_module_and_data_file_of_the_own_packages() -> None:
    src = _spec_source()
    assert 'OWN_PACKAGES = ("planner", "ui")' in src
    assert "collect_data_files(_pkg)" in src
    assert "collect_submodules(pkg)" in src and "for pkg in OWN_PACKAGES" in src
    tree = ast.parse(src)
    (analysis,) = _calls(tree, "Analysis")
    assert _kw(analysis, "hiddenimports") == "hiddenimports"
    assert _kw(analysis, "datas") == "datas"


def test_desktop_file_names_the_gui_and_the_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / "compute-budget-planner.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "planner-gui"
    assert entry["Icon"] == "compute-budget-planner"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")


# --- icons --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512, 1024])
def test_png_icons_have_their_size_and_transparency(qapp, size: int) -> None:
    from PySide6.QtGui import QImage

    img = QImage(str(ICONS / f"planner-{size}.png"))
    assert not img.isNull()
    assert (img.width(), img.height()) == (size, size)
    assert img.hasAlphaChannel()
    assert img.pixelColor(0, 0).alpha() == 0  # rounded tile: transparent corner
    assert img.pixelColor(size // 2, size // 2).alpha() == 255


@pytest.mark.parametrize(
    ("name", "fmt", "sizes"),
    [
        ("planner.ico", b"ico", {16, 24, 32, 48, 64, 128, 256}),
        ("planner.icns", b"icns", {16, 32, 64, 128, 256, 512, 1024}),
    ],
)
def test_windows_and_macos_icons_hold_every_size(
    qapp, name: str, fmt: bytes, sizes: set[int]
) -> None:
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(ICONS / name))
    assert bytes(reader.format().data()) == fmt
    found = set()
    for i in range(reader.imageCount()):
        assert reader.jumpToImage(i)
        img = reader.read()
        assert not img.isNull(), reader.errorString()
        assert img.width() == img.height()
        found.add(img.width())
    assert found == sizes


def test_linux_icon_is_the_256_px_png() -> None:
    assert (ICONS / "planner.png").read_bytes() == (ICONS / "planner-256.png").read_bytes()


# --- resource_dir in a frozen layout -----------------------------------------------------------


@pytest.fixture
def resource_dir(monkeypatch):
    from planner.files import resources

    resources.resource_dir.cache_clear()
    yield resources.resource_dir
    resources.resource_dir.cache_clear()


def test_resource_dir_prefers_the_pyinstaller_bundle(monkeypatch, tmp_path, resource_dir) -> None:
    for name in ("presets", "icons"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_dir("presets") == tmp_path / "presets"
    assert resource_dir("icons") == tmp_path / "icons"


def test_resource_dir_falls_back_to_the_source_tree(monkeypatch, tmp_path, resource_dir) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)  # bundle without icons
    assert resource_dir("icons") == ICONS
    monkeypatch.delattr(sys, "_MEIPASS")
    resource_dir.cache_clear()
    assert resource_dir("presets") == ROOT / "presets"


def test_resource_dir_names_every_place_it_looked(monkeypatch, tmp_path, resource_dir) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(FileNotFoundError) as info:
        resource_dir("no-such-folder")
    assert str(tmp_path / "no-such-folder") in str(info.value)
    assert str(ROOT / "no-such-folder") in str(info.value)


# --- the smoke harness fails broken bundles ---------------------------------------------------


def _load_smoke():
    spec = importlib.util.spec_from_file_location("planner_smoke_test", PACKAGING / "smoke_test.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


GOOD_GUI = 'echo "entry reached after 0.100 s" >&2; echo "smoke ok preset=x startup_s=0.50"'
GOOD_CLI = r"""case "$1" in
  plan) echo '{"n_params": 2.9e10}' ;;
  fit) echo '{"params": {"alpha": 0.35}}' ;;
  report) printf '%%PDF-1.7\n' > "$5"; head -c 3000 /dev/zero >> "$5" ;;
  --version) echo "planner 0.1.0" ;;
esac"""


def _fake_bundle(tmp_path: Path, gui: str, cli: str) -> Path:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name, body in (("planner-gui", gui), ("planner", cli)):
        path = bundle / name
        path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        path.chmod(0o755)
    return bundle


@pytest.mark.skipif(os.name == "nt", reason="fake executables are shell scripts")
def test_smoke_harness_passes_a_working_bundle(tmp_path, capsys) -> None:
    smoke = _load_smoke()
    assert smoke.main([str(_fake_bundle(tmp_path, GOOD_GUI, GOOD_CLI)), "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert "frozen start-up to shown window: median 0.60 s over 2 runs" in out
    assert "smoke test passed" in out


@pytest.mark.skipif(os.name == "nt", reason="fake executables are shell scripts")
@pytest.mark.parametrize(
    ("gui", "cli", "expected"),
    [
        (
            'echo "Traceback (most recent call last):" >&2; '
            'echo "ModuleNotFoundError: No module named scipy._x" >&2; exit 1',
            GOOD_CLI,
            "planner-gui --smoke: exit status 1",
        ),
        ('echo "started"', GOOD_CLI, "no line starting 'smoke ok'"),
        (
            'echo "smoke ok"; '
            'echo "qt.qpa.plugin: Could not find the Qt platform plugin \\"xcb\\"" >&2',
            GOOD_CLI,
            "Qt platform plugin in its output",
        ),
        (GOOD_GUI, 'echo "nothing"', "planner plan --json: stdout is not JSON"),
        (GOOD_GUI, GOOD_CLI.replace("printf", "true ||"), "planner report:"),
        ("sleep 30 & sleep 30", GOOD_CLI, "timed out after 2 s"),  # a child holding the pipe too
    ],
)
def test_smoke_harness_fails_a_broken_bundle(
    tmp_path, capsys, gui: str, cli: str, expected: str
) -> None:
    smoke = _load_smoke()
    assert smoke.main([str(_fake_bundle(tmp_path, gui, cli)), "--runs", "1", "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    assert "SMOKE TEST FAILED" in out
    assert expected in out


def test_packaging_readme_lists_every_file_here_and_points_to_the_readme_section() -> None:
    """The build instructions live once, in the README; packaging/README.md says what each file
    in the folder is for, and names the README's section, which must exist."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    note = (PACKAGING / "README.md").read_text(encoding="utf-8")
    assert "## Desktop bundle (Windows, macOS, Linux)" in readme
    assert '"Desktop bundle (Windows, macOS, Linux)"' in note
    tracked = {p.name for p in PACKAGING.iterdir() if not p.name.startswith((".", "__")) and p.name != "README.md"}
    missing = {name for name in tracked if f"`{name}" not in note}
    assert not missing, f"packaging/README.md does not say what these are for: {sorted(missing)}"