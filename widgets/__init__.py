"""Reusable Textual widgets, one per file."""
