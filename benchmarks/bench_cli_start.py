"""Cold start of the command line against importing numpy, timed in turn in one run.

Target (issue #11): a cold ``planner plan --preset chinchilla-2022-a3 --flops 1e22 --json`` as a
process takes at most 1.5x ``python -c "import numpy"`` (same interpreter, same environment),
in CPU time and in wall time. Each round starts one process of each, one after the other, so a
busier stretch of a shared machine falls on both; CPU time is the child's user + system time
(``resource.getrusage(RUSAGE_CHILDREN)`` before and after), wall time ``time.perf_counter``.

The planner's modules are byte-compiled first, as ``pip install`` and the desktop bundle leave
them (numpy ships compiled too): without bytecode every start would compile ~40 modules.
OpenBLAS's worker threads spin on a second core for as long as a process that imported numpy
lives, so CPU time grows about twice as fast as wall time after the import; a second, smaller
comparison with ``OPENBLAS_NUM_THREADS=1`` shows the CPU the processes themselves use.

    .venv/bin/python benchmarks/bench_cli_start.py [--runs 40]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import planner

TARGET = 1.5
PLAN_ARGS = ["plan", "--preset", "chinchilla-2022-a3", "--flops", "1e22", "--json"]


def planner_command() -> list[str]:
    """The ``planner`` console script next to this interpreter (what a user runs), else ``-m``."""
    script = Path(sys.executable).with_name("planner")
    return [str(script), *PLAN_ARGS] if script.exists() else [sys.executable, "-m", "planner", *PLAN_ARGS]


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process running ``cmd`` to the end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(cases: dict[str, list[str]], runs: int, env: dict[str, str] | None = None) -> None:
    """Start each command in turn ``runs`` times; print median wall and CPU times and the ratios."""
    for cmd in cases.values():  # warm the file cache
        run(cmd, env)
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, cmd in cases.items():
            w, c = run(cmd, env)
            wall[name].append(w)
            cpu[name].append(c)
    print(f"{'command':<28} {'wall':>9} {'CPU':>9}")
    for name in cases:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:<28} {w * 1e3:>6.0f} ms {c * 1e3:>6.0f} ms")
    numpy_name, plan_name = cases
    for label, times in (("wall", wall), ("CPU", cpu)):
        ratio = statistics.median(times[plan_name]) / statistics.median(times[numpy_name])
        print(f"ratio ({label}): {ratio:.2f}x numpy (target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="processes of each command (default 40)")
    args = parser.parse_args()
    compileall.compile_dir(Path(planner.__file__).parent, quiet=1)
    cases = {"python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
             "planner plan --json": planner_command()}  # fmt: skip
    print(f"{args.runs} cold processes of each, alternating; medians (load average {os.getloadavg()[0]:.1f})")
    measure(cases, args.runs)
    # OpenBLAS's worker threads spin for the life of a process that imported numpy, so every
    # millisecond a process runs after the import costs about one more of CPU on a second core:
    # the same comparison without them shows the CPU the two processes themselves use.
    print("\nthe same with OPENBLAS_NUM_THREADS=1 (no BLAS worker thread spinning; for reference)")
    measure(cases, max(args.runs // 2, 5), {**os.environ, "OPENBLAS_NUM_THREADS": "1"})


if __name__ == "__main__":
    main()
