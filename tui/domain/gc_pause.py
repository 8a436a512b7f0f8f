"""Pausing the cyclic garbage collector while building many objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC around bulk parsing.

    Parsing a large list or journal allocates hundreds of thousands of containers; the
    collections they trigger mid-parse each walk every object already built and cost more than
    the parse itself. Nothing built there forms a cycle. Nested pauses leave re-enabling to the
    outermost one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
