"""Text from a journal, a cluster or a user, made safe to print on one terminal line."""

from __future__ import annotations

import re

VALUE_LIMIT = 160  # characters of one value (a note, a step's detail) before "…"
ELLIPSIS = "…"

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI (colours, cursor moves, screen clears)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (window titles, hyperlinks, clipboard)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x9c]*[\x07\x9c]?"  # 8-bit string controls
)
_INVISIBLE = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])  # C0, DEL, C1: dropped
_INVISIBLE.update(dict.fromkeys([0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F)]))  # bidi
_INVISIBLE.update(dict.fromkeys(range(0x2066, 0x206A)))  # bidi isolates
_INVISIBLE.update(dict.fromkeys([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x2028, 0x2029], " "))


def plain(text: str, limit: int = VALUE_LIMIT) -> str:
    """Text safe for one terminal line: no escapes or controls, whitespace folded, clipped."""
    cleaned = _ESCAPE_SEQUENCE.sub("", text).translate(_INVISIBLE)
    return clip(" ".join(cleaned.split()), limit)


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, ending with "…" when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS
