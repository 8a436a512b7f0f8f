"""The always-visible top line: where am I, what am I touching, how long has it been.

` DRILL  PROD  kind-prod ▸ production ▸ deploy/checkout · INC 20261130-0412 · ③ EXECUTE ·
detected 14m · update in 3:12` — narrower, the labels go and the values stay
(`kind-prod▸production▸checkout INC…0412 ③ 14m upd 3:12`). A production context is shown in the
error colour with a PROD badge; the next status update turns warning under a minute and error
when overdue (`update OVERDUE 2:05`). A drill at a speed other than 1 says so (`DRILL ×10`)
and its clocks run at that speed, as the drill's deadlines do. Only the clock part is
recomputed every second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.drill_timing import WALL, ScenarioClock
from tui.domain.status import Phase
from widgets.text import Line, component_palette, fit_line, inert, line_width, to_text
from widgets.timefmt import Clock, age_text, clock_text, system_clock

DEFAULT_PRODUCTION = r"prod"
CIRCLED = {Phase.ASSESS: "①", Phase.DECIDE: "②", Phase.EXECUTE: "③", Phase.VERIFY: "④"}
ROLES = ("badge", "drill", "prod-badge", "prod", "muted", "phase", "warning", "error", "held")
SOON = 60.0  # seconds before a status update is due when the clock turns warning


@dataclass(frozen=True)
class ContextInfo:
    """What the context bar shows; times are epoch seconds."""

    context: str
    namespace: str
    deployment: str
    incident_id: str | None = None
    phase: Phase = Phase.ASSESS
    detected_at: float | None = None
    update_due_at: float | None = None
    drill: bool = False
    dry_run: bool = False
    read_only: bool = False
    held_by: str | None = None
    pace: ScenarioClock = WALL  # a drill's clock: its deadlines pass at its speed
    ended_at: float | None = None  # resolved: the age stops there


def is_production(context: str, pattern: str | re.Pattern[str] = DEFAULT_PRODUCTION) -> bool:
    """Whether a context name matches the production pattern (case-insensitive search)."""
    regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, re.IGNORECASE)
    return bool(regex.search(context))


def short_incident(incident_id: str) -> str:
    """`…0412` for `20261130-041207-revert-deployment` (its hour and minute); else the tail."""
    match = re.match(r"\d{8}-(\d{4})", incident_id)
    if match:
        return "…" + match.group(1)
    return incident_id if len(incident_id) <= 8 else "…" + incident_id[-6:]


def phase_text(phase: Phase, wide: bool) -> str:
    """`③ EXECUTE` (wide) or `③`; closed incidents read `CLOSED` either way."""
    if phase is Phase.CLOSED:
        return "■ CLOSED" if wide else "CLOSED"
    return f"{CIRCLED[phase]} {phase.value.upper()}" if wide else CIRCLED[phase]


def badges(info: ContextInfo, production: bool, padded: bool = True) -> Line:
    """DRILL, PROD, DRY-RUN, READ-ONLY as reversed words, each followed by a space."""
    line: Line = []
    drill = f"DRILL ×{info.pace.scale:g}" if info.pace.scale != 1 else "DRILL"
    for shown, word, role in ((info.drill, drill, "drill"), (production, "PROD", "prod-badge"),
                              (info.dry_run, "DRY-RUN", "badge"),
                              (info.read_only, "READ-ONLY", "badge")):
        if shown:
            line += [(f" {word} " if padded else word, role), (" ", "")]
    return line


@dataclass(frozen=True)
class BarForm:
    """One way to lay the bar out, except the clock (which ticks): badges, the context path,
    the rest before the clock, what follows it, and whether the clock takes its wide form."""

    lead: Line
    path: Line
    rest: Line
    tail: Line
    wide_clock: bool

    def line(self, clock: Line) -> Line:
        """The whole bar with `clock` in its place."""
        return [*self.lead, *self.path, *self.rest, *clock, *self.tail]


def bar_forms(info: ContextInfo, production: bool) -> list[BarForm]:
    """The layouts from widest to narrowest: full labels, a short incident id, fewer words,
    then values only."""
    context_role = "prod" if production else ""
    context, namespace = inert(info.context, 60), inert(info.namespace, 60)
    deployment = inert(info.deployment, 60)
    incident = inert(info.incident_id or "", 80)
    short = short_incident(incident) if incident else ""
    sep = (" · ", "muted")
    held = inert(info.held_by or "", 60)
    wide_phase = (phase_text(info.phase, True), "phase")

    def path(arrow: str, kind: str) -> Line:
        return [(context, context_role), (arrow, "muted"), (namespace, ""), (arrow, "muted"),
                *([(kind, "muted")] if kind else []), (deployment, "")]

    forms = []
    for incident_text in dict.fromkeys([incident, short]):
        rest: Line = [sep, ("INC ", "muted"), (incident_text, "")] if incident_text else []
        forms.append(BarForm(
            badges(info, production), path(" ▸ ", "deploy/"), [*rest, sep, wide_phase, sep],
            [sep, ("followed · held by ", "muted"), (held, "held")] if held else [], True))
    rest = [sep, ("INC", "muted"), (short, "")] if short else []
    tail: Line = [sep, ("held by ", "muted"), (held, "held")] if held else []
    forms.append(BarForm(badges(info, production), path(" ▸ ", ""), [*rest, sep, wide_phase, sep],
                         tail, False))
    rest = [(" INC", "muted"), (short, "")] if short else []
    rest += [(" ", ""), (phase_text(info.phase, False), "phase"), (" ", "")]
    tail = [(" held by ", "muted"), (held, "held")] if held else []
    forms.append(BarForm(badges(info, production, padded=False), path("▸", ""), rest, tail,
                         False))
    return forms


def clock_line(info: ContextInfo, now: float, wide: bool) -> Line:
    """`detected 14m · update in 3:12` (wide) or `14m upd 3:12`; warning/error as it nears."""
    line: Line = []
    if info.detected_at is not None:
        until = min(now, info.ended_at) if info.ended_at is not None else now
        age = age_text(info.pace.between(info.detected_at, until) or 0.0)
        line += [("detected ", "muted"), (age, "")] if wide else [(age, "")]
    if info.update_due_at is not None:
        left = info.pace.between(now, info.update_due_at) or 0.0
        if line:
            line.append((" · ", "muted") if wide else (" ", ""))
        label = "update" if wide else "upd"
        if left < 0:
            line += [(f"{label} ", "muted"), (f"OVERDUE {clock_text(-left)}", "error")]
        else:
            role = "warning" if left < SOON else ""
            line += [(f"{label} in " if wide else f"{label} ", "muted"),
                     (clock_text(left), role)]
    return line


def bar_line(info: ContextInfo, now: float, width: int, production: bool,
             forms: list[BarForm] | None = None) -> Line:
    """The whole bar at `width` cells: the widest form that fits, else the narrow one with its
    context path cut (the badges, phase and clock stay whole as long as they can)."""
    forms = forms if forms is not None else bar_forms(info, production)
    for form in forms:
        line = form.line(clock_line(info, now, form.wide_clock))
        if line_width(line) <= width:
            return line
    narrow = forms[-1]
    clock = clock_line(info, now, False)
    for tail in (narrow.tail, []):  # who holds the incident gives way before the clock
        room = width - line_width([*narrow.lead, *narrow.rest, *clock, *tail])
        if room >= min(12, line_width(narrow.path)):
            return [*narrow.lead, *fit_line(narrow.path, room), *narrow.rest, *clock, *tail]
    return fit_line(narrow.line(clock), width)


class ContextBar(Widget):
    """One line: context ▸ namespace ▸ deployment, incident, phase, clocks and badges."""

    DEFAULT_CSS = """
    ContextBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        & > .context-bar--badge { background: $secondary; color: $text; text-style: bold; }
        & > .context-bar--drill { background: $warning; color: $text; text-style: bold; }
        & > .context-bar--prod-badge { background: $error; color: $text; text-style: bold; }
        & > .context-bar--prod { color: $text-error; text-style: bold; }
        & > .context-bar--muted { color: $text-muted; }
        & > .context-bar--phase { color: $text-accent; text-style: bold; }
        & > .context-bar--warning { color: $text-warning; text-style: bold; }
        & > .context-bar--error { color: $text-error; text-style: bold reverse; }
        & > .context-bar--held { color: $text-warning; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"context-bar--{role}" for role in ROLES}

    info: reactive[ContextInfo | None] = reactive(None, layout=False)
    """What to show; set by the screen whenever any of it changes."""

    def __init__(self, info: ContextInfo | None = None, *, clock: Clock = system_clock,
                 production_pattern: str | re.Pattern[str] = DEFAULT_PRODUCTION,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.production_pattern = production_pattern
        self._forms: list[BarForm] = []
        self._production = False
        self.info = info

    def watch_info(self, info: ContextInfo | None) -> None:
        """Recompute everything but the clock, and the state classes."""
        self._production = bool(info) and is_production(info.context, self.production_pattern)
        self._forms = bar_forms(info, self._production) if info else []
        self.set_class(self._production, "-prod")
        self.set_class(bool(info and info.drill), "-drill")

    def on_mount(self) -> None:
        """Tick once a second: the clock part is all that changes."""
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        info = self.info
        overdue = bool(info and info.update_due_at is not None
                       and self.clock() > info.update_due_at)
        self.set_class(overdue, "-overdue")
        self.refresh()

    @property
    def production(self) -> bool:
        """Whether the context is a production one."""
        return self._production

    def render(self) -> Text:
        """The bar at the current width and time."""
        if self.info is None:
            return Text("")
        line = bar_line(self.info, self.clock(), self.size.width, self._production, self._forms)
        return to_text(line, component_palette(self, "context-bar", ROLES))
