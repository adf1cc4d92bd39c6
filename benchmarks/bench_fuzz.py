"""Fuzz the preset loader and the runs loader with > 10,000 hypothesis-generated files.

Run: ``.venv/bin/python benchmarks/bench_fuzz.py [--presets N] [--runs N]``. Uses the
strategies and checks of ``tests/core/test_fuzz.py``: every input must load or raise only
PresetError / RunsError with a one-line message naming the file (and key path). Prints the
counts, the uncaught exceptions (must be 0) and the throughput.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core"))

import test_fuzz as fz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", type=int, default=8000, help="mutated preset documents")
    ap.add_argument("--bytes", type=int, default=2000, help="mangled preset files")
    ap.add_argument("--runs", type=int, default=2000, help="fuzzed runs CSV files")
    args = ap.parse_args()
    warnings.simplefilter("error")  # as in the test suite: a RuntimeWarning is a failure
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    def cfg(n: int) -> settings:
        return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))

    def record(kind: str, fn, *a) -> None:
        try:
            outcomes[f"{kind}:{fn(*a)}"] += 1
        except BaseException as exc:
            outcomes[f"{kind}:UNCAUGHT"] += 1
            if len(failures) < 5:
                failures.append(f"{kind}: {type(exc).__name__}: {exc}".splitlines()[0][:300]
                                + "\n" + "".join(traceback.format_exc().splitlines(True)[-4:]))

    @cfg(args.presets)
    @given(doc=fz.mutated_documents(), as_toml=st.booleans())
    def presets(doc, as_toml) -> None:
        text, fmt = fz._serialise(doc, as_toml)
        record("preset-doc", fz.check_preset, text, fmt, "team/fuzzed." + fmt)

    @cfg(args.bytes)
    @given(case=fz.mangled_texts())
    def mangled(case) -> None:
        record("preset-bytes", fz.check_preset, case[0], case[1], "team/mangled." + case[1])

    tmp = Path(tempfile.mkdtemp(prefix="bench-fuzz-"))

    @cfg(args.runs)
    @given(data=fz.csv_files())
    def runs(data) -> None:
        record("runs-csv", fz.check_runs, data, tmp)

    for name, fn in (("mutated preset documents", presets), ("mangled preset bytes", mangled),
                     ("runs CSV files", runs)):  # fmt: skip
        t0 = time.perf_counter()
        before = sum(outcomes.values())
        fn()
        n = sum(outcomes.values()) - before
        dt = time.perf_counter() - t0
        print(f"{name:<26} {n:>6} inputs  {dt:6.1f} s  ({n / dt:,.0f}/s)")
    total = sum(outcomes.values())
    uncaught = sum(v for k, v in outcomes.items() if k.endswith("UNCAUGHT"))
    print()
    for key in sorted(outcomes):
        print(f"  {key:<24} {outcomes[key]:>6}")
    print(f"\ntotal inputs: {total:,}   uncaught exceptions / bad messages: {uncaught}")
    for f in failures:
        print("\n" + f)
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
