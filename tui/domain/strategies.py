"""The seed's five rollback strategies: what each does, when to use it, how long it takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strategy:
    """One strategy of the seed's Rollback Strategy Selection."""

    id: str
    title: str
    what: str
    when: str
    time: str


STRATEGIES: tuple[Strategy, ...] = (
    Strategy("revert-deployment", "Revert Deployment", "Redeploy previous version",
             "stateless applications", "5-15 minutes"),
    Strategy("blue-green-switchback", "Blue-Green Switchback",
             "Switch traffic back to blue environment", "blue-green deployment used",
             "< 5 minutes"),
    Strategy("feature-flag-disable", "Feature Flag Disable", "Disable problematic features",
             "features flag-gated", "< 1 minute"),
    Strategy("database-rollback", "Database Rollback", "Restore database to previous state",
             "only if data migration occurred", "15 minutes to several hours"),
    Strategy("full-system-rollback", "Full System Rollback", "Revert all components",
             "major releases", "30 minutes to 2 hours"),
)
BY_ID = {s.id: s for s in STRATEGIES}


@dataclass(frozen=True)
class AgendaItem:
    """One timeboxed item of the seed's decision-meeting agenda."""

    title: str
    minutes: int
    points: tuple[str, ...]


AGENDA: tuple[AgendaItem, ...] = (
    AgendaItem("Situation report", 5, ("What is broken?", "Impact and scope",
                                       "Timeline of events")),
    AgendaItem("Options analysis", 10, ("Rollback (time, risk)", "Fix forward (time, risk)",
                                        "Workaround (time, risk)")),
    AgendaItem("Decision", 5, ("Go/no-go on rollback", "If rollback: confirm team ready",
                               "If fix forward: assign engineer and timeline")),
    AgendaItem("Communication plan", 5, ("Internal notifications", "Customer communication",
                                         "Status page update")),
)
MEETING_TARGET = 15 * 60  # participants within 15 minutes; a decision this fast is the aim
MEETING_MAX = 30 * 60  # "15-30 minutes max"


def agenda_position(elapsed: float) -> tuple[int, float]:
    """Which agenda item the meeting should be on after `elapsed` seconds, and how far into it."""
    start = 0.0
    for index, item in enumerate(AGENDA):
        end = start + item.minutes * 60
        if elapsed < end:
            return index, elapsed - start
        start = end
    return len(AGENDA) - 1, elapsed - (start - AGENDA[-1].minutes * 60)


def meeting_level(elapsed: float) -> str:
    """"ok" within 15 minutes, "warning" up to 30, "error" beyond: the team hesitates."""
    if elapsed < MEETING_TARGET:
        return "ok"
    return "warning" if elapsed < MEETING_MAX else "error"
