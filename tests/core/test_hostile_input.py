"""Hostile input on the command line (issue #15): commas, ``--flag=--``, terminal control, warnings.

8. ``--flops 3,8e25`` was read as 3.8e26 and ``--context=3,8`` as 38;
9. ``meta.name`` with ESC sequences, CR/LF or NUL reached the terminal raw;
10. ``--gpus=--`` (and the other numeric flags) ended in a TypeError (exit 1) on Python < 3.13;
    a warning could reach the user with a file name and a source line.
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.cli import main
from planner.cli.common import one_line_warnings
from planner.text import printable
from planner.units import parse_number

REPO = Path(__file__).resolve().parents[2]
NUMERIC_FLAGS = ["--flops", "--gpu-hours", "--gpus", "--mfu", "--usd-per-gpu-hour", "--context", "--vocab",
                 "--moe-activation", "--moe-granularity", "--inference-tokens", "--target-loss",
                 "--unique-tokens"]  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("planner: error: "), err
    return lines[0]


# ---------------------------------------------------------------------------------------------
# 8. one rule for commas


@pytest.mark.parametrize(("text", "value"), [("4,096", 4096.0), ("1,000,000", 1e6), ("1 000 000", 1e6),
                                             ("-1,000", -1000.0), ("1,000.5", 1000.5), ("32,768", 32768.0),
                                             ("1,000K", 1e6), ("2.5 B", 2.5e9), ("1_000", 1e3)])  # fmt: skip
def test_thousands_separators_between_groups_of_three(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["3,8", "3,8e25", "2,5B", ",5", "1,0000", "1,00", "1,000,00", "1,,000",
                                  "1,000 000", "3 8", "12,34.5", "0,5"])  # fmt: skip
def test_any_other_comma_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_number(text)
    assert "may only separate thousands" in str(info.value) and "\n" not in str(info.value)


@given(st.integers(0, 10**15))
def test_grouped_integers_read_back(n: int) -> None:
    assert parse_number(f"{n:,}") == n


@pytest.mark.parametrize(("flag", "value"), [("--flops", "3,8e25"), ("--context", "3,8"), ("--gpus", "1,5"),
                                             ("--mfu", "0,4"), ("--usd-per-gpu-hour", "2,5")])  # fmt: skip
def test_decimal_commas_on_the_command_line_exit_2(capsys: pytest.CaptureFixture[str], flag: str, value: str) -> None:
    argv = ["plan", "--flops", "1e21", f"{flag}={value}"] if flag != "--flops" else ["plan", flag, value]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "may only separate thousands" in one_line(err)


def test_thousands_on_the_command_line_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--flops", "1e21", "--context=4,096", "--gpus", "1,024", "--json")
    assert code == 0 and json.loads(out)["flops"] == 1e21


# ---------------------------------------------------------------------------------------------
# 10. --flag=-- is a one-line error on every Python


@pytest.fixture
def python312_argparse(monkeypatch: pytest.MonkeyPatch) -> None:
    """argparse as on Python 3.12: an explicit "--" value is dropped and the option gets []."""
    original = argparse.ArgumentParser._get_values

    def get_values(self: argparse.ArgumentParser, action: argparse.Action, arg_strings: list[str]) -> object:
        if action.nargs not in (argparse.PARSER, argparse.REMAINDER) and "--" in arg_strings:
            arg_strings = list(arg_strings)
            arg_strings.remove("--")
            if not arg_strings and action.nargs is None:
                return []
        return original(self, action, arg_strings)

    monkeypatch.setattr(argparse.ArgumentParser, "_get_values", get_values)


@pytest.mark.parametrize("flag", NUMERIC_FLAGS)
@pytest.mark.parametrize("argparse_like", ["this Python", "Python 3.12"])
def test_flag_equals_dash_dash_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, flag: str, argparse_like: str
) -> None:
    if argparse_like == "Python 3.12":
        request.getfixturevalue("python312_argparse")
    base = ["plan", "--flops", "1e21"] if flag not in ("--flops", "--gpu-hours") else ["plan"]
    code, _, err = run(capsys, *base, f"{flag}=--")
    assert code == 2, err
    assert one_line(err) == f"planner: error: argument {flag}: '--' is not a number (expected e.g. 3.8e25)"


def test_fit_holdout_equals_dash_dash(capsys: pytest.CaptureFixture[str], python312_argparse: None) -> None:
    runs = REPO / "tests" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
    code, _, err = run(capsys, "fit", str(runs), "--holdout=--")
    assert code == 2 and "argument --holdout: '--' is not a number" in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [["plan", "--flops"], ["plan", "--flops", "1e21", "--gpus", "--"], ["plan", "--flops=", "--json"],
     ["plan", "--flops", "1e21", "--gpu="], ["plan", "--flops", "1e21", "--preset=--"], ["plan", "--flops", "nan"],
     ["plan", "--flops", "1e21", "--json=--"], ["plan", "--flops", "\x1b[31m1e21"], ["plan", "--flops", "9" * 5000],
     ["presets", "--folder"], ["nope"], [], ["plan", "--gpus=--", "--mfu=--"]],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    line = one_line(err)
    assert "\x1b" not in line and "internal error" not in line


def test_warnings_are_one_line_without_source(capsys: pytest.CaptureFixture[str]) -> None:
    with one_line_warnings(), warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err == "planner: warning: overflow encountered in exp\n"


# ---------------------------------------------------------------------------------------------
# 9. file content reaches the terminal escaped


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain ünïcödé", "plain ünïcödé"), ("a\x1b[31mb", "a\\x1b[31mb"), ("a\r\nb", "a\\r\\nb"),
     ("a\x00b", "a\\x00b"),
     ("tab\there", "tab\\there"), ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"), ("rtl\u202eevil", "rtl\\u202eevil"),
     ("sep\u2028x", "sep\\u2028x"), ("\ud800", "\\ud800"), ("C:\\Users\\me", "C:\\Users\\me")],
)  # fmt: skip
def test_printable_escapes_control_characters(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_can_keep_line_breaks_of_multi_line_output() -> None:
    table = "Title \x1b[31m\r\n  Loss  2.3\n"
    assert printable(table, keep_newlines=True) == "Title \\x1b[31m\\r\n  Loss  2.3\n"


@given(st.text())
def test_printable_output_has_no_control_characters(text: str) -> None:
    out = printable(text)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]", out)
    assert printable(out) == out  # nothing left to escape


EVIL_NAME = "Evil \x1b]0;pwned\x07\x1b[31mRED\x1b[0m\r\nforged line\x00 \u202eevil"


def _evil_preset(folder: Path, file_name: str = "evil.toml") -> Path:
    import tomli_w

    from planner.presets.load import get_law
    from planner.presets.write import preset_document

    doc = preset_document(get_law("kaplan-2020"))
    doc["meta"].update(id="evil", name=EVIL_NAME, notes="notes\x1b[2J")
    path = folder / file_name
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def _assert_terminal_safe(text: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text), repr(text)


def test_planner_presets_escapes_file_content(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    team = tmp_path / "team"
    team.mkdir()
    _evil_preset(team)
    (team / "bad\x1b[31m.toml").write_text("x = [\n")
    code, out, err = run(capsys, "presets", "--folder", str(team))
    assert code == 0
    _assert_terminal_safe(out + err)
    assert "Evil \\x1b]0;pwned\\x07\\x1b[31mRED\\x1b[0m\\r\\nforged line\\x00 \\u202eevil" in out
    assert "bad\\x1b[31m.toml" in out
    code, out, err = run(capsys, "presets", "--folder", str(team), "--json")
    _assert_terminal_safe(out + err)
    assert any(row["title"] == EVIL_NAME for row in json.loads(out))  # JSON keeps the exact text


def test_error_messages_escape_file_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "x\x1b[2J\rforged.toml"
    path.write_text("not = [toml")
    code, _, err = run(capsys, "plan", "--preset-file", str(path), "--flops", "1e21")
    assert code == 2
    _assert_terminal_safe(err)
    assert "x\\x1b[2J" in one_line(err) and "forged.toml" in err  # (PresetError already made the CR a space)
