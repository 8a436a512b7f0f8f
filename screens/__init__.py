"""Textual screens, one per file."""
