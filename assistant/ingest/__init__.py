"""Turning files into clean articles with sentence and chunk spans. No store, no UI, no network."""
