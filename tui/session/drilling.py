"""Practice drills in the journal: the scenario and its ground truth when the incident opens,
the drill cluster's record of changes when it resolves (what the scorecard is built from).

A drill that does not answer never stops the incident: each failure is a journaled warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tui.adapters.drill_link import DrillLink, DrillLinkError
from tui.adapters.journal import JournalError
from tui.adapters.kube_config import marks_drill
from tui.adapters.kube_types import KubeError
from tui.domain import incident as ev
from tui.session.core import SessionCore, SessionError

SCENARIO_KEYS = ("scenario", "description", "truth", "speed", "drill_started_at", "release_at",
                 "twists_scheduled")


def drill_started_data(info: dict[str, Any], scenario: dict[str, Any] | None
                       ) -> dict[str, Any]:
    """The `drill.started` data from `GET /drill/info` and `GET /drill/scenario` (None when the
    drill is too old to serve it: the scenario id from its info, the rest unknown)."""
    scenario = scenario or {}
    data = {key: scenario.get(key) for key in SCENARIO_KEYS}
    data["scenario"] = data["scenario"] or info.get("scenario")
    data["description"] = data["description"] or ""
    data["speed"] = float(data["speed"] or 1.0)
    data["twists_scheduled"] = list(data["twists_scheduled"] or [])
    return data


class DrillingMixin(SessionCore):
    """Journals drill.started and drill.record for an incident worked on a drill cluster."""

    def is_drill(self) -> bool:
        """Whether this incident is a drill: configured so, or its kubeconfig marks a drill."""
        if self.config.drill or self.state.drill:
            return True
        if self.config.connect_kube is not None:
            return False  # (a connection made elsewhere: known once connected)
        return marks_drill(self.config.kubeconfig, self.config.context)

    def after_open(self) -> None:
        """Right after incident.opened: journal drill.started when the incident is a drill."""
        if self.is_drill():
            self.journal_drill_started()

    def before_resolve(self) -> None:
        """Right before incident.resolved: journal drill.record for a drill."""
        if self.state.drill_scenario is not None or self.state.drill:
            self.refresh_drill_record()

    @contextmanager
    def _drill_link(self) -> Iterator[DrillLink]:
        """The session's cluster connection if it has one; else one of its own, closed after
        (so opening a drill journals no cluster.connected before anyone listens)."""
        kube = self.ctx._kube
        if kube is not None:
            yield DrillLink(kube.api_client)
            return
        if self.config.connect_kube is not None:
            kube = self.config.connect_kube()
        else:
            from tui.adapters.kube import Kube

            kube = Kube.connect(self.config.kubeconfig, self.config.context,
                                self.config.namespace or self.values.get("namespace"))
        try:
            yield DrillLink(kube.api_client)
        finally:
            kube.close()

    def journal_drill_started(self) -> bool:
        """Ask the drill for its scenario and journal drill.started; False (warned) if it
        cannot answer."""
        try:
            with self._drill_link() as link:
                info = link.get("/drill/info") or {}
                try:
                    scenario = link.get("/drill/scenario")
                except DrillLinkError:
                    scenario = None  # a drill from before /drill/scenario: what its info says
        except (DrillLinkError, KubeError) as exc:
            self.journal_error(f"this drill's scenario is not journaled: {exc} — the score "
                               "will not know its ground truth")
            return False
        self.record(ev.DRILL_STARTED, drill_started_data(info, scenario))
        return True

    def refresh_drill_record(self, *, journal: bool = True) -> dict[str, Any] | None:
        """Fetch the drill's record of changes; journal it as drill.record when this session
        writes (and `journal`). None, with a warning, when the drill does not answer."""
        try:
            with self._drill_link() as link:
                data = link.get("/drill/record")
        except (DrillLinkError, KubeError) as exc:
            if not self.read_only:
                self.journal_error(f"the drill's record of changes is not journaled: {exc} — "
                                   "the score cannot tell improvised changes")
            return None
        if not isinstance(data, dict) or "changes" not in data:
            if not self.read_only:
                self.journal_error("the drill answered GET /drill/record without a change "
                                   "record; the score cannot tell improvised changes")
            return None
        record = {"changes": list(data.get("changes") or []),
                  "deployments": dict(data.get("deployments") or {}),
                  "services": dict(data.get("services") or {}),
                  "flags": dict(data.get("flags") or {}),
                  "fetched_at": data.get("fetched_at")}
        if journal and not self.read_only:
            try:
                self.record(ev.DRILL_RECORD, record)
            except (JournalError, SessionError) as exc:
                self.journal_error(f"the drill's record of changes could not be journaled: {exc}")
        return record
