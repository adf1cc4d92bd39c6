"""``python -m planner.presets --write``: regenerate the preset JSON Schema and the field reference."""

from planner.presets.schema import main

main()
