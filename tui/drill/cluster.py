"""The drill cluster assembled: store, controllers, simulated app, APIs, HTTP server, clock."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from tui.domain.durations import parse_duration
from tui.drill.api import KubeAPI
from tui.drill.clock import DrillClock, rfc3339
from tui.drill.controller import CHANGE_CAUSE, REVISION, Controllers
from tui.drill.database import DatabaseUnavailable, DrillDatabase
from tui.drill.defaults import apply_defaults
from tui.drill.endpointslices import EndpointsController
from tui.drill.faults import Faults
from tui.drill.flagapi import FlagAPI
from tui.drill.gitops import GitOpsAPI, gitops_apps
from tui.drill.history import ServedSpan, record_release, served_periods, served_spans
from tui.drill.httpserver import DrillHTTPServer, QuietLog, Request, Response, json_response
from tui.drill.nodes import NODE_IP, Nodes
from tui.drill.podsim import Behavior, rollout_step
from tui.drill.promapi import PrometheusAPI
from tui.drill.record import ChangeRecord, deployment_states, wall_iso
from tui.drill.scenario import Scenario
from tui.drill.scenario_truth import pod_labels
from tui.drill.store import Store
from tui.drill.tls import DrillTLS, make_tls
from tui.drill.traffic import Traffic
from tui.drill.twists import Twists

TICK = 0.1
HISTORY = 3600.0  # synthesized traffic history before the release
DRILL_EXTENSION = "rollback-tui.drill"


@dataclass
class DrillInfo:
    """Where everything is, as `rollback drill --serve` prints it."""

    kubeconfig: str
    api: str
    prometheus: str
    apps: dict[str, str]
    namespace: str
    deployment: str
    scenario: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps({"kubeconfig": self.kubeconfig, "api": self.api,
                           "prometheus": self.prometheus, "apps": self.apps,
                           "namespace": self.namespace, "deployment": self.deployment,
                           "scenario": self.scenario, **self.extra})


class DrillCluster:
    """A running drill cluster (in-process, background threads)."""

    def __init__(self, scenario: Scenario, *, folder: Path, port: int = 0, speed: float = 1.0,
                 seed: int = 0, faults: list[str] | None = None) -> None:
        self.scenario, self.folder = scenario, folder
        self.clock = DrillClock(speed)
        self.store = Store(self.clock, seed)
        self.faults = Faults()
        for spec in [*(scenario.data.get("faults") or []), *(faults or [])]:
            self.faults.apply(spec)
        self._revisions = self._behaviors()
        self.controllers = Controllers(self.store, self.clock, self._behavior_for)
        self.endpoint_objects = EndpointsController(self.store)
        self.nodes = Nodes(self.store)
        self.flags = FlagAPI(self.store, scenario.data.get("flags") or [])
        # The drill's own secret: what the runbook's flag steps send as their bearer token.
        self.flag_token = "drill-flag-" + secrets.token_hex(8)
        self.traffic = Traffic(self.store, self.controllers.pods.serving, self._flagged,
                               self.flags.pod_inputs)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.controllers.pods.logs.stopping = self._stop
        self.api = KubeAPI(self.store, self.faults, self._wake.set,
                           self.controllers.pods.logs.serve, self._terminate)
        # The kubeconfig's bearer token, this drill's own; required once TLS is up (start()).
        self.token = "drill-" + secrets.token_hex(16)
        self.tls: DrillTLS | None = None
        self.prom = PrometheusAPI(self.traffic, self.faults, self.clock.now, speed)
        # One line per distinct error per minute: a persistent error cannot fill the disk.
        self.errors = QuietLog(folder / "drill-errors.log")
        self.server = DrillHTTPServer(port, [
            ("/drill", self._admin), ("/apps", self._apps), ("/prometheus", self._prometheus),
            ("/", self.api.route)], self.errors)
        self.api.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.record = ChangeRecord(app_namespace=self._app_namespace)
        self.server.observer = self.record.hook
        self._ticker: threading.Thread | None = None
        self._schedule = sorted(
            ((parse_duration(e["at"]), e["fault"]) for e in scenario.data.get("schedule") or []),
            key=lambda item: item[0])
        self.started_at = 0.0
        self.twists = Twists(self)
        self.started_wall = time.time()  # when it started serving, on the journal's clock
        spec = scenario.data.get("database")
        self.database = DrillDatabase(spec, folder) if spec else None
        self.database_error = ""
        # ReplicaSet uid -> the behaviour of the pods its release replaced (traffic history).
        self._replaced: dict[str, Behavior] = {}
        self.gitops: GitOpsAPI | None = None  # the simulated Argo CD, when the scenario has one

    # ---- scenario --------------------------------------------------------------------------
    def _behaviors(self) -> dict[str, Behavior]:
        found = {}
        for deployment in self.scenario.data.get("deployments") or []:
            start = deployment.get("pod_start_seconds", 3.0)
            for rev in deployment["revisions"]:
                found[rev["image"]] = Behavior(
                    kind=rev.get("behavior", "healthy"), error_ratio=rev.get("error_ratio", 0.0),
                    latency_p95=rev.get("latency_p95", 0.1), start_seconds=start,
                    version=rev["version"])
        return found

    def _behavior_for(self, pod: dict[str, Any]) -> Behavior:
        image = pod["spec"]["containers"][0].get("image", "")
        known = self._revisions.get(image)
        if known:
            return known
        # An image the scenario does not know (kubectl set image …) runs healthy.
        return Behavior(version=image.rsplit(":", 1)[-1] if ":" in image else "latest")

    def _flagged(self, service: str, pod: dict[str, Any], behavior: Behavior) -> Behavior:
        return self.twists.adjust(service, self.flags.adjust(service, pod, behavior))

    def _template(self, spec: dict[str, Any], rev: dict[str, Any]) -> dict[str, Any]:
        labels = pod_labels(spec, rev)
        container: dict[str, Any] = {
            "name": spec.get("container") or spec["name"],
            "image": rev["image"],
            "ports": [{"name": "http", "containerPort": spec.get("port", 8080)}],
            "readinessProbe": {"httpGet": {"path": "/health", "port": spec.get("port", 8080)},
                               "periodSeconds": 5},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        }
        if rev.get("env"):
            container["env"] = [{"name": k, "value": v} for k, v in rev["env"].items()]
        return {"metadata": {"labels": labels}, "spec": {"containers": [container]}}

    def _bootstrap(self) -> None:
        data, now = self.scenario.data, self.clock.now()
        born = rfc3339(now - 86400 * 30)
        for ns in ["default", "kube-system", *data["namespaces"]]:
            if self.store.get("namespaces", "", ns) is None:
                obj = {"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": ns, "creationTimestamp": born}}
                apply_defaults("namespaces", obj)
                self.store.create("namespaces", obj)
        self.nodes.register(now - 86400 * 30, now,
                            sum(d["replicas"] for d in data.get("deployments") or []))
        self._bootstrap_objects(born)
        for cm in data.get("configmaps") or []:
            self.store.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": cm["name"],
                                                          "namespace": cm["namespace"],
                                                          "creationTimestamp": born},
                                             "data": dict(cm["data"])})
        for index, svc in enumerate(data.get("services") or []):
            obj = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": svc["name"], "namespace": svc["namespace"],
                                "labels": {"app": svc["name"]}, "creationTimestamp": born},
                   "spec": {"selector": dict(svc["selector"]),
                            "ports": [{"name": "http", "port": svc.get("port", 80),
                                       "targetPort": svc.get("target_port", 8080)}]}}
            apply_defaults("services", obj, f"10.96.{index // 200}.{index % 200 + 10}")
            self.store.create("services", obj)
            self.traffic.add_service(svc["name"], svc["namespace"], svc.get("request_rate", 40),
                                     tuple((d["service"], d.get("share", 1.0))
                                           for d in svc.get("depends_on") or []))
        for spec in data.get("deployments") or []:
            self._bootstrap_deployment(spec, now)
        if data.get("gitops"):
            self.gitops = gitops_apps(self.store, self.clock, data["gitops"],
                                      data["deployments"], self._template, self._release_age())
        self.controllers.warm = True
        self.controllers.tick()
        self.controllers.tick()
        self.controllers.warm = False
        self.endpoint_objects.sync()
        self._backfill(now)

    def _bootstrap_objects(self, born: str) -> None:
        """The scenario's secrets and ingresses."""
        for secret in self.scenario.data.get("secrets") or []:
            obj = {"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": secret["name"], "namespace": secret["namespace"],
                                "creationTimestamp": born},
                   "type": secret.get("type", "Opaque"),
                   "stringData": {**(secret.get("string_data") or {}),
                                  **self._database_credentials(secret)}}
            apply_defaults("secrets", obj)
            self.store.create("secrets", obj)
        for ing in self.scenario.data.get("ingresses") or []:
            backend = {"service": {"name": ing["service"],
                                   "port": {"number": ing.get("port", 80)}}}
            obj = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": ing["name"], "namespace": ing["namespace"],
                                "creationTimestamp": born},
                   "spec": {"rules": [{"host": ing["host"], "http": {"paths": [
                       {"path": "/", "pathType": "Prefix", "backend": backend}]}}]},
                   "status": {"loadBalancer": {"ingress": [{"ip": NODE_IP}]}}}
            self.store.create("ingresses", obj)

    def _release_age(self, deployment: dict[str, Any] | None = None) -> float:
        return parse_duration((deployment or {}).get("release_age")
                              or self.scenario.data.get("release_age", "10m"))

    def _backfill(self, now: float) -> None:
        """Synthesize the traffic of the hour before the release and of the time since, as the
        starting pods (and, until they turned ready, the pods they replaced) served it."""
        since = now - self._release_age() - HISTORY
        spans: dict[str, list[ServedSpan]] = {name: [] for name in self.traffic.services}
        with self.store.lock:
            selectors = {}
            for name, traffic in self.traffic.services.items():
                service = self.store.get("services", traffic.namespace, name)
                selectors[name] = (traffic.namespace, service.obj["spec"].get("selector") or {}
                                   if service else None)
            for (namespace, pod_name), sim in self.controllers.pods.sims.items():
                entry = self.store.get("pods", namespace, pod_name)
                if entry is None:
                    continue
                labels = entry.obj["metadata"].get("labels") or {}
                owner = (entry.obj["metadata"].get("ownerReferences") or [{}])[0].get("uid", "")
                for name, (where, selector) in selectors.items():
                    if where == namespace and selector and all(
                            labels.get(k) == v for k, v in selector.items()):
                        behavior = self.traffic.modifiers(name, entry.obj, sim.behavior)
                        spans[name] += served_spans(sim, behavior, self._replaced.get(owner),
                                                    since, now)
            self.traffic.backfill(served_periods(spans, since, now))

    def _bootstrap_deployment(self, spec: dict[str, Any], now: float) -> None:
        revisions = spec["revisions"]
        rolled_out = spec.get("rolled_out", False)
        current = len(revisions) if rolled_out else len(revisions) - 1
        # A deployment released long ago (its own release_age) has its history before that.
        before = self._release_age(spec) if spec.get("release_age") else 0.0
        deployment = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": spec["name"], "namespace": spec["namespace"],
                         "labels": {"app": spec["name"]},
                         "creationTimestamp": rfc3339(now - before - 3600 * (len(revisions) + 1))},
            "spec": {"replicas": spec["replicas"],
                     "selector": {"matchLabels": {"app": spec["name"],
                                                  **(spec.get("labels") or {})}},
                     "template": self._template(spec, revisions[-1]),
                     "progressDeadlineSeconds": spec.get("progress_deadline_seconds", 600),
                     "revisionHistoryLimit": spec.get("revision_history_limit", 10),
                     "paused": spec.get("paused") or None},
        }
        if deployment["spec"]["paused"] is None:
            del deployment["spec"]["paused"]
        apply_defaults("deployments", deployment)
        created = self.store.create("deployments", deployment)
        rs: dict[str, Any] = {}
        # A rollout caught midway: the last revision already runs `updated_replicas` pods.
        midway = None if rolled_out else spec.get("updated_replicas")
        made = len(revisions) if midway is not None else current
        for number, rev in enumerate(revisions[:made], start=1):
            historical = {**created, "metadata": {**created["metadata"], "annotations": {}},
                          "spec": {**created["spec"], "template": self._template(spec, rev)}}
            if rev.get("change_cause"):
                historical["metadata"]["annotations"][CHANGE_CAUSE] = rev["change_cause"]
            apply_defaults("deployments", historical)
            # A rolled-out release went out `release_age` ago (when the metrics turn); the
            # revisions before it an hour apart.
            released = rolled_out and number == current and number >= 2
            born = now - self._release_age(spec) if released or number > current else \
                now - before - 3600 * (len(revisions) - number + 1)
            previous, rs = rs, self.controllers.create_revision(historical, number, rfc3339(born))
            replicas = spec["replicas"] if number == current else 0
            if midway is not None and number >= current:
                replicas = midway if number > current else spec["replicas"] - midway
                if number > current:  # before its pods turned ready, the old ones served
                    old_image = previous["spec"]["template"]["spec"]["containers"][0]["image"]
                    self._replaced[rs["metadata"]["uid"]] = self._revisions[old_image]
            self.store.replace("replicasets", {**rs, "spec": {**rs["spec"], "replicas": replicas}})
            if released:
                self._release(created, previous, rs, rev, born)
        annotations = {REVISION: str(made)}
        if revisions[-1].get("change_cause"):
            annotations[CHANGE_CAUSE] = revisions[-1]["change_cause"]
        latest = self.store.require("deployments", spec["namespace"], spec["name"]).obj
        self.store.replace("deployments", {**latest, "metadata": {**latest["metadata"],
                                                                  "annotations": annotations}})

    def _release(self, deployment: dict[str, Any], old_rs: dict[str, Any],
                 new_rs: dict[str, Any], rev: dict[str, Any], born: float) -> None:
        """The release's rolling update, finished before the drill starts."""
        previous = old_rs["spec"]["template"]["spec"]["containers"][0]["image"]
        self._replaced[new_rs["metadata"]["uid"]] = self._revisions[previous]
        record_release(self.store, deployment, old_rs, new_rs, born,
                       rollout_step(self.clock, self._revisions[rev["image"]]))

    # ---- running ---------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.controllers.tick()
                self.endpoint_objects.sync()
                self.nodes.tick(self.clock.now())
                self.traffic.tick(self.clock.now())
                if self.gitops is not None:
                    self.gitops.tick(self.clock.now())
                self._scheduled()
            except Exception as exc:  # noqa: BLE001 - the simulation must keep running
                self.errors.exception("simulation tick", exc)
            self._wake.wait(TICK)
            self._wake.clear()

    def scenario_seconds(self) -> float:
        """Scenario seconds since the drill started serving (what schedules count in)."""
        started = self.started_at
        return (time.monotonic() - started) * self.clock.speed if started else 0.0

    def _scheduled(self) -> None:
        elapsed = self.scenario_seconds()
        while self._schedule and self._schedule[0][0] <= elapsed:
            _, fault = self._schedule.pop(0)
            self.faults.apply(fault)
        self.twists.tick()

    def start(self) -> DrillInfo:
        """Build the starting state and serve; returns where everything is."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.tls = make_tls(self.folder)
        if self.tls is not None:
            # kubectl sends the kubeconfig's token only over TLS: with TLS, the API requires it.
            self.server.tls = self.tls.context
            self.api.token = self.token
        if self.database is not None:
            try:
                self.database.start()
            except (DatabaseUnavailable, OSError, subprocess.SubprocessError) as exc:
                # The cluster is still worth practising on; the drill says what is missing.
                self.database.stop()
                self.database_error = str(exc)
        self._bootstrap()
        self.traffic.tick(self.clock.now())
        self.server.start()
        self.started_at = time.monotonic()
        self.started_wall = time.time()
        self._ticker = threading.Thread(target=self._run, name="drill-ticker", daemon=True)
        self._ticker.start()
        return self.info()

    def stop(self) -> None:
        """Stop the simulation and the server."""
        self._stop.set()
        self._wake.set()
        self.api.shutdown.set()  # open watch streams end at their next look (at most POLL)
        with self.store.lock:
            self.store.changed.notify_all()  # … which is now
        self.server.stop()
        if self._ticker:
            self._ticker.join(timeout=5)
        if self.database is not None:
            self.database.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def info(self) -> DrillInfo:
        """Where the API, metrics and apps are, and the kubeconfig written for them."""
        url = self.server.url
        primary = self.scenario.primary
        namespace = primary.get("namespace") or self.scenario.data["namespaces"][0]
        kubeconfig = self.folder / "kubeconfig"
        kubeconfig.touch(mode=0o600)  # it holds the token
        kubeconfig.write_text(kubeconfig_text(url, namespace, self.token, self.tls))
        apps = {name: f"{url}/apps/{name}" for name in self.traffic.services}
        extra: dict[str, Any] = {"kubectl_cache_dir": str(self.folder / "kube-cache"),
                                 "params": self.params()}
        if self.database is not None:
            extra["database"] = self._database_info()
        return DrillInfo(str(kubeconfig), url, f"{url}/prometheus", apps, namespace,
                         primary.get("name", ""), self.scenario.id, extra)

    def _database_credentials(self, secret: dict[str, Any]) -> dict[str, str]:
        """A `database: true` Secret's keys: the running PostgreSQL's real credentials (what a
        trainee reads from the Secret works with psql), or what is missing when it is not up."""
        if not secret.get("database") or self.database is None:
            return {}
        connection = self.database.connection
        if connection is None:
            return {"error": self.database_error or "the drill's database is not running"}
        return {"host": connection.host, "port": str(connection.port),
                "database": connection.database, "username": connection.user,
                "password": connection.password}

    def _database_info(self) -> dict[str, Any]:
        """The database's connection parameters (its password is the pgpassword parameter)."""
        assert self.database is not None
        connection = self.database.connection
        if connection is None:
            return {"error": self.database_error or "not started"}
        return {"host": connection.host, "port": connection.port, "user": connection.user,
                "database": connection.database, "backup_file": str(self.database.backup_file),
                "down_migration_file": str(self.database.down_migration_file)}

    def params(self) -> dict[str, str]:
        """Runbook parameter values that fit this drill.

        A scenario's value may start with `{drill}`, the drill's base URL (known only once it
        serves), e.g. `{drill}/apps/checkout-blue/health`.
        """
        url = self.server.url
        values = {k: v.replace("{drill}", url, 1) if v.startswith("{drill}") else v
                  for k, v in (self.scenario.data.get("params") or {}).items()}
        service = values.get("service") or next(iter(self.traffic.services), "")
        if service:
            values.setdefault("health_url", f"{url}/apps/{service}/health")
            values.setdefault("version_url", f"{url}/apps/{service}/version")
            values.setdefault("flag_api_url", f"{url}/apps/{service}/admin/feature-flags")
            values.setdefault("feature_url", f"{url}/apps/{service}/checkout")
        if self.flags.flags:
            values.setdefault("flag_api_token", self.flag_token)
        values.setdefault("prometheus_url", f"{url}/prometheus")
        if self.database is not None:
            values.update(self.database.params())
        return values

    # ---- HTTP routes beside the Kubernetes API ---------------------------------------------
    def _terminate(self, pod: dict[str, Any]) -> None:
        with self.store.lock:
            self.controllers.pods.terminate(pod)

    def _admin(self, request: Request) -> Response:
        if request.path == "/drill/faults":
            if request.method == "POST":
                try:
                    for spec in json.loads(request.body or b"[]"):
                        self.faults.apply(str(spec))
                except (ValueError, TypeError) as exc:
                    return json_response(400, {"error": str(exc)})
            elif request.method == "DELETE":
                self.faults.clear()
            return json_response(200, self.faults.describe())
        if request.path == "/drill/compact" and request.method == "POST":
            self.store.compact()
            return json_response(200, {"oldest": self.store.oldest_watchable()})
        if request.path in ("/drill/twists", "/drill/reports"):
            return self.twists.route(request)
        if request.path == "/drill/info":
            return Response(200, self.info().to_json().encode())
        if request.path == "/drill/record":
            return json_response(200, self.change_record())
        if request.path == "/drill/scenario":
            return json_response(200, self.scenario_info())
        return json_response(404, {"error": f"no admin endpoint {request.path}"})

    def _app_namespace(self, service: str) -> str:
        traffic = self.traffic.services.get(service)
        return traffic.namespace if traffic is not None else ""

    def change_record(self) -> dict[str, Any]:
        """`GET /drill/record`: every change served (newest LIMIT) and each Deployment now."""
        with self.store.lock:
            deployments = deployment_states(self.store.values("deployments"), self._version_of)
            services = {f"{svc['metadata']['namespace']}/{svc['metadata']['name']}":
                        {"selector": dict((svc.get("spec") or {}).get("selector") or {})}
                        for svc in self.store.objects("services")}
            flags = self.flags.states()
        return {"changes": self.record.changes(), "deployments": deployments,
                "services": services, "flags": flags,
                "dropped": self.record.dropped, "fetched_at": wall_iso()}

    def _version_of(self, image: str) -> str:
        known = self._revisions.get(image)
        if known:
            return known.version
        return image.rsplit(":", 1)[-1] if ":" in image else "latest"

    def scenario_info(self) -> dict[str, Any]:
        """`GET /drill/scenario`: the scenario, its ground truth (or None) and its timing."""
        return {"scenario": self.scenario.id, "description": self.scenario.description,
                "truth": self.scenario.truth, "speed": self.clock.speed,
                "drill_started_at": wall_iso(self.started_wall),
                "release_at": wall_iso(self.started_wall - self._release_age()),
                "twists_scheduled": [dict(e) for e in self.twists.scheduled]}

    def _prometheus(self, request: Request) -> Response:
        return self.prom.route(request, request.path.removeprefix("/prometheus"))

    def _apps(self, request: Request) -> Response | None:
        parts = request.path.split("/", 3)  # ['', 'apps', SERVICE, REST]
        service = parts[2] if len(parts) > 2 else ""
        rest = "/" + parts[3] if len(parts) > 3 else "/"
        if service == "gitops" and self.gitops is not None:
            return self.gitops.route(request, rest)
        if service not in self.traffic.services:
            return json_response(404, {"error": f"no simulated service {service!r}"})
        if rest == "/metrics":
            if self.faults.metrics_down:
                return Response(503, b"metrics down (injected fault)\n", "text/plain")
            return Response(200, self.traffic.exposition(service).encode(),
                            "text/plain; version=0.0.4; charset=utf-8")
        if rest == "/version":
            version = self.traffic.served_version(service)
            if version is None:
                return json_response(503, {"error": "no ready endpoints"})
            return json_response(200, {"service": service, "version": version})
        if rest == "/health":
            return self._health(service)
        if rest.startswith("/admin/feature-flags"):
            return self.flags.route(request, service, rest.removeprefix("/admin/feature-flags"))
        if rest == "/checkout":
            return self._feature(service)
        return json_response(404, {"error": f"no endpoint {rest} on {service}"})

    def _feature(self, service: str) -> Response:
        """The flag-gated feature: which flow (old, or new behind a flag) answered."""
        with self.store.lock:
            first = self.traffic.first_endpoint(service)
            if first is None:
                return json_response(503, {"error": "no ready endpoints"})
            pod, behavior = first
            flow = "new" if self.flags.flagged(service, pod) else "old"
        return json_response(200, {"service": service, "flow": flow,
                                   "version": behavior.version})

    def _health(self, service: str) -> Response:
        with self.store.lock:
            groups = self.traffic.groups(service)
        serving = sum(groups.values())
        if not serving:
            return json_response(503, {"status": "unavailable", "reason": "no ready endpoints"})
        # Health reflects the pods serving now (as an app's own health check would), not a
        # trailing window that still holds the errors of pods already replaced.
        ratio = sum(b.error_ratio * count for b, count in groups.items()) / serving
        version = self.traffic.served_version(service)
        if ratio > 0.05:
            return json_response(503, {"status": "degraded", "version": version,
                                       "reason": f"error ratio {ratio:.1%} on the "
                                                 f"{serving} pod(s) serving now"})
        return json_response(200, {"status": "ok", "version": version,
                                   "ready_endpoints": serving})


def kubeconfig_text(url: str, namespace: str, token: str, tls: DrillTLS | None = None) -> str:
    """A kubeconfig for the drill: https trusting its certificate (else plain http), its token."""
    server = f"    server: {url}\n"
    if tls is not None:
        authority = base64.b64encode(tls.certificate).decode()
        server = (f"    server: {url.replace('http://', 'https://', 1)}\n"
                  f"    certificate-authority-data: {authority}\n")
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: drill\n  cluster:\n{server}"
        # Marks the cluster as a drill, so incidents run against it are journaled as drills.
        f"    extensions:\n    - name: {DRILL_EXTENSION}\n      extension:\n"
        "        drill: true\n"
        f"users:\n- name: drill-user\n  user:\n    token: {token}\n"
        f"contexts:\n- name: drill\n  context:\n    cluster: drill\n    user: drill-user\n"
        f"    namespace: {namespace}\n"
        "current-context: drill\npreferences: {}\n"
    )
