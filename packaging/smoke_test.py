"""Smoke-test a frozen bundle: does what a user starts actually start?

    python packaging/smoke_test.py [dist/planner] [--runs 3] [--timeout 120]

Runs, each under a timeout, with Qt offscreen and a throw-away settings/state folder:

1. ``planner-gui --smoke``: must exit 0 and print a line starting ``smoke ok``;
2. ``planner plan --flops 1e23 --json``: must exit 0 and print a plan with n_params > 0;
3. ``planner report --flops 1e23 -o <tmp>/report.pdf``: must exit 0 and write a PDF;
4. ``planner --version``.

Any non-zero exit, timeout, missing output, Python traceback, ``ModuleNotFoundError`` /
``No module named`` / missing shared library / Qt platform-plugin failure in either stream
fails the test: exit status 1 with one line per failure. Then it repeats the GUI smoke run
``--runs`` times and prints the frozen start-up to a shown window (median and cold first run):
the bootloader-to-entry time (the entry script prints it when ``PLANNER_STARTUP_T0`` is set)
plus the window's own ``startup_s=`` (entry to ``show()`` processed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

EXE = ".exe" if sys.platform == "win32" else ""
BAD_PATTERNS = (
    ("Traceback (most recent call last)", "Python traceback"),
    ("ModuleNotFoundError", "missing module"),
    ("No module named", "missing module"),
    ("ImportError", "import error"),
    ("cannot open shared object file", "missing shared library"),
    ("Library not loaded", "missing shared library"),
    ("could not load the Qt platform plugin", "Qt platform plugin"),
    ("Could not find the Qt platform plugin", "Qt platform plugin"),
    ("Failed to execute script", "bootloader failure"),
    ("smoke FAILED", "smoke failure"),
)


@dataclass
class Result:
    rc: int | None
    out: str
    err: str
    seconds: float


class Smoke:
    def __init__(self, bundle: Path, timeout: float) -> None:
        self.bundle = bundle
        self.timeout = timeout
        self.failures: list[str] = []
        self.home = Path(tempfile.mkdtemp(prefix="planner-smoke-"))
        self.env = self._env()

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["QT_QPA_PLATFORM"] = "offscreen"
        # never touch the real user's settings, autosave or preset library
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = str(self.home / var.lower())
        if sys.platform == "win32":
            env["APPDATA"] = str(self.home / "appdata")
            env["LOCALAPPDATA"] = str(self.home / "localappdata")
        else:
            env["HOME"] = str(self.home)
        env.pop("PYTHONPATH", None)  # the bundle must not lean on a source tree
        env.pop("PYTHONHOME", None)
        return env

    def exe(self, name: str) -> Path:
        path = self.bundle / f"{name}{EXE}"
        if not path.is_file():
            self.failures.append(f"{name}: executable {path} not found")
        return path

    def run(
        self, what: str, cmd: list[str | Path], extra_env: dict[str, str] | None = None
    ) -> Result | None:
        env = {**self.env, **(extra_env or {})}
        t0 = time.perf_counter()
        try:
            # own process group, so a hung app and anything it started can be killed as a whole
            proc = subprocess.Popen(
                [str(c) for c in cmd],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=self.home,
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=os.name != "nt",
                creationflags=subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0,
            )
        except OSError as exc:
            self.failures.append(f"{what}: cannot start: {exc}")
            return None
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            if os.name == "nt":
                proc.kill()
            else:
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            self.failures.append(f"{what}: timed out after {self.timeout:g} s")
            print(
                f"--- {what} output before the timeout:\n{out[-2000:]}\n{err[-2000:]}",
                file=sys.stderr,
            )
            return None
        res = Result(proc.returncode, out, err, time.perf_counter() - t0)
        both = res.out + "\n" + res.err
        found = [label for pattern, label in BAD_PATTERNS if pattern.lower() in both.lower()]
        if res.rc != 0:
            self.failures.append(f"{what}: exit status {res.rc}")
        for label in dict.fromkeys(found):
            self.failures.append(f"{what}: {label} in its output")
        if res.rc != 0 or found:
            print(
                f"--- {what} stdout:\n{res.out[-3000:]}\n--- {what} stderr:\n{res.err[-3000:]}",
                file=sys.stderr,
            )
        return res

    # -- the checks -----------------------------------------------------------------------------

    def gui(self) -> tuple[float, float] | None:
        """One ``--smoke`` run; returns (entry seconds, window startup seconds) or None."""
        res = self.run(
            "planner-gui --smoke",
            [self.exe("planner-gui"), "--smoke"],
            {"PLANNER_STARTUP_T0": repr(time.time())},
        )
        if res is None:
            return None
        line = next((ln for ln in res.out.splitlines() if ln.startswith("smoke ok")), None)
        if line is None:
            self.failures.append("planner-gui --smoke: no line starting 'smoke ok' on stdout")
            return None
        entry = re.search(r"entry reached after ([0-9.]+) s", res.err)
        startup = re.search(r"startup_s=([0-9.]+)", line)
        if not (entry and startup):
            print(
                f"note: no start-up figures (entry line: {bool(entry)}, startup_s: {bool(startup)})"
            )
            return None
        return float(entry.group(1)), float(startup.group(1))

    def cli_plan(self) -> None:
        res = self.run(
            "planner plan --json", [self.exe("planner"), "plan", "--flops", "1e23", "--json"]
        )
        if res is None or res.rc != 0:
            return
        try:
            data = json.loads(res.out)
        except ValueError as exc:
            self.failures.append(f"planner plan --json: stdout is not JSON ({exc})")
            return
        n = data.get("n_params") if isinstance(data, dict) else None
        if not isinstance(n, (int, float)) or not n > 0:
            self.failures.append(f"planner plan --json: n_params missing or not positive ({n!r})")

    def cli_report(self) -> None:
        pdf = self.home / "report.pdf"
        res = self.run(
            "planner report", [self.exe("planner"), "report", "--flops", "1e23", "-o", pdf]
        )
        if res is None or res.rc != 0:
            return
        if not pdf.is_file():
            self.failures.append(f"planner report: {pdf} was not written")
            return
        head = pdf.read_bytes()[:5]
        if head != b"%PDF-" or pdf.stat().st_size < 2000:
            self.failures.append(
                f"planner report: {pdf} is not a PDF ({pdf.stat().st_size} bytes, starts {head!r})"
            )

    def cli_fit(self) -> None:
        """``planner fit`` on a small synthetic runs file: scipy.optimize must be in the bundle."""
        csv = self.home / "runs.csv"
        rows = ["params,tokens,loss"]
        for n in (1e8, 3e8, 1e9, 3e9):
            for d in (2e9, 6e9, 2e10, 6e10):
                rows.append(f"{n:g},{d:g},{1.8 + 480 / n**0.35 + 2000 / d**0.37:.6f}")
        csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
        res = self.run(
            "planner fit --json",
            [self.exe("planner"), "fit", csv, "--bootstrap", "50", "--json", "-o", self.home / "fit.toml"],
        )
        if res is None or res.rc != 0:
            return
        try:
            alpha = json.loads(res.out)["params"]["alpha"]
        except (ValueError, KeyError, TypeError) as exc:
            self.failures.append(f"planner fit --json: no params.alpha in its output ({exc})")
            return
        if not abs(alpha - 0.35) < 0.01:
            self.failures.append(f"planner fit --json: alpha {alpha!r} is not the generating 0.35")
        self.run(
            "planner plan --preset-file fit.toml --method numerical",
            [self.exe("planner"), "plan", "--preset-file", self.home / "fit.toml", "--flops", "1e21",
             "--method", "numerical", "--json"],
        )  # fmt: skip

    def cli_version(self) -> None:
        res = self.run("planner --version", [self.exe("planner"), "--version"])
        if res is not None and res.rc == 0 and "planner" not in res.out:
            self.failures.append("planner --version: no version line")


def bundle_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "bundle",
        nargs="?",
        type=Path,
        default=here.parent / "dist" / "planner",
        help="the one-folder bundle (default dist/planner)",
    )
    ap.add_argument(
        "--runs", type=int, default=3, help="GUI start-up repetitions for the timing (default 3)"
    )
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per command (default 120)"
    )
    args = ap.parse_args(argv)
    if not args.bundle.is_dir():
        print(
            f"smoke_test: bundle folder {args.bundle} not found (build it with packaging/build.sh)"
        )
        return 1

    s = Smoke(args.bundle.resolve(), args.timeout)
    try:
        return _check(s, args)
    finally:
        shutil.rmtree(s.home, ignore_errors=True)


def _check(s: Smoke, args: argparse.Namespace) -> int:
    timings = []
    first = s.gui()
    if first:
        timings.append(first)
    s.cli_plan()
    s.cli_report()
    s.cli_fit()
    s.cli_version()
    if not s.failures:
        for _ in range(max(0, args.runs - 1)):
            t = s.gui()
            if t:
                timings.append(t)

    size_mib = bundle_size(args.bundle) / 2**20
    print(f"bundle: {args.bundle} ({size_mib:.0f} MiB of files; `du -sh` adds disk blocks)")
    if timings:
        totals = [e + w for e, w in timings]
        entry = statistics.median(e for e, _ in timings)
        window = statistics.median(w for _, w in timings)
        print(
            f"frozen start-up to shown window: median {statistics.median(totals):.2f} s over "
            f"{len(totals)} runs (first/cold {totals[0]:.2f} s; bootloader+interpreter median "
            f"{entry:.2f} s, window median {window:.2f} s)"
        )
    if s.failures:
        print(f"SMOKE TEST FAILED ({len(s.failures)}):")
        for f in s.failures:
            print(f"  - {f}")
        return 1
    print("smoke test passed: planner-gui --smoke, planner plan --json, planner report, planner fit, --version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
