"""The application layer: command line, configuration and paths."""
