"""What 1,000 bootstrap samples cost a cold `planner plan` (issue #13 item 9: at most 20 ms).

Builds three copies of presets/epoch-2024.toml in a temporary folder: without its
[law.bootstrap] table, with the table as shipped (samples as f64le-base64 in one TOML literal
string, with shape and sha256), and with the older one-row-per-sample table. Prints the
in-process parse-and-validate time of each (median of 20) and the cold CLI time of
`planner plan --preset-file F --flops 1e21 --json` (a fresh interpreter each run, median of 9,
interleaved so machine load hits all three alike).

    .venv/bin/python benchmarks/bench_preset_samples.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.presets.load import load_preset_file, load_preset_text  # noqa: E402

MARK = "# --- bootstrap samples"


def variants(folder: Path) -> dict[str, Path]:
    shipped = (ROOT / "presets" / "epoch-2024.toml").read_text(encoding="utf-8")
    bare = shipped.split(MARK)[0]
    law = load_preset_file(ROOT / "presets" / "epoch-2024.toml").law
    # the older row-per-sample form of the same samples
    import tomli_w

    rows = tomli_w.dumps({"law": {"bootstrap": {"level": 0.95, "names": ["E", "A", "B", "alpha", "beta"],
                                                "samples": law.info.bootstrap_samples.tolist()}}})
    out = {"no samples": bare, "1,000 samples, encoded (shipped)": shipped, "1,000 samples, one row each (old)": bare + rows}
    paths = {}
    for i, (name, text) in enumerate(out.items()):
        p = folder / f"v{i}.toml"
        p.write_text(text, encoding="utf-8")
        paths[name] = p
    return paths


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = variants(Path(tmp))
        print("in-process parse + validate (median of 20):")
        for name, p in paths.items():
            text = p.read_bytes()
            times = []
            for _ in range(20):
                t = time.perf_counter()
                load_preset_text(text, str(p))
                times.append(time.perf_counter() - t)
            print(f"  {name:<36} {statistics.median(times) * 1e3:6.1f} ms  ({len(text) / 1e3:.0f} kB)")
        cold: dict[str, list[float]] = {n: [] for n in paths}
        for _ in range(9):
            for name, p in paths.items():
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "planner", "plan", "--preset-file", str(p), "--flops", "1e21",
                                "--json"], cwd=ROOT, capture_output=True, check=True)
                cold[name].append(time.perf_counter() - t)
        base = statistics.median(cold["no samples"])
        print("cold `planner plan --preset-file F --flops 1e21 --json` (median of 9):")
        for name, ts in cold.items():
            m = statistics.median(ts)
            print(f"  {name:<36} {m * 1e3:6.0f} ms  (+{(m - base) * 1e3:.0f} ms; target +20 ms)")


if __name__ == "__main__":
    main()
