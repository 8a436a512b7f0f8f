"""Form choices whose state reads without colour: ● / ○ radio buttons and ✓ tick lists
(Textual's own draw the same glyph on and off and tell them apart by colour alone)."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import RadioButton, SelectionList


class ChoiceButton(RadioButton):
    """A radio button drawn ● when chosen and ○ when not."""

    @property
    def _button(self) -> Content:
        button = super()._button
        inner = "●" if self.value else "○"
        return Content.assemble(*((inner if span_text == self.BUTTON_INNER else span_text, style)
                                  for span_text, style in _pieces(button)))


def _pieces(content: Content) -> list[tuple[str, Any]]:
    """(text, style) runs of a Content, in order."""
    out: list[tuple[str, Any]] = []
    plain = content.plain
    for span in content.spans:
        out.append((plain[span.start:span.end], span.style))
    return out


class TickList(SelectionList[str]):
    """A selection list drawn ✓ for a ticked item and blank for an open one."""

    def render_line(self, y: int) -> Strip:
        """Textual's line with the tick glyph set by state."""
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 3:
            return strip
        _, scroll_y = self.scroll_offset
        try:
            option = self.get_option_at_index(scroll_y + y)
        except Exception:  # noqa: BLE001 - past the last option: the plain line
            return strip
        ticked = option.value in self._selected  # type: ignore[attr-defined]
        inner = segments[1]
        segments[1] = Segment("✓" if ticked else " ", inner.style)
        return Strip(segments, strip.cell_length)
