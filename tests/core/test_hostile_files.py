"""Hostile files (issue #15): special files, full disks, stray temporaries, parser bombs.

Each test here failed before the fix it guards:

1. writers replaced whatever was at the path (a device node became a regular file); ``-o ""``
   was silently accepted; temporary files of killed writes piled up;
3. a FIFO given as a preset blocked forever, and broken entries of a team folder (dangling
   or looping links, FIFOs, a folder named ``*.toml``) were skipped without a word;
4. one line of 40,000 dotted keys took 44 s and 9.4 GB to parse;
10. a full disk gave a message that did not name the file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.files import atomic, autosave
from planner.files.atomic import (
    WriteError,
    atomic_write_bytes,
    atomic_write_text,
    check_target,
    remove_strays,
)
from planner.files.special import NotRegularFileError, file_kind, read_regular_file
from planner.presets.library import scan
from planner.presets.load import PresetError, load_preset_file, load_preset_text
from planner.presets.prescan import MAX_KEY_DEPTH, MAX_KEYS, MAX_NESTING

REPO = Path(__file__).resolve().parents[2]
EPOCH = REPO / "presets" / "epoch-2024.toml"
posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, sockets and device links are POSIX")


def _cli(*argv: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})  # fmt: skip


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("planner: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def specials(tmp_path: Path) -> dict[str, Path]:
    """One of each kind of non-regular entry, all named like preset files."""
    if os.name != "posix":
        pytest.skip("POSIX special files")
    out = {
        "fifo": tmp_path / "fifo.toml",
        "folder": tmp_path / "folder.toml",
        "dangling": tmp_path / "dangling.toml",
        "loop": tmp_path / "loop.toml",
        "device": tmp_path / "device.toml",
        "socket": tmp_path / "sock.json",
    }
    os.mkfifo(out["fifo"])
    out["folder"].mkdir()
    out["dangling"].symlink_to(tmp_path / "nowhere.toml")
    (tmp_path / "loop2.toml").symlink_to(out["loop"])
    out["loop"].symlink_to(tmp_path / "loop2.toml")
    out["device"].symlink_to("/dev/null")  # a link, so no test ever touches a real device node
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(out["socket"]))
    except OSError:  # e.g. a path too long for AF_UNIX
        out.pop("socket")
    finally:
        sock.close()
    return out


# ---------------------------------------------------------------------------------------------
# 1. writers refuse targets that are not regular files


@posix_only
@pytest.mark.parametrize("kind", ["fifo", "folder", "loop", "device", "socket"])
def test_writer_refuses_special_targets_and_leaves_them(specials: dict[str, Path], kind: str) -> None:
    if kind not in specials:
        pytest.skip("no socket here")
    target = specials[kind]
    before = os.lstat(target)
    with pytest.raises(WriteError) as info:
        atomic_write_text(target, "schema_version = 1\n")
    msg = str(info.value)
    assert msg.startswith(f"{target}: ") and "\n" not in msg
    assert "refusing to replace it" in msg
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)  # untouched
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


@posix_only
def test_link_to_a_device_is_refused_and_the_device_stays_a_device(tmp_path: Path) -> None:
    link = tmp_path / "out.toml"
    link.symlink_to("/dev/null")
    with pytest.raises(WriteError, match="is a character device, not a regular file"):
        atomic_write_bytes(link, b"x")
    assert link.is_symlink() and file_kind("/dev/null") == "character device"


@pytest.mark.parametrize("path", ["", "   "])
def test_empty_path_is_an_error(path: str) -> None:
    with pytest.raises(WriteError, match="the file name is empty"):
        atomic_write_text(path, "x")


def test_path_ending_in_a_separator_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="names a folder"):
        check_target(str(tmp_path / "new") + "/")


def test_dangling_link_is_replaced_by_the_file(tmp_path: Path) -> None:
    link = tmp_path / "out.toml"
    link.symlink_to(tmp_path / "nowhere")
    atomic_write_text(link, "x")
    assert not link.is_symlink() and link.read_text() == "x"


@posix_only
@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_preset_writer_and_autosave_refuse_special_targets(specials: dict[str, Path], kind: str) -> None:
    from planner.presets.load import get_law
    from planner.presets.write import write_preset

    with pytest.raises(OSError, match="not a regular file"):
        write_preset(specials[kind], get_law())
    with pytest.raises(OSError, match="not a regular file"):
        autosave.save({"preset": "epoch-2024"}, specials[kind])


def test_cli_output_type_refuses_empty_and_special_paths(tmp_path: Path) -> None:
    import argparse

    from planner.cli.common import output_path

    assert output_path(str(tmp_path / "new.toml")) == str(tmp_path / "new.toml")
    for bad in ("", str(tmp_path)):
        with pytest.raises(argparse.ArgumentTypeError):
            output_path(bad)


# -- stray temporary files of killed writes ----------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_strays_of_dead_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "law.toml"
    dead = tmp_path / f".law.toml.{atomic._host()}-{_dead_pid()}.k1ll3d__.tmp"
    live = tmp_path / f".law.toml.{atomic._host()}-{os.getppid()}.wr1t1ng_.tmp"  # pytest's parent runs
    old = tmp_path / ".law.toml.abcd1234.tmp"  # the name an older version used
    other = tmp_path / f".other.toml.{atomic._host()}-{_dead_pid()}.k1ll3d__.tmp"
    for p in (dead, live, old, other):
        p.write_text("half a preset")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    atomic_write_text(target, "x")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([target.name, live.name, other.name])  # only this target's dead strays go
    os.utime(live, (hour_ago, hour_ago))
    assert remove_strays(target) == 1 and not live.exists()  # stale, whoever made it


_SLOW_WRITER = """
import os, sys, time
from planner.files import atomic
real_write = os.write
def slow_write(fd, data):
    print("writing", flush=True)
    time.sleep(60)
    return real_write(fd, data)
atomic.os.write = slow_write
atomic.atomic_write_text(sys.argv[1], "new")
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_write_killed_midway_leaves_a_stray_that_the_next_write_removes(tmp_path: Path) -> None:
    target = tmp_path / "law.toml"
    target.write_text("old")
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    with proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        proc.kill()
    strays = [p for p in tmp_path.iterdir() if p.name.startswith(".law.toml.")]
    assert len(strays) == 1 and target.read_text() == "old"
    atomic_write_text(target, "next")
    assert [p.name for p in tmp_path.iterdir()] == ["law.toml"] and target.read_text() == "next"


# ---------------------------------------------------------------------------------------------
# 10. a full disk: one line naming the file, for every writer


def _no_space(*_a: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_names_the_file_and_keeps_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "law.toml"
    target.write_text("old")
    monkeypatch.setattr(atomic.os, "write", _no_space)
    with pytest.raises(WriteError) as info:
        atomic_write_text(target, "new")
    assert info.value.errno == errno.ENOSPC
    assert str(info.value) == f"{target}: cannot write: No space left on device"
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["law.toml"]


def test_full_disk_in_the_preset_writer_and_autosave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.presets.load import get_law
    from planner.presets.write import write_preset

    monkeypatch.setattr(atomic.os, "write", _no_space)
    with pytest.raises(OSError, match=rf"^{tmp_path / 'p.toml'}: cannot write: No space left on device$"):
        write_preset(tmp_path / "p.toml", get_law())
    with pytest.raises(OSError, match=r"autosave\.json: cannot write: No space left on device$"):
        autosave.save({"preset": "epoch-2024"}, tmp_path / "autosave.json")


def test_full_disk_from_the_command_line_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    runs = REPO / "tests" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
    out = tmp_path / "fit.toml"
    monkeypatch.setattr(atomic.os, "write", _no_space)
    code = main(["fit", str(runs), "-o", str(out), "--bootstrap", "0", "--holdout", "0"])
    printed, err = capsys.readouterr()
    assert code == 3  # the fit is printed, the preset could not be written (planner fit --help)
    assert "Fitted chinchilla law" in printed
    assert f"{out}: cannot write: No space left on device" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE")
def test_a_real_kernel_write_error_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """Not injected: the kernel refuses the write (file size limit, EFBIG), as a full disk would."""
    out = tmp_path / "big.toml"
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
        "from planner.files.atomic import atomic_write_bytes\n"
        "try:\n"
        "    atomic_write_bytes(sys.argv[1], b'x' * 100_000)\n"
        "except OSError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert proc.stdout.strip() == f"{out}: cannot write: File too large", proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# 3. special files are never read, and a team folder lists them


@posix_only
def test_fifo_preset_file_fails_at_once_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    proc = _cli("plan", "--preset-file", str(fifo), "--flops", "1e21", timeout=60)
    assert proc.returncode == 2
    assert _one_line_error(proc.stderr) == (
        f"planner: error: {fifo}: is a FIFO (named pipe), not a regular file (expected a .toml or .json file)"
    )
    assert time.monotonic() - t0 < 30


@posix_only
@pytest.mark.parametrize(
    ("kind", "reason"),
    [("fifo", "is a FIFO (named pipe), not a regular file"), ("folder", "is a folder, not a regular file"),
     ("dangling", "is a broken symbolic link"), ("loop", "is a symbolic link loop"),
     ("device", "is a character device, not a regular file"), ("socket", "is a socket, not a regular file")],
)  # fmt: skip
def test_loader_names_what_a_special_file_is(specials: dict[str, Path], kind: str, reason: str) -> None:
    if kind not in specials:
        pytest.skip("no socket here")
    with pytest.raises(PresetError) as info:
        load_preset_file(specials[kind])
    assert str(info.value).startswith(f"{specials[kind]}: {reason}")


@posix_only
def test_a_file_swapped_for_a_fifo_after_the_check_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The descriptor is opened non-blocking and checked again: a race cannot make the read block."""
    from planner.files import special

    fifo = tmp_path / "swapped.toml"
    os.mkfifo(fifo)
    monkeypatch.setattr(special, "file_kind", lambda _p: special.REGULAR)  # the stat said "file"
    with pytest.raises(NotRegularFileError, match="is a FIFO"):
        read_regular_file(fifo, 1000)


@posix_only
def test_broken_team_entries_are_listed_not_skipped(specials: dict[str, Path], tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(EPOCH.read_text().replace('id = "epoch-2024"', 'id = "team-good"'))
    lib = scan([tmp_path], user_folder=tmp_path / "mine")
    assert "team-good" in lib.ids()
    listed = {e.path.name: e.message for e in lib.errors}
    for kind, path in specials.items():
        assert path.name in listed, (kind, listed)
        assert listed[path.name].startswith(f"{path}: is "), listed[path.name]
    assert "loop2.toml" in listed


@posix_only
def test_planner_presets_prints_broken_entries_under_not_loaded(specials: dict[str, Path], tmp_path: Path) -> None:
    proc = _cli("presets", "--folder", str(tmp_path), env={"PLANNER_USER_DIR": str(tmp_path / "user")})
    assert proc.returncode == 0, proc.stderr
    section = proc.stdout.split("Not loaded:\n", 1)[1]
    for path in specials.values():
        assert f"  {path}: is " in section


# ---------------------------------------------------------------------------------------------
# 4. bounded parsing: key depth, nesting and key count are checked before the parser runs


def _seconds(fn: object, *args: object) -> tuple[float, BaseException | None]:
    t0 = time.perf_counter()
    try:
        fn(*args)  # type: ignore[operator]
    except BaseException as exc:
        return time.perf_counter() - t0, exc
    return time.perf_counter() - t0, None


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("a" + ".a" * 39_999 + " = 1\n", "key-depth limit"),  # the 80 KB line: 44 s and 9.4 GB before
        ("a" + ".a" * 99_999 + " = 1\n", "key-depth limit"),  # a MemoryError before
        ('"a".' * 20_000 + '"a" = 1\n', "key-depth limit"),
        ("[" + "a." * 30_000 + "a]\nx = 1\n", "key-depth limit"),
        ("x = {" + "a." * 30_000 + "a = 1}\n", "key-depth limit"),
        ("[t]\n" + "".join(f"k{i} = 1\n" for i in range(MAX_KEYS + 1)), "key-count limit"),
        ("x = " + "[" * 40_000 + "]" * 40_000 + "\n", "nesting limit"),
        ("x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n", "key-depth limit"),
    ],
)
def test_structural_limits_are_checked_before_parsing(text: str, limit: str) -> None:
    assert len(text.encode()) < 256 * 1024  # all under the size limit
    seconds, exc = _seconds(load_preset_text, text, "team/bomb.toml")
    assert isinstance(exc, PresetError), exc
    assert str(exc).startswith("team/bomb.toml: ") and limit in str(exc)
    assert seconds < 1.0


def test_json_limits() -> None:
    deep = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    with pytest.raises(PresetError, match="nesting limit"):
        load_preset_text(deep, "p.json", "json")
    many = json.dumps({f"k{i}": 1 for i in range(MAX_KEYS + 1)})
    with pytest.raises(PresetError, match="key-count limit"):
        load_preset_text(many, "p.json", "json")


def test_a_key_at_the_depth_limit_reaches_the_validator() -> None:
    """The limit refuses only what is over it: 16 levels parse (and fail validation as unknown keys)."""
    text = EPOCH.read_text() + "\n[meta.fit.pinned]\n" + ".".join(["x"] * (MAX_KEY_DEPTH - 3)) + " = 1\n"
    with pytest.raises(PresetError) as info:
        load_preset_text(text, "p.toml")
    assert "limit" not in str(info.value)
    over = EPOCH.read_text() + "\n[meta.fit.pinned]\n" + ".".join(["x"] * (MAX_KEY_DEPTH - 2)) + " = 1\n"
    with pytest.raises(PresetError, match="is 17 levels deep, over the key-depth limit"):
        load_preset_text(over, "p.toml")


@posix_only
def test_planner_presets_with_a_dotted_key_bomb_is_fast(tmp_path: Path) -> None:
    (tmp_path / "bomb.toml").write_text("a" + ".a" * 39_999 + " = 1\n")
    t0 = time.monotonic()
    proc = _cli("presets", "--folder", str(tmp_path), env={"PLANNER_USER_DIR": str(tmp_path / "user")})
    assert proc.returncode == 0
    assert "bomb.toml: line 1: key 'a.a.a" in proc.stdout and "key-depth limit" in proc.stdout
    assert time.monotonic() - t0 < 20  # interpreter start-up included; was 44 s of parsing alone


_names = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True), st.text(min_size=1, max_size=6))
_leaves = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                    st.text(max_size=20), st.lists(st.integers(0, 9), max_size=4))  # fmt: skip
_documents = st.recursive(
    st.dictionaries(_names, _leaves, max_size=4),
    lambda inner: st.dictionaries(_names, st.one_of(inner, st.lists(inner, min_size=1, max_size=2)), max_size=3),
    max_leaves=30,
)


@given(doc=_documents, as_json=st.booleans())
@settings(max_examples=300, deadline=None)
def test_the_pre_scan_never_refuses_a_document_within_the_limits(doc: dict, as_json: bool) -> None:
    """Documents at most a few levels deep, with few keys, written by tomli_w or json: never refused."""
    import tomllib

    import tomli_w
    from hypothesis import assume

    from planner.presets.prescan import check_structure

    def depth(x: object) -> int:
        if isinstance(x, dict):
            return 1 + max((depth(v) for v in x.values()), default=0)
        if isinstance(x, list):
            return 1 + max((depth(v) for v in x), default=0)
        return 0

    assume(depth(doc) <= MAX_KEY_DEPTH)  # deeper is refused on purpose
    if as_json:
        check_structure(json.dumps(doc), "json")
    else:
        text = tomli_w.dumps(doc)
        assert tomllib.loads(text) == doc
        check_structure(text, "toml")


@given(text=st.text(alphabet=st.sampled_from(list("ab.\"'\\[]{}=,#\n \t")), max_size=400))
@settings(max_examples=500, deadline=None)
def test_the_pre_scan_raises_only_its_own_error_on_any_text(text: str) -> None:
    from planner.presets.prescan import Overlimit, check_structure

    for fmt in ("toml", "json"):
        with contextlib.suppress(Overlimit):
            check_structure(text, fmt)


@pytest.mark.parametrize("unit", ['"\\', '"""\\', "'''", '"', "\\\"", "[", "{a=", '{"a":', "a."])
def test_the_pre_scan_is_linear_on_adversarial_text(unit: str) -> None:
    from planner.presets.prescan import Overlimit, check_structure

    text = unit * (250_000 // len(unit))
    for fmt in ("toml", "json"):
        t0 = time.perf_counter()
        with contextlib.suppress(Overlimit):
            check_structure(text, fmt)
        assert time.perf_counter() - t0 < 1.0, (unit, fmt)


def test_preset_writer_refuses_an_empty_path_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.presets.load import get_law
    from planner.presets.write import write_preset

    monkeypatch.chdir(tmp_path)
    with pytest.raises(WriteError, match="^cannot write '': the file name is empty$"):
        write_preset("", get_law())
    assert list(tmp_path.iterdir()) == []
