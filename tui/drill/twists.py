"""Twists: surprises a scenario schedules or a facilitator injects while a drill runs.

Each twist changes the drill the way the real event would (a second service degrades, the
Prometheus API stops answering, RBAC denies the patch, user reports arrive, the status update
falls due, a pod of the good revision fails) and is recorded, numbered, as it fires; a session
journals the record (`GET /drill/twists`). `POST /drill/twists` fires one now.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.domain.durations import parse_duration
from tui.drill.clock import rfc3339
from tui.drill.httpserver import Request, Response, json_response
from tui.drill.podsim import Behavior

if TYPE_CHECKING:
    from tui.drill.cluster import DrillCluster

FAIL_SECONDS = 120.0  # scenario seconds a good pod stays not ready
DEGRADED_ERROR_RATIO = 0.18
DEGRADED_LATENCY_FACTOR = 3.0
DEFAULT_REPORTS, MAX_REPORTS = 5, 50
SOURCES = ("schedule", "facilitator")
REPORTS = (
    "{Service} spins forever after pressing Pay",
    "Got an error page from {service} twice, the third try worked",
    "Is {service} down? The page stays blank after I click Continue",
    "Payment went through but {service} shows an error: was I charged twice?",
    "{Service} is really slow for me since about ten minutes ago",
    "App says 'something went wrong' at the last step of {service}",
    "My cart emptied itself after {service} failed",
    "Can't finish my order, {service} keeps timing out",
)
CHANNELS = ("support ticket", "chat", "social media", "phone")


@dataclass(frozen=True)
class TwistKind:
    """One event of the catalogue: its name, its optional argument, what it does."""

    name: str
    argument: str  # "" (none), "SERVICE" or "N"
    summary: str

    def describe(self) -> dict[str, Any]:
        """As `GET /drill/twists` lists it."""
        return {"event": self.name, "argument": self.argument or None, "detail": self.summary}

    @property
    def usage(self) -> str:
        """`user-reports[=N]`."""
        return f"{self.name}[={self.argument}]" if self.argument else self.name


CATALOGUE: tuple[TwistKind, ...] = (
    TwistKind("second-service-degrades", "SERVICE",
              "another service of the scenario degrades: ~18% of its requests fail, p95 "
              "latency triples (default: the first service that is not the drill's own)"),
    TwistKind("prometheus-down", "", "the Prometheus API (and the apps' /metrics) stops "
              "answering: HTTP 503"),
    TwistKind("rbac-denies-patch", "", "RBAC starts denying patch on deployments: kubectl "
              "patch/rollout undo get 403, SelfSubjectAccessReview answers denied"),
    TwistKind("user-reports", "N", f"a burst of N user reports arrives (default "
              f"{DEFAULT_REPORTS}, at most {MAX_REPORTS}; GET /drill/reports)"),
    TwistKind("status-update-due", "", "the incident commander asks for a status update now"),
    TwistKind("good-pod-fails", "", "a pod of the good (previous) revision fails its readiness "
              "probe for 2 minutes (the next one to turn ready, if none runs now)"),
)
KINDS = {kind.name: kind for kind in CATALOGUE}
_SERVICE = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_COUNT = r"[1-9]|[1-4][0-9]|50"
EVENT_PATTERN = "^(" + "|".join(
    re.escape(k.name) + {"SERVICE": f"(=({_SERVICE}))?", "N": f"(=({_COUNT}))?"}.get(
        k.argument, "") for k in CATALOGUE) + ")$"
EVENT_HINT = "one of: " + ", ".join(k.usage for k in CATALOGUE)


class TwistError(ValueError):
    """A twist that is unknown (`status` 400) or cannot apply to this drill (409)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_event(spec: str) -> tuple[TwistKind, str]:
    """The catalogue entry and argument of `name[=value]`; TwistError naming the catalogue."""
    name, _, value = str(spec).strip().partition("=")
    kind = KINDS.get(name.strip())
    if kind is None:
        raise TwistError(f"unknown twist {name.strip()[:60]!r} ({EVENT_HINT})")
    if not re.fullmatch(EVENT_PATTERN, str(spec).strip()):
        wanted = {"SERVICE": "a service name", "N": f"a number from 1 to {MAX_REPORTS}"}.get(
            kind.argument)
        takes = f"={kind.argument}, {wanted}" if wanted else "no argument"
        raise TwistError(f"twist {kind.name} takes {takes} (e.g. {kind.usage})")
    return kind, value


def _own_service(data: dict[str, Any]) -> str:
    """The service the drill is about: the `service` parameter, else the first deployment's."""
    params = data.get("params") or {}
    deployments = data.get("deployments") or [{}]
    return str(params.get("service") or deployments[0].get("name") or "")


def _degradable(data: dict[str, Any], wanted: str) -> str:
    """The service a second-service-degrades twist degrades; TwistError when there is none."""
    services = [s["name"] for s in data.get("services") or []]
    own = _own_service(data)
    if wanted:
        if wanted not in services:
            raise TwistError(f"second-service-degrades={wanted}: the scenario has no service "
                             f"{wanted!r} (services: {', '.join(services) or 'none'})")
        return wanted
    others = [name for name in services if name != own]
    if not others:
        raise TwistError(f"second-service-degrades cannot apply: scenario {data.get('id')} has "
                         f"no service besides {own or 'its own'} (give it a second one under "
                         "services:, or pick another twist)", status=409)
    return others[0]


def schedule_problems(data: dict[str, Any]) -> list[str]:
    """What is wrong with a scenario's `twists:` beyond their form (e.g. no second service)."""
    problems = []
    for entry in data.get("twists") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("event"), str):
            continue
        try:
            kind, value = parse_event(entry["event"])
            if kind.name == "second-service-degrades":
                _degradable(data, value)
        except TwistError as exc:
            problems.append(f"twist at {entry.get('at')}: {exc}")
    return problems


class Twists:
    """The drill's twists: catalogue, schedule, what fired, the user reports, the effects."""

    def __init__(self, cluster: DrillCluster) -> None:
        """Read the scenario's `twists:` schedule; effects act on `cluster`."""
        self.cluster = cluster
        data = cluster.scenario.data
        self.scheduled = sorted(({"at": parse_duration(str(e["at"])), "event": str(e["event"])}
                                 for e in data.get("twists") or []), key=lambda e: e["at"])
        self._due = list(self.scheduled)
        self.fired: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.degraded: set[str] = set()
        self._armed: list[int] = []  # seqs of good-pod-fails twists waiting for a good pod
        self.lock = threading.Lock()
        # This drill's run: a drill started again for the same incident numbers from 1 again.
        self.run = secrets.token_hex(4)

    def tick(self) -> None:
        """Fire the scheduled twists that are due; fail a good pod for an armed twist."""
        elapsed = self.cluster.scenario_seconds()
        while self._due and self._due[0]["at"] <= elapsed:
            entry = self._due.pop(0)
            try:
                self.fire(entry["event"], "schedule")
            except TwistError as exc:  # validated with the scenario; a drill keeps running
                self.cluster.errors.exception(f"scheduled twist {entry['event']}", exc)
        if self._armed:
            with self.cluster.store.lock, self.lock:
                if self._armed and self._fail_good_pod():
                    self._armed.pop(0)

    # ---- firing ------------------------------------------------------------------------------
    def fire(self, spec: str, source: str = "facilitator") -> dict[str, Any]:
        """Fire a twist now: apply its effect and record it; TwistError if it cannot be."""
        kind, value = parse_event(spec)
        if source not in SOURCES:
            raise TwistError(f"source {source!r}: expected one of {', '.join(SOURCES)}")
        with self.cluster.store.lock, self.lock:
            seq = len(self.fired) + 1
            detail = getattr(self, "_" + kind.name.replace("-", "_"))(value, seq)
            entry = {"run": self.run, "seq": seq, "event": kind.name, "detail": detail,
                     "source": source, "fired_at": rfc3339(self.cluster.clock.now()),
                     "scenario_seconds": round(self.cluster.scenario_seconds(), 3)}
            self.fired.append(entry)
            return dict(entry)

    def _second_service_degrades(self, value: str, seq: int) -> str:
        service = _degradable(self.cluster.scenario.data, value)
        self.degraded.add(service)
        return (f"service {service} degrades: ~{DEGRADED_ERROR_RATIO:.0%} of its requests fail "
                f"and its p95 latency triples")

    def _prometheus_down(self, value: str, seq: int) -> str:
        self.cluster.faults.apply("metrics-down")
        return "the Prometheus API stops answering (HTTP 503), and so do the apps' /metrics"

    def _rbac_denies_patch(self, value: str, seq: int) -> str:
        self.cluster.faults.apply("deny=patch:deployments")
        return ("RBAC now denies patch on deployments: kubectl patch and rollout undo get 403 "
                "Forbidden")

    def _user_reports(self, value: str, seq: int) -> str:
        count = int(value) if value else DEFAULT_REPORTS
        service = _own_service(self.cluster.scenario.data) or "the shop"
        pick = random.Random(f"reports/{seq}")
        now = rfc3339(self.cluster.clock.now())
        texts = pick.sample(REPORTS, len(REPORTS))
        for index in range(count):
            text = texts[index % len(texts)].format(service=service,
                                                    Service=service[:1].upper() + service[1:])
            self.reports.append({"id": len(self.reports) + 1, "twist_seq": seq,
                                 "received_at": now, "channel": pick.choice(CHANNELS),
                                 "text": text})
        first = self.reports[-count]["text"]
        return f"{count} user report{'s' * (count != 1)} arrive, e.g. “{first}”"

    def _status_update_due(self, value: str, seq: int) -> str:
        return "the incident commander asks for a status update now"

    def _good_pod_fails(self, value: str, seq: int) -> str:
        failed = self._fail_good_pod()
        if failed:
            return failed
        self._armed.append(seq)
        good = self._good_version()
        return (f"the next pod of the good revision{f' ({good})' if good else ''} to turn "
                f"ready fails its readiness probe for {FAIL_SECONDS / 60:g}m (none runs now)")

    # ---- good-pod-fails ------------------------------------------------------------------------
    def _good_images(self) -> set[str]:
        """Images of the drill deployment's revisions before the newest (the bad one)."""
        revisions = self.cluster.scenario.primary.get("revisions") or []
        return {r["image"] for r in revisions[:-1]}

    def _good_version(self) -> str:
        revisions = self.cluster.scenario.primary.get("revisions") or []
        return str(revisions[-2]["version"]) if len(revisions) >= 2 else ""

    def _fail_good_pod(self) -> str:
        """Make the first ready good pod unready (store lock held); its description, or ""."""
        primary = self.cluster.scenario.primary
        namespace, name = primary.get("namespace", ""), primary.get("name", "")
        good = self._good_images()
        pods = self.cluster.controllers.pods
        for pod in sorted(self.cluster.store.objects("pods", namespace),
                          key=lambda p: p["metadata"]["name"]):
            meta = pod["metadata"]
            image = pod["spec"]["containers"][0].get("image", "")
            if image not in good or (meta.get("labels") or {}).get("app") != name:
                continue
            if pods.fail_readiness((namespace, meta["name"]), FAIL_SECONDS):
                version = image.rsplit(":", 1)[-1]
                return (f"pod {meta['name']} of the good revision ({version}) fails its "
                        f"readiness probe: not ready for {FAIL_SECONDS / 60:g}m")
        return ""

    # ---- second-service-degrades ---------------------------------------------------------------
    def adjust(self, service: str, behavior: Behavior) -> Behavior:
        """A degraded service's pods answer worse (called for every endpoint's behaviour)."""
        if service not in self.degraded:
            return behavior
        return dataclasses.replace(
            behavior, error_ratio=max(behavior.error_ratio, DEGRADED_ERROR_RATIO),
            latency_p95=behavior.latency_p95 * DEGRADED_LATENCY_FACTOR)

    # ---- HTTP ----------------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """`GET /drill/twists`."""
        with self.lock:
            return {"catalogue": [k.describe() for k in CATALOGUE],
                    "fired": [dict(e) for e in self.fired],
                    "scheduled": [dict(e) for e in self.scheduled]}

    def route(self, request: Request) -> Response:
        """`/drill/twists` (GET, POST) and `/drill/reports` (GET)."""
        if request.path == "/drill/reports" and request.method == "GET":
            with self.lock:
                return json_response(200, {"reports": [dict(r) for r in self.reports]})
        if request.path == "/drill/twists" and request.method == "GET":
            return json_response(200, self.describe())
        if request.path == "/drill/twists" and request.method == "POST":
            try:
                body = json.loads(request.body or b"{}")
                if not isinstance(body, dict) or not isinstance(body.get("event"), str):
                    raise TwistError('expected {"event": "NAME[=VALUE]", "source": '
                                     f'"facilitator"}} ({EVENT_HINT})')
                return json_response(200, self.fire(body["event"],
                                                    str(body.get("source") or "facilitator")))
            except TwistError as exc:
                return json_response(exc.status, {"error": str(exc), "catalogue": [
                    k.describe() for k in CATALOGUE]})
            except ValueError as exc:
                return json_response(400, {"error": f"the body is not JSON: {exc}"})
        return json_response(405, {"error": f"{request.method} {request.path} is not served"})
