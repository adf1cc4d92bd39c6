"""Reusable widgets of the planner window (they know no planner state)."""
