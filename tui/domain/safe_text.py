"""Text from a journal, a cluster or a user, made safe to print on one terminal line."""

from __future__ import annotations

import re

VALUE_LIMIT = 160  # characters of one value (a note, a step's detail) before "…"
ELLIPSIS = "…"

_WHITESPACE = str.maketrans(dict.fromkeys([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x2028, 0x2029], " "))
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                       r"\u2066-\u2069]")


def _caret(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return "^" + chr(code + 0x40)  # ESC as ^[, BEL as ^G: what `cat -v` shows
    if code == 0x7F:
        return "^?"
    if code <= 0x9F:
        return "^[" + chr(code - 0x40)  # an 8-bit control is ESC and a letter in 7 bits
    return f"<U+{code:04X}>"  # bidi and line separators: would reorder or break the line


def inert(text: str, keep: str = "") -> str:
    """`text` with every control character (C0, DEL, C1, bidi) shown in caret notation, so an
    escape sequence prints as `^[[2J` and does nothing; characters in `keep` (e.g. newline)
    pass through."""
    if not keep:
        return _CONTROLS.sub(_caret, text)
    return _CONTROLS.sub(lambda m: m.group(0) if m.group(0) in keep else _caret(m), text)


def inert_lines(text: str) -> str:
    """Multi-line text for a terminal: newlines and tabs kept, every other control inert."""
    return inert(text.replace("\r\n", "\n"), keep="\n\t")


def plain(text: str, limit: int = VALUE_LIMIT) -> str:
    """Text safe for one terminal line: controls inert (`^[`), whitespace folded, clipped."""
    return clip(inert(" ".join(text.translate(_WHITESPACE).split())), limit)


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, ending with "…" when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS
