"""A simulated GitOps controller (Argo CD) for one Deployment, and its Git/Argo HTTP API.

Git holds the desired pod template as a history of commits (one per scenario revision). With
automated sync and self-heal on, a live template that differs from Git's is re-applied after
the sync delay (scenario time): a `kubectl rollout undo` is undone, a revert in Git rolls out.
The API lives beside the apps, `/apps/gitops/applications/NAME[/revert|/sync|/sync-policy]`,
so its changes pass through the drill's HTTP server like any other request.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.domain.durations import parse_duration
from tui.drill.clock import DrillClock, rfc3339
from tui.drill.controller import CHANGE_CAUSE, REVISION
from tui.drill.defaults import apply_defaults, comparable_template
from tui.drill.events import record_event
from tui.drill.httpserver import Request, Response, json_response
from tui.drill.store import Store

ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
INSTANCE = "app.kubernetes.io/instance"
COMPONENT = "argocd-application-controller"
PREFIX = "/applications"

TemplateFor = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Commit:
    """One commit of the application's Git path: the scenario revision it deploys."""

    sha: str
    message: str
    author: str
    at: float
    revision: dict[str, Any]  # the scenario revision (image, version, change_cause, …)
    parent: str = ""
    reverts: str = ""  # sha of the commit this one reverts

    def to_json(self) -> dict[str, Any]:
        """As the API shows it."""
        return {"sha": self.sha, "short": self.sha[:7], "message": self.message,
                "author": self.author, "at": rfc3339(self.at), "parent": self.parent or None,
                "reverts": self.reverts or None, "image": self.revision["image"],
                "version": self.revision["version"]}


def _sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


class GitOpsApp:
    """One Argo CD application syncing one Deployment from a simulated Git path."""

    def __init__(self, store: Store, clock: DrillClock, spec: dict[str, Any],
                 deployment: dict[str, Any], template_for: TemplateFor) -> None:
        self.store, self.clock, self.template_for = store, clock, template_for
        self.name = spec["application"]
        self.namespace, self.deployment = deployment["namespace"], deployment["name"]
        self.repo = spec.get("repo") or "https://git.drill.local/platform/deploy.git"
        self.path = spec.get("path") or f"apps/{self.name}"
        self.project = spec.get("project") or "default"
        self.sync_delay = parse_duration(spec.get("sync_delay") or "30s")
        self.automated = spec.get("automated", True)
        self.self_heal = spec.get("self_heal", True)
        self.commits: list[Commit] = []
        self.out_of_sync_since: float | None = None
        self.operation: dict[str, Any] | None = None
        self.syncs = 0
        self.synced_sha = ""  # Git's head when last in sync: a newer head is a Git change

    # ---- Git ---------------------------------------------------------------------------------
    def seed_history(self, revisions: list[dict[str, Any]], times: list[float]) -> None:
        """One commit per scenario revision, at the times they were released."""
        parent = ""
        for rev, at in zip(revisions, times, strict=True):
            message = rev.get("change_cause") or f"deploy {self.deployment} {rev['version']}"
            sha = _sha(self.name, parent, rev["image"], message)
            self.commits.append(Commit(sha, message, "release-bot", at, rev, parent))
            parent = sha
        self.synced_sha = parent

    @property
    def head(self) -> Commit:
        """The newest commit: what Git wants now."""
        return self.commits[-1]

    def _commit(self, sha: str) -> Commit | None:
        return next((c for c in self.commits if c.sha == sha or c.sha[:7] == sha), None)

    def revert(self, sha: str = "", version: str = "", author: str = "", message: str = ""
               ) -> tuple[int, dict[str, Any]]:
        """A revert commit: Git wants again what the reverted commit replaced.

        `version` names the newest commit that deployed it; reverting it again once Git no
        longer wants it answers 200 with the earlier revert (a re-run changes nothing)."""
        with self.store.lock:
            target = self.head if not (sha or version) else (
                self._commit(sha) if sha else next(
                    (c for c in reversed(self.commits) if c.revision["version"] == version
                     and not c.reverts), None))
            if target is None:
                wanted = f"commit {sha}" if sha else f"commit deploying version {version}"
                return 404, {"error": f"no {wanted} in {self.repo} {self.path}", "hint":
                             f"GET the application for its history: {self._where()}"}
            done = next((c for c in self.commits if c.reverts == target.sha), None)
            if done is not None and self.head.revision["version"] != target.revision["version"]:
                return 200, {"reverted": False, "commit": done.to_json(),
                             "message": f"{target.sha[:7]} was already reverted by "
                                        f"{done.sha[:7]}; Git wants "
                                        f"{self.head.revision['version']}",
                             "application": self.describe()}
            if target.revision != self.head.revision:
                # One file, one line: reverting under a later change is a conflict in Git too.
                return 409, {"error": f"reverting {target.sha[:7]} conflicts with the later "
                                      f"commit {self.head.sha[:7]} (Git wants "
                                      f"{self.head.revision['version']})",
                             "hint": "revert the newest commit first"}
            parent = self._commit(target.parent)
            if parent is None:
                return 409, {"error": f"cannot revert {target.sha[:7]}: it is the first commit "
                                      f"of {self.path}"}
            text = message or f'Revert "{target.message}"'
            sha_new = _sha(self.name, self.head.sha, parent.revision["image"], text)
            commit = Commit(sha_new, text, author or "on-call", self.clock.now(),
                            parent.revision, self.head.sha, target.sha)
            self.commits.append(commit)
            return 201, {"reverted": True, "commit": commit.to_json(),
                         "message": f"reverted {target.sha[:7]}: Git wants "
                                    f"{parent.revision['version']}", "application":
                         self.describe()}

    # ---- sync --------------------------------------------------------------------------------
    def _desired_template(self) -> dict[str, Any]:
        obj = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": self.deployment, "namespace": self.namespace},
               "spec": {"selector": {}, "template": self.template_for(self.head.revision)}}
        apply_defaults("deployments", obj)
        return obj["spec"]["template"]

    def _live(self) -> dict[str, Any] | None:
        entry = self.store.get("deployments", self.namespace, self.deployment)
        return entry.obj if entry is not None else None

    def in_sync(self) -> bool:
        """Whether the live pod template is Git's (the hash label aside)."""
        live = self._live()
        return live is not None and comparable_template(live["spec"]["template"]) == \
            comparable_template(self._desired_template())

    def mark(self) -> None:
        """Label and annotate the Deployment as Argo CD's tracking does."""
        with self.store.lock:
            live = self._live()
            if live is None:
                return
            meta = live["metadata"]
            tracking = f"{self.name}:apps/Deployment:{self.namespace}/{self.deployment}"
            self.store.replace("deployments", {**live, "metadata": {
                **meta, "labels": {**(meta.get("labels") or {}), INSTANCE: self.name},
                "annotations": {**(meta.get("annotations") or {}), ARGO_TRACKING: tracking}}})

    def tick(self, now: float) -> None:
        """Auto-sync: re-apply Git once the live state has differed for the sync delay."""
        with self.store.lock:
            if self.in_sync():
                self.out_of_sync_since, self.synced_sha = None, self.head.sha
                return
            if self.out_of_sync_since is None:
                self.out_of_sync_since = now
            due = now - self.out_of_sync_since >= self.clock.scaled(self.sync_delay)
            # Auto-sync follows Git; only self-heal undoes a change made to the live object.
            git_changed = self.synced_sha != self.head.sha
            if due and self.automated and (git_changed or self.self_heal):
                self.sync("automated" if git_changed else "automated (self-heal)")

    def sync(self, initiated_by: str) -> bool:
        """Apply Git's template to the Deployment (as `argocd app sync`); whether it changed."""
        with self.store.lock:
            live = self._live()
            if live is None or self.in_sync():
                return False
            head, now = self.head, self.clock.now()
            record_event(self.store, live, "apps/v1", "Deployment", "OperationStarted",
                         f"Initiated {initiated_by} sync to {head.sha[:7]} "
                         f"({head.revision['version']}): live {self.deployment} differs from "
                         f"Git", component=COMPONENT)
            annotations = dict(live["metadata"].get("annotations") or {})
            annotations.pop(CHANGE_CAUSE, None)
            if head.revision.get("change_cause"):
                annotations[CHANGE_CAUSE] = head.revision["change_cause"]
            self.store.replace("deployments", {
                **live, "metadata": {**live["metadata"], "annotations": annotations},
                "spec": {**live["spec"], "template": self._desired_template()}})
            record_event(self.store, live, "apps/v1", "Deployment", "OperationCompleted",
                         f"Sync operation to {head.sha[:7]} succeeded", component=COMPONENT)
            self.syncs += 1
            self.out_of_sync_since, self.synced_sha = None, head.sha
            self.operation = {"phase": "Succeeded", "initiated_by": initiated_by,
                              "revision": head.sha, "version": head.revision["version"],
                              "at": rfc3339(now)}
            return True

    # ---- API ---------------------------------------------------------------------------------
    def _where(self) -> str:
        return f"/apps/gitops{PREFIX}/{self.name}"

    def describe(self) -> dict[str, Any]:
        """The application as `GET /apps/gitops/applications/NAME` answers it."""
        with self.store.lock:
            live = self._live() or {"metadata": {}, "spec": {}, "status": {}}
            containers = ((live["spec"].get("template") or {}).get("spec") or {}).get(
                "containers") or [{}]
            status, replicas = live.get("status") or {}, live["spec"].get("replicas", 0)
            healthy = (status.get("updatedReplicas", 0) == replicas
                       == status.get("availableReplicas", 0) and
                       status.get("observedGeneration", 0) >= live["metadata"].get(
                           "generation", 0))
            in_sync, head = self.in_sync(), self.head
            return {
                "name": self.name, "tool": "argocd", "project": self.project,
                "source": {"repo": self.repo, "path": self.path, "target_revision": "main"},
                "destination": {"namespace": self.namespace, "deployment": self.deployment},
                "sync_policy": {"automated": self.automated, "self_heal": self.self_heal,
                                "sync_delay_seconds": self.sync_delay},
                "sync": {"status": "Synced" if in_sync else "OutOfSync",
                         "revision": head.sha},
                "health": {"status": "Healthy" if healthy else "Progressing"},
                "desired": {"commit": head.sha, "image": head.revision["image"],
                            "version": head.revision["version"]},
                "live": {"image": containers[0].get("image"), "version": next(
                    (c.revision["version"] for c in self.commits
                     if c.revision["image"] == containers[0].get("image")), None),
                         "revision": (live["metadata"].get("annotations") or {}).get(REVISION)},
                "operation": self.operation,
                "history": [c.to_json() for c in reversed(self.commits)],
            }

    def set_policy(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Change the sync policy: `{"automated": false}` suspends auto-sync and self-heal."""
        unknown = sorted(set(body) - {"automated", "self_heal"})
        bad = [k for k in ("automated", "self_heal") if k in body and
               not isinstance(body[k], bool)]
        if unknown or bad or not body:
            return 400, {"error": "the sync policy takes automated and self_heal, each true or "
                                  "false, e.g. {\"automated\": false}",
                         "unknown": unknown, "not_boolean": bad}
        with self.store.lock:
            self.automated = body.get("automated", self.automated)
            # `{"automated": false}` is Argo CD's `--sync-policy none`: self-heal goes with it.
            self.self_heal = body.get("self_heal", self.self_heal and self.automated)
            self.out_of_sync_since = None
        return 200, self.describe()


class GitOpsAPI:
    """`/apps/gitops/…`: the applications of the drill's simulated Argo CD."""

    def __init__(self, apps: list[GitOpsApp]) -> None:
        self.apps = {app.name: app for app in apps}

    def tick(self, now: float) -> None:
        """Advance every application's auto-sync."""
        for app in self.apps.values():
            app.tick(now)

    def route(self, request: Request, rest: str) -> Response:
        """Handle `rest`, the path below /apps/gitops."""
        if rest in (PREFIX, PREFIX + "/") and request.method == "GET":
            return json_response(200, {"items": [a.describe() for a in self.apps.values()]})
        parts = rest.removeprefix(PREFIX + "/").split("/") if rest.startswith(PREFIX) else []
        app = self.apps.get(parts[0]) if parts else None
        if app is None:
            known = ", ".join(sorted(self.apps)) or "none"
            return json_response(404, {"error": f"no application at {rest!r} (applications: "
                                                f"{known}; GET /apps/gitops{PREFIX}/NAME)"})
        action = "/".join(parts[1:])
        try:
            body = json.loads(request.body or b"{}") if request.method != "GET" else {}
        except ValueError as exc:
            return json_response(400, {"error": f"the body is not JSON: {exc}"})
        if not isinstance(body, dict):
            return json_response(400, {"error": "the body must be a JSON object"})
        return self._act(app, request.method, action, body)

    @staticmethod
    def _act(app: GitOpsApp, method: str, action: str, body: dict[str, Any]) -> Response:
        if action == "" and method == "GET":
            return json_response(200, app.describe())
        if action == "revert" and method == "POST":
            return json_response(*app.revert(str(body.get("commit") or ""),
                                             str(body.get("version") or ""),
                                             str(body.get("author") or ""),
                                             str(body.get("message") or "")))
        if action == "sync" and method == "POST":
            changed = app.sync("manual")
            return json_response(200, {"changed": changed, "application": app.describe()})
        if action == "sync-policy" and method in ("POST", "PUT", "PATCH"):
            return json_response(*app.set_policy(body))
        return json_response(405 if action in ("", "revert", "sync", "sync-policy") else 404, {
            "error": f"{method} {app._where()}/{action} is not served",
            "hint": "GET the application; POST …/revert, …/sync, …/sync-policy"})


def gitops_apps(store: Store, clock: DrillClock, specs: list[dict[str, Any]],
                deployments: list[dict[str, Any]], template_for: Callable[
                    [dict[str, Any], dict[str, Any]], dict[str, Any]],
                release_age: float) -> GitOpsAPI:
    """The scenario's applications, each with a Git history of its Deployment's revisions
    (committed as the drill dates them: the last `release_age` ago, the others hourly)."""
    apps, now = [], clock.now()
    by_name = {d["name"]: d for d in deployments}
    for spec in specs:
        deployment = by_name[spec.get("deployment") or spec["application"]]
        app = GitOpsApp(store, clock, spec, deployment,
                        lambda rev, d=deployment: copy.deepcopy(template_for(d, rev)))
        revisions = deployment["revisions"]
        count = len(revisions)
        times = [now - 3600 * (count - n + 1) for n in range(1, count)] + [now - release_age]
        app.seed_history(revisions, times)
        app.mark()
        apps.append(app)
    return GitOpsAPI(apps)
