"""Journal text made literal in Markdown: what someone typed renders as typed on GitHub and in
Confluence, inside a paragraph, a list item or a pipe-table cell — never as markup or HTML."""

from __future__ import annotations

import re

# Punctuation that starts or ends inline markup (emphasis, code, links, HTML, tables,
# strikethrough, entities, GitHub math). CommonMark lets any ASCII punctuation be escaped.
_INLINE = re.compile(r"([\\`*_\[\]<>|~&$])")
# What turns the start of a line into a block: a heading, a list item, a setext underline.
_BLOCK_START = re.compile(r"^(#{1,6}|[-+]|\d{1,9}[.)])(?=\s|$)|^([=-])(?=[=\s-]*$)")
_CONTROL = dict.fromkeys([*range(0x20), 0x7F], " ")
_CONTROL.update(dict.fromkeys([0x2028, 0x2029, 0x85], " "))


def md_inline(value: object) -> str:
    """One value as literal, single-line Markdown (newlines and `|` cannot end a table cell)."""
    if value is None:
        return ""
    text = " ".join(str(value).translate(_CONTROL).split())
    text = _INLINE.sub(r"\\\1", text)
    return _BLOCK_START.sub(_escape_last, text)


def _escape_last(match: re.Match[str]) -> str:
    marker = match.group(0)
    return marker[:-1] + "\\" + marker[-1]

