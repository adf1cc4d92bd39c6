"""Frozen entry point of the windowed ``planner-gui`` executable (see planner.spec).

When ``PLANNER_STARTUP_T0`` (seconds since the epoch, set by packaging/smoke_test.py just
before it starts the process) is in the environment, one line on stderr says how long the
bootloader and the interpreter took to reach this script; ``--smoke`` then reports the rest
(``startup_s=``, from here to the shown window).
"""

import os
import sys
import time

_t0 = os.environ.get("PLANNER_STARTUP_T0")
if _t0 and sys.stderr is not None:
    try:
        print(f"entry reached after {time.time() - float(_t0):.3f} s", file=sys.stderr, flush=True)
    except ValueError:
        pass

from ui.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
