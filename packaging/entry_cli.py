"""Frozen entry point of the ``planner`` console executable (see planner.spec).

In a bundle the ``planner.cli`` entry-point metadata may be missing, so the ``report`` command
that the window package provides is registered explicitly before the CLI runs.
"""

import sys

from ui import report_cli

report_cli.register()

from planner.cli import main

if __name__ == "__main__":
    sys.exit(main())
