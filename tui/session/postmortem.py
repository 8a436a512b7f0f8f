"""The post-incident record: the report's written parts, five whys, fishbone causes, lessons,
action items, prevention, re-release criteria and completion — each change one journaled
`postmortem.updated` event holding the whole section (the latest wins on replay).

This work happens after the incident is resolved, often days later and from another process:
`attach_post_incident` opens a resolved incident for it without resuming the rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self

from tui.adapters.journal import load_state
from tui.domain import incident as ev
from tui.domain import postmortem as pm
from tui.domain.runbook import Runbook
from tui.domain.status import CheckStatus
from tui.session.core import SessionConfig, SessionCore, SessionError

ENTRY_NAMES = {"five_whys": "why", "went_well": "went-well lesson",
               "to_improve": "to-improve lesson", "prevention": "prevention measure",
               "action_items": "action item"}


class PostmortemMixin(SessionCore):
    """update_postmortem and its conveniences; attach_post_incident; deadlines."""

    @classmethod
    def attach_post_incident(cls, folder: Path, runbook: Runbook, config: SessionConfig
                             ) -> Self:
        """Open an incident (resolved or not) for post-incident writing: nothing is resumed,
        nothing journaled on attaching, the rollback's steps stay as they are.

        Unlike `resume`, a runbook changed since the incident opened is accepted (updating
        the rollback plan is one of the re-release criteria); only the checklist's item ids
        are used. Another live process holding the incident raises JournalLockedError.
        """
        state, _ = load_state(folder)
        if state.incident_id is None:
            raise SessionError(f"{folder}: the journal has no incident.opened event; there is "
                               "no incident to write a postmortem for")
        values = {k: str(v) for k, v in state.params.items()}
        try:
            values = runbook.resolve_parameters(
                {k: v for k, v in values.items()
                 if (p := runbook.parameter(k)) is not None and not p.secret}, config.environ)
        except ValueError:
            pass  # the runbook changed its parameters: the journal's values still name things
        values.update(incident_id=folder.name, incident_dir=str(folder))
        writer = cls._writer(runbook, values, folder, config).open()
        state, _ = load_state(folder)  # again under the lock: nobody appended since
        return cls(runbook, values, folder, config, writer, state)

    # ---- reading -----------------------------------------------------------------------------
    def postmortem(self) -> dict[str, Any]:
        """The record as journaled so far (a copy)."""
        return self.snapshot().postmortem

    def deadlines(self, now: datetime | None = None) -> tuple[pm.Deadline, ...]:
        """The incident report (24 h) and postmortem (48 h) after resolution, and where each
        stands."""
        return pm.state_deadlines(self.snapshot(), now)

    # ---- writing -----------------------------------------------------------------------------
    def update_postmortem(self, section: str, value: Any) -> Any:
        """Journal a whole section's new value (checked first); returns it as journaled."""
        self._require_writer()
        try:
            checked = pm.check_section(section, value)
        except pm.PostmortemError as exc:
            raise SessionError(str(exc)) from None
        self.record(ev.POSTMORTEM_UPDATED, {"section": section, "value": checked})
        return checked

    def _change(self, section: str, change: Callable[[Any], Any]) -> Any:
        """Read, change and journal one section without another thread's change in between."""
        self._require_writer()
        with self._lock:
            current = self.state.postmortem.get(section)
            return self.update_postmortem(section, change(current))

    def _require_writer(self) -> None:
        if self.read_only:
            raise SessionError(f"incident {self.incident_id} is open read-only here "
                               "(followed): the post-incident record is written by the "
                               "session that holds it")

    def set_text(self, section: str, text: str) -> str:
        """Write one of the report's text sections (issue_description, root_cause, …)."""
        try:
            name = pm.text_section(section)
        except pm.PostmortemError as exc:
            raise SessionError(str(exc)) from None
        return str(self.update_postmortem(name, text))

    def _append(self, section: str, text: str, what: str) -> list[str]:
        if not text.strip():
            raise SessionError(f"{what} needs some text")
        return list(self._change(section, lambda lines: [*(lines or []), text]))

    def add_why(self, text: str) -> list[str]:
        """The next answer to "Why?" (the last one is the root cause)."""
        return self._append("five_whys", text, "a why")

    def add_lesson(self, kind: str, text: str) -> list[str]:
        """A lesson learned: `went_well` (or went-well) or `to_improve`."""
        try:
            section = pm.lesson_section(kind)
        except pm.PostmortemError as exc:
            raise SessionError(str(exc)) from None
        return self._append(section, text, "a lesson")

    def add_prevention(self, text: str) -> list[str]:
        """A prevention measure (the seed's common improvements or one of your own)."""
        return self._append("prevention", text, "a prevention measure")

    def set_prevention(self, text: str, included: bool) -> list[str]:
        """Tick (or untick) one measure: present once in the list, or absent."""
        def change(lines: Any) -> list[str]:
            kept = [line for line in lines or [] if line != text.strip()]
            return [*kept, text] if included else kept

        return list(self._change("prevention", change))

    def add_cause(self, category: str, text: str) -> dict[str, list[str]]:
        """A cause under a fishbone category (people, process, technology, environment)."""
        try:
            name = pm.fishbone_category(category)
        except pm.PostmortemError as exc:
            raise SessionError(str(exc)) from None
        if not text.strip():
            raise SessionError("a cause needs some text")
        return dict(self._change("fishbone", lambda bones: {
            **(bones or {}), name: [*((bones or {}).get(name) or []), text]}))

    def add_action_item(self, text: str, owner: str, due: date | str) -> list[dict[str, Any]]:
        """An action item with its owner and due date (YYYY-MM-DD)."""
        try:
            day = due if isinstance(due, date) else pm.parse_due(due)
        except pm.PostmortemError as exc:
            raise SessionError(str(exc)) from None
        if not text.strip() or not owner.strip():
            raise SessionError("an action item needs some text and an owner")
        item = pm.ActionItem(text, owner, day).to_dict()
        return list(self._change("action_items", lambda items: [*(items or []), item]))

    def set_action_done(self, index: int, done: bool = True) -> dict[str, Any]:
        """Mark action item `index` (0-based) done or open again."""
        def change(items: Any) -> list[dict[str, Any]]:
            items = list(items or [])
            self._check_index(index, items, "action item")
            items[index] = {**items[index], "done": done}
            return items

        return self._change("action_items", change)[index]

    def remove_entry(self, section: str, index: int, category: str | None = None) -> Any:
        """Take entry `index` (0-based) out of a list section, an action item, or a fishbone
        category's causes."""
        if section == "fishbone":
            try:
                name = pm.fishbone_category(category or "")
            except pm.PostmortemError as exc:
                raise SessionError(str(exc)) from None

            def drop_cause(bones: Any) -> dict[str, list[str]]:
                causes = list((bones or {}).get(name) or [])
                self._check_index(index, causes, f"{name} cause")
                del causes[index]
                return {**(bones or {}), name: causes}

            return self._change("fishbone", drop_cause)
        if section not in (*pm.LIST_SECTIONS, "action_items"):
            raise SessionError(f"{section!r} is not a list (lists: "
                               f"{', '.join((*pm.LIST_SECTIONS, 'action_items', 'fishbone'))})")

        def drop(entries: Any) -> list[Any]:
            entries = list(entries or [])
            self._check_index(index, entries, ENTRY_NAMES[section])
            del entries[index]
            return entries

        return self._change(section, drop)

    @staticmethod
    def _check_index(index: int, entries: list[Any], what: str) -> None:
        if not 0 <= index < len(entries):
            shown = f"1–{len(entries)}" if entries else "there are none yet"
            raise SessionError(f"no {what} {index + 1} ({shown})")

    def set_criterion(self, criterion: str, checked: bool = True) -> dict[str, bool]:
        """Tick (or untick) a re-release criterion."""
        try:
            key = pm.criterion_id(criterion)
        except pm.PostmortemError as exc:
            raise SessionError(str(exc)) from None
        return dict(self._change("re_release", lambda ticks: {**(ticks or {}), key: checked}))

    def complete_postmortem(self, complete: bool = True) -> str:
        """Mark the record complete (it needs a root cause and an action item), or a draft
        again."""
        self._require_writer()
        if complete:
            missing = pm.missing_for_completion(self.postmortem())
            if missing:
                raise SessionError("the postmortem cannot be marked complete yet: it needs "
                                   + " and ".join(missing))
        status = pm.PostmortemStatus.COMPLETE if complete else pm.PostmortemStatus.DRAFT
        return str(self.update_postmortem("status", status.value))

    def tick_post_rollback(self, item_id: str, checked: bool = True, note: str = "") -> str:
        """Tick a post-rollback action (incident_report, rca_scheduled, …), resolved incident
        or not: these are done after the rollback, and the report's deadline is met by
        ticking `incident_report`."""
        self._require_writer()
        known = [item.id for item in self.runbook.post_rollback]
        if item_id not in known:
            raise SessionError(f"{item_id!r} is not a post-rollback action of "
                               f"{self.runbook.id} (one of: {', '.join(known) or 'none'})")
        status = CheckStatus.PASS if checked else CheckStatus.OPEN
        self.record(ev.CHECK_RECORDED, {"item_id": item_id, "status": status,
                                        "note": note.strip()})
        return str(status)
