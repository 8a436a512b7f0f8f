"""Styled lines wrapped by words for views that must not cut anything at the right edge: a
word wider than a line (a path, a URL, an image) breaks after a `/`, `.`, `-` or `_`, and a
styled line keeps its roles when it wraps."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from rich.cells import cell_len

from widgets.text import Line, fit_line, line_width, wrap_words


def _pieces(word: str, room: int) -> list[str]:
    """A word wider than a line split after its `/`, `.`, `-` or `_` (a path, a URL, a long
    image name); pieces still too wide are left for `wrap_words` to break."""
    if cell_len(word) <= room:
        return [word]
    pieces, current = [], ""
    for char in word:
        current += char
        if char in "/.-_" and cell_len(current) >= room // 3:
            pieces.append(current)
            current = ""
    return [*pieces, current] if current else pieces


def wrap(text: str, width: int, first: int | None = None) -> list[str]:
    """Words wrapped into lines of `width` cells (`first` on the first line); a word wider
    than a line breaks after a separator where it has one, mid-word only where it has none."""
    widths = [first if first is not None else width, width]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        for number, piece in enumerate(_pieces(word, min(widths))):
            room = widths[min(len(lines), 1)]
            glue = "" if number or not current else " "
            if cell_len(current + glue + piece) <= room:
                current += glue + piece
                continue
            if current or (not lines and room < widths[1]):
                lines.append(current)  # (an empty first line: the head alone)
            rest = wrap_words(piece, widths[1])
            lines += rest[:-1]
            current = rest[-1]
    lines.append(current)
    return lines


def hanging(head: Line, text: str, role: str, width: int, indent: int | None = None) -> list[Line]:
    """`head` then `text` wrapped by words, continuation lines indented under the text."""
    indent = line_width(head) if indent is None else indent
    room = max(width - indent, 8)
    first = max(width - line_width(head), 1)
    words = wrap(text, room, first=first)
    lines = [[*head, (words[0], role)]]
    lines += [[(" " * indent, ""), (word, role)] for word in words[1:]]
    return [fit_line(line, width) for line in lines]  # a head wider than the view is cut


def reflow(line: Line, width: int, indent: int = 2) -> list[Line]:
    """A styled line wrapped by words at `width` (roles kept; continuation lines indented)."""
    if line_width(line) <= width:
        return [line]
    words: list[Line] = [[]]  # each word with the spaces before it
    for text, role in line:
        for n, part in enumerate(text.split(" ")):
            if n:
                words.append([(" ", "")])
            if part:
                words[-1].append((part, role))
    lines: list[Line] = [[]]
    for word in words:
        if line_width(lines[-1]) + line_width(word) > width and line_width(lines[-1]) > indent:
            lines.append([(" " * indent, "")])
            word = [(t, r) for t, r in word if t != " "] or word
        lines[-1].extend(word)
    return [fit_line(line, width) for line in lines]


def fitted(lines: list[Line], width: int) -> list[Line]:
    """Every line within `width`: lines that are wider wrap by words."""
    return [part for line in lines for part in reflow(line, width)]


def within_width(render: Callable[..., list[Line]]) -> Callable[..., list[Line]]:
    """Decorate `render(subject, width, …)` so that every line it returns fits `width`."""
    @wraps(render)
    def fitting(subject: Any, width: int, *args: Any, **kwargs: Any) -> list[Line]:
        return fitted(render(subject, width, *args, **kwargs), width)
    return fitting
