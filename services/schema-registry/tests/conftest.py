"""Shared builders live in helpers.py, schema_strategies.py and json_instances.py beside this
file; tests import them relatively (pytest runs with --import-mode=importlib)."""
