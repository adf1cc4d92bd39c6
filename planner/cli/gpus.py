"""``planner gpus``: the accelerator catalogue."""

from __future__ import annotations

import argparse

from planner.cli.common import Command
from planner.costs.hardware import CATALOGUE


def _run_gpus(args: argparse.Namespace) -> int:
    for a in CATALOGUE.values():
        fp8 = f"{a.fp8_flops / 1e12:,.0f}" if a.fp8_flops else "–"
        print(f"{a.name:<18} BF16 {a.bf16_flops / 1e12:>8,.1f} TF/s  FP8 {fp8:>6}  "
              f"{a.memory_bytes / 1e9:>5,.0f} GB  {a.bandwidth_bytes / 1e9:>6,.0f} GB/s  "
              f"${a.usd_per_hour:.2f}/h ({a.price_note})  [{a.status}]")  # fmt: skip
    return 0



COMMAND = Command("gpus", "list the accelerator catalogue", lambda p: None, _run_gpus)
