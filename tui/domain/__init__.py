"""Pure domain code: no I/O beyond parsing, no UI, no network clients."""
