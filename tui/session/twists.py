"""A drill's twists in the journal: each twist the drill fired is journaled once (`drill.twist`),
and what the operator would hear of it (user reports, a status update asked for) as a warning.

The drill numbers its twists (`seq`) within its run (`run`); the journal's twists say which are
known, so a session that restarts, or two that look at once, never journal one twice, and a
drill started again for the incident (numbering from 1 again) loses none.
"""

from __future__ import annotations

import threading
from typing import Any

from tui.adapters.drill_link import DrillLink, DrillLinkError
from tui.adapters.kube_types import KubeError
from tui.domain import incident as ev
from tui.session.core import SessionCore, SessionError

TWIST_FIELDS = ("run", "seq", "event", "detail", "source", "fired_at", "scenario_seconds")
REPORT_TEXT_LIMIT = 4  # reports quoted in the warning; the rest are counted
_MAKING_LOCK = threading.Lock()  # two threads' first syncs make one lock, not two


def news(twist: dict[str, Any], reports: list[dict[str, Any]]) -> str:
    """What the operator is told of a twist that reaches them in person ("" for one they
    must notice for themselves, e.g. Prometheus not answering)."""
    event = twist.get("event")
    if event == "status-update-due":
        return ("The incident commander asks for a status update now (drill twist "
                f"#{twist.get('seq')}): the next status update is due — press c to write it")
    if event == "user-reports":
        texts = [f"“{r.get('text')}” ({r.get('channel')})" for r in reports]
        more = len(texts) - REPORT_TEXT_LIMIT
        quoted = "; ".join(texts[:REPORT_TEXT_LIMIT]) + (f"; and {more} more" if more > 0
                                                         else "")
        count = len(reports)
        return f"{count} user report{'s' * (count != 1)} arrived: {quoted}"
    return ""


class TwistsMixin(SessionCore):
    """sync_twists: journal the drill's twists as they fire."""

    _twists_lock: threading.Lock | None = None
    _twists_unreachable = False

    def sync_twists(self) -> list[dict[str, Any]]:
        """Journal each twist the drill fired that the journal does not have yet (by its seq);
        returns their data. Only for drill incidents; a drill that does not answer is journaled
        once as a warning (until it answers again), never raised. Blocking: call off the UI."""
        if not self.state.drill or self.read_only:
            return []
        with _MAKING_LOCK:
            if self._twists_lock is None:
                self._twists_lock = threading.Lock()
        if not self._twists_lock.acquire(blocking=False):
            return []  # another thread is syncing right now
        try:
            return self._sync_twists()
        finally:
            self._twists_lock.release()

    def twist_catalogue(self) -> list[dict[str, Any]]:
        """The twists this incident's drill can fire ({"event", "argument", "detail"} each);
        SessionError when the drill does not answer. Blocking."""
        try:
            answer = DrillLink(self.kube.api_client).get("/drill/twists")
            return [dict(k) for k in answer["catalogue"]]
        except (DrillLinkError, KubeError) as exc:
            raise SessionError(f"no twists: {exc}") from None
        except (KeyError, TypeError, AttributeError):
            raise SessionError("no twists: the cluster's answer has no catalogue; is this "
                               "incident's cluster a drill?") from None

    def fire_twist(self, event: str) -> dict[str, Any]:
        """Fire a twist now as the facilitator (`user-reports=3`), then journal what fired;
        returns the drill's record of it. SessionError when the drill refuses or is gone."""
        if not self.state.drill and not self.config.drill:
            raise SessionError(f"incident {self.incident_id} is not a drill: twists exist only "
                               "in drills")
        try:
            fired = DrillLink(self.kube.api_client).post(
                "/drill/twists", {"event": event, "source": "facilitator"})
        except (DrillLinkError, KubeError) as exc:
            raise SessionError(f"twist {event} not fired: {exc}") from None
        self.sync_twists()
        return dict(fired) if isinstance(fired, dict) else {}

    def _sync_twists(self) -> list[dict[str, Any]]:
        try:
            link = DrillLink(self.kube.api_client)
            fired = (link.get("/drill/twists") or {}).get("fired") or []
            known = {(t.get("run"), t.get("seq")) for t in self.state.twists}
            new = sorted((t for t in fired if isinstance(t, dict)
                          and (t.get("run"), t.get("seq")) not in known),
                         key=lambda t: int(t.get("seq") or 0))
            reports = link.get("/drill/reports").get("reports", []) if any(
                t.get("event") == "user-reports" for t in new) else []
        except (DrillLinkError, KubeError, AttributeError, TypeError, ValueError) as exc:
            if not self._twists_unreachable:
                self._twists_unreachable = True
                self.journal_error(f"drill twists: {exc}")
            return []
        self._twists_unreachable = False
        journaled = []
        for twist in new:
            data = {k: twist.get(k) for k in TWIST_FIELDS}
            self.record(ev.DRILL_TWIST, data)
            journaled.append(data)
            told = news(data, [r for r in reports if r.get("twist_seq") == data["seq"]])
            if told:
                self.record(ev.WARNING_RAISED, {"message": told, "twist_seq": data["seq"]})
        return journaled
