"""rollback-tui: a terminal guide for production rollbacks."""

__version__ = "0.1.0"
