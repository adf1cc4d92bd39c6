"""``python -m planner.presets --write``: regenerate the preset JSON Schema, the field reference
and the index of validated built-in presets."""

import sys

from planner.presets.load import write_builtin_index
from planner.presets.schema import main

main()
if "--write" in sys.argv:
    write_builtin_index()
