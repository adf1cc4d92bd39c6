"""Fuzz every input path with hostile files and argument sets; count internal errors (must be 0).

Run: ``.venv/bin/python benchmarks/bench_fuzz.py [--presets N] [--argv N] ...`` (``--help`` for
all counts; ``--quick`` divides them by ten). Uses the strategies and checks of
``tests/core/test_fuzz.py``. Classes:

* mutated preset documents, mangled preset bytes (every input loads, or raises only
  PresetError with a one-line message naming the file and key);
* dotted-key bombs: files under the size limit built to explode the parser's work (deep dotted
  keys, headers and inline tables, deep nesting, tens of thousands of keys); each must be
  refused or loaded in under 2 s;
* markup and control characters in every displayed string of a preset: nothing the planner
  would print may hold raw terminal control;
* extreme bootstrap rows in presets;
* hostile ``planner`` argument sets (``--flag=--``, decimal commas, markup, control characters,
  empty values), half of them with Python 3.12's argparse: exit 0, or exit 2 with one line,
  no warning, no internal error;
* special files (FIFOs, folders, dangling and looping links, links to /dev/null, /dev/zero and
  /dev/full, sockets) met as a preset file, a write target, an autosave, ``--preset-file``,
  ``-o`` and a team folder entry: refused in one line, never read, never replaced, no hang.

Runs files (CSV with extreme rows, the csv strategy, special files given to the runs loader)
are fuzzed too; the runs loader belongs to the fitting work, so what it fails on is listed
separately and not counted in this benchmark's own internal errors. Links to /dev/zero and
/dev/full are not given to the runs loader until it reads regular files only
(``planner.files.special.read_regular_file``): it would read them until memory runs out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core"))

import test_fuzz as fz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RUNS_LOADER = "runs loader"  # prefix of the classes whose failures belong to the fitting work


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", type=int, default=8000, help="mutated preset documents")
    ap.add_argument("--bytes", type=int, default=2000, help="mangled preset files")
    ap.add_argument("--bombs", type=int, default=1500, help="dotted-key and nesting bombs")
    ap.add_argument("--markup", type=int, default=1500, help="presets with markup and control characters")
    ap.add_argument("--boot", type=int, default=500, help="presets with extreme bootstrap rows")
    ap.add_argument("--argv", type=int, default=3000, help="hostile planner argument sets")
    ap.add_argument("--runs", type=int, default=2000, help="fuzzed runs CSV files")
    ap.add_argument("--rows", type=int, default=1000, help="runs files with extreme rows")
    ap.add_argument("--quick", action="store_true", help="a tenth of every count")
    args = ap.parse_args()
    if args.quick:
        for name in ("presets", "bytes", "bombs", "markup", "boot", "argv", "runs", "rows"):
            setattr(args, name, max(getattr(args, name) // 10, 10))
    warnings.simplefilter("error")  # as in the test suite: a RuntimeWarning is a failure
    outcomes: Counter[str] = Counter()
    failures: dict[str, list[str]] = {}
    slowest: dict[str, float] = {}

    def cfg(n: int) -> settings:
        return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))

    def record(kind: str, fn: Callable[..., str], *a: object) -> None:
        t0 = time.perf_counter()
        try:
            outcomes[f"{kind}: {fn(*a)}"] += 1
        except BaseException as exc:
            outcomes[f"{kind}: FAILED"] += 1
            samples = failures.setdefault(kind, [])
            if len(samples) < 3:
                samples.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300] + "\n"
                               + "".join(traceback.format_exc().splitlines(True)[-3:]))  # fmt: skip
        slowest[kind] = max(slowest.get(kind, 0.0), time.perf_counter() - t0)

    tmp = Path(tempfile.mkdtemp(prefix="bench-fuzz-"))

    @cfg(args.presets)
    @given(doc=fz.mutated_documents(), as_toml=st.booleans())
    def presets(doc, as_toml) -> None:
        text, fmt = fz._serialise(doc, as_toml)
        record("preset documents", fz.check_preset, text, fmt, "team/fuzzed." + fmt)

    @cfg(args.bytes)
    @given(case=fz.mangled_texts())
    def mangled(case) -> None:
        record("preset bytes", fz.check_preset, case[0], case[1], "team/mangled." + case[1])

    @cfg(args.bombs)
    @given(case=fz.dotted_key_bombs())
    def bombs(case) -> None:
        record("dotted-key bombs", fz._timed_check_preset, case[0], case[1], "team/bomb." + case[1])

    @cfg(args.markup)
    @given(doc=fz.markup_documents(), as_toml=st.booleans())
    def markup(doc, as_toml) -> None:
        text, fmt = fz._serialise(doc, as_toml)
        record("markup and control", fz.check_markup, text, fmt, "team/markup." + fmt)

    @cfg(args.boot)
    @given(doc=fz.extreme_bootstrap_documents())
    def boot(doc) -> None:
        text, fmt = fz._serialise(doc, True)
        record("extreme bootstrap rows", fz._timed_check_preset, text, fmt, "team/boot." + fmt)

    @cfg(args.argv)
    @given(argv=fz.argument_sets(), old=st.booleans())
    def argv_sets(argv, old) -> None:
        record("argument sets" + (" (3.12 argparse)" if old else ""), fz.check_cli, argv, old)

    def specials() -> None:
        made = fz.make_special_files(tmp / "team")
        for path in made.values():
            for name, check in fz.special_file_checks(path, tmp).items():
                record(f"special files: {name}", fz.run_with_timeout, check, path)
        record("special files: team folder", fz.check_special_folder, tmp / "team", made)

    @cfg(args.runs)
    @given(data=fz.csv_files())
    def runs(data) -> None:
        record(f"{RUNS_LOADER}: fuzzed CSV", fz.check_runs, data, tmp)

    @cfg(args.rows)
    @given(data=fz.extreme_rows())
    def rows(data) -> None:
        record(f"{RUNS_LOADER}: extreme rows", fz.check_runs, data, tmp)

    def runs_specials() -> None:
        from planner.fitting.runs import RunsError, load_runs

        def refuse(path: Path) -> str:
            try:
                load_runs(path)
            except RunsError:
                return "refused"
            return "loaded"

        for path in fz.make_special_files(tmp / "runs").values():
            if path.name.startswith(("dev-zero", "dev-full")):  # endless: would read until memory runs out
                outcomes[f"{RUNS_LOADER}: special files: not tried (endless device)"] += 1
                continue
            outcome = fz.run_with_timeout(lambda p=path: refuse(p), path)
            if outcome == "HANG":
                outcomes[f"{RUNS_LOADER}: special files: FAILED"] += 1
                failures.setdefault(f"{RUNS_LOADER}: special files", []).append(f"{path.name}: blocked (> 5 s)")
            else:
                outcomes[f"{RUNS_LOADER}: special files: {outcome}"] += 1

    classes = [("mutated preset documents", presets), ("mangled preset bytes", mangled),
               ("dotted-key bombs", bombs), ("markup and control chars", markup),
               ("extreme bootstrap rows", boot), ("hostile argument sets", argv_sets),
               ("special files", specials), ("runs: fuzzed CSV", runs), ("runs: extreme rows", rows),
               ("runs: special files", runs_specials)]  # fmt: skip
    t_all = time.perf_counter()
    for name, fn in classes:
        t0 = time.perf_counter()
        before = sum(outcomes.values())
        fn()
        n = sum(outcomes.values()) - before
        dt = time.perf_counter() - t0
        print(f"{name:<26} {n:>6} inputs  {dt:6.1f} s  ({n / max(dt, 1e-9):,.0f}/s)", flush=True)
    elapsed = time.perf_counter() - t_all
    print()
    for key in sorted(outcomes):
        print(f"  {key:<58} {outcomes[key]:>6}")
    total = sum(outcomes.values())
    ours = sum(v for k, v in outcomes.items() if not k.startswith(RUNS_LOADER))
    internal = sum(v for k, v in outcomes.items() if k.endswith("FAILED") and not k.startswith(RUNS_LOADER))
    theirs = sum(v for k, v in outcomes.items() if k.endswith("FAILED") and k.startswith(RUNS_LOADER))
    print("\nslowest single input per class: "
          + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in sorted(slowest.items(), key=lambda kv: -kv[1])[:4]))
    print(f"total inputs: {total:,} in {elapsed:.0f} s")
    print(f"presets, argument sets and special files: {ours:,} inputs, internal errors: {internal}")
    print(f"runs loader (fitting work, reported for it): {total - ours:,} inputs, failures: {theirs}")
    for kind, samples in failures.items():
        print(f"\n-- {kind}")
        for s in samples:
            print(s)
    return 1 if internal else 0


if __name__ == "__main__":
    sys.exit(main())
