"""Preset files: the format (:mod:`~planner.presets.schema`), reading and validating them
(:mod:`~planner.presets.load`), finding them (:mod:`~planner.presets.library`), writing them."""

SCHEMA_VERSION = 1
"""The preset format's current version: :mod:`~planner.presets.schema` declares its fields, and
:mod:`~planner.presets.load` migrates files of older versions to it."""
