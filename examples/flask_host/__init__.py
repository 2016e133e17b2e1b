"""Example: a Flask site that uses participatie's Python API directly (no HTTP layer)."""
