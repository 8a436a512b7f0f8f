"""The widgets' shared pieces: inert text, styled lines, wrapping, and time formats."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.style import Style

from widgets.text import fit_line, inert, line_text, line_width, to_text, wrap_words
from widgets.timefmt import age_text, clock_text, epoch, estimate_text


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b[2J\x1b]52;c;ZXZpbA==\x07ok", "^[[2J^[]52;c;ZXZpbA==^Gok"),
    ("[bold red]boom[/]", "[bold red]boom[/]"),
    ("a\rb", "a^Mb"),
    ("a\x00b", "a^@b"),
    ("\x9b31m\u202eevil", "^[[31m<U+202E>evil"),
    ("a\tb", "a    b"),
    ("one\ntwo", "one⏎two"),
])
def test_inert_shows_escapes_and_controls_in_caret_notation(raw: str, shown: str) -> None:
    assert inert(raw) == shown


def test_fit_line_cuts_across_pieces_with_an_ellipsis() -> None:
    line = [("abc", "x"), ("defgh", "y")]
    assert fit_line(line, 8) == line
    assert fit_line(line, 6) == [("abc", "x"), ("de…", "y")]
    assert fit_line(line, 3) == [("ab…", "x")]
    assert fit_line(line, 0) == []
    wide = fit_line([("漢字漢字", "")], 5)
    assert line_width(wide) <= 5 and line_text(wide).endswith("…")


def test_to_text_styles_by_role_and_never_parses_markup() -> None:
    text = to_text([("[b]x[/b]", "loud"), (" plain", "")], {"loud": Style(bold=True)})
    assert text.plain == "[b]x[/b] plain"
    assert text.spans[0].style == Style(bold=True)


def test_wrap_words_fills_lines_and_breaks_long_words() -> None:
    assert wrap_words("the quick brown fox", 9) == ["the quick", "brown fox"]
    assert wrap_words("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap_words("ab cd", 10, first=2) == ["ab", "cd"]
    assert all(cell_len(line) <= 3 for line in wrap_words("漢字テスト", 3))


def test_clocks_ages_and_estimates() -> None:
    assert clock_text(7) == "0:07" and clock_text(192) == "3:12"
    assert clock_text(3723) == "1:02:03" and clock_text(-5) == "0:00"
    assert age_text(42) == "42s" and age_text(14 * 60 + 30) == "14m"
    assert age_text(3900) == "1h 05m"
    assert estimate_text(30) == "30s" and estimate_text(60) == "1m"
    assert estimate_text(150) == "2m30s" and estimate_text(3600) == "1h"


def test_journal_timestamps_to_epoch() -> None:
    assert epoch("2026-11-30T04:12:07.000Z") == epoch("2026-11-30T04:12:07+00:00")
    assert epoch("2026-11-30T04:12:07") == epoch("2026-11-30T04:12:07Z")
    assert epoch("not a time") is None and epoch(None) is None and epoch("") is None
