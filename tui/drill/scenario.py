"""Drill scenarios: YAML files describing a cluster, its revisions, traffic and faults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tui.domain.schema import (
    Bool,
    Checker,
    Duration,
    Field,
    Int,
    ListOf,
    MapOf,
    Num,
    Obj,
    Problem,
    Str,
)
from tui.domain.yamlload import load_nodes
from tui.drill.scenario_truth import TRUTH, check_truth, child, completed
from tui.drill.twists import EVENT_HINT, EVENT_PATTERN, schedule_problems

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
BEHAVIORS = ("healthy", "crashloop", "never-ready", "image-pull-error")


def _s(name: str, description: str, required: bool = False) -> Field:
    return Field(name, Str(templated=False, min_length=1 if required else 0), description,
                 required)


REVISION = Obj((
    _s("image", "container image", True),
    _s("version", "application version this revision serves", True),
    _s("change_cause", "kubernetes.io/change-cause annotation"),
    Field("env", MapOf(Str(templated=False)), "container environment"),
    Field("behavior", Str(templated=False, choices=BEHAVIORS), "what its pods do"),
    Field("error_ratio", Num(), "share of requests answered 500"),
    Field("latency_p95", Num(), "95th percentile latency, seconds"),
    Field("labels", MapOf(Str(templated=False)), "extra pod labels (e.g. version: blue)"),
), what="a revision")

DEPLOYMENT = Obj((
    _s("name", "Deployment name", True),
    _s("namespace", "namespace", True),
    Field("replicas", Int(minimum=0), "replicas", True),
    _s("container", "container name (default: the deployment name)"),
    Field("port", Int(minimum=1), "container port (default 8080)"),
    Field("progress_deadline_seconds", Int(minimum=1), "progressDeadlineSeconds"),
    Field("revision_history_limit", Int(minimum=0), "revisionHistoryLimit"),
    Field("pod_start_seconds", Num(), "seconds from creation to a started container"),
    Field("labels", MapOf(Str(templated=False)), "pod labels (default app: NAME)"),
    Field("paused", Bool(), "start paused"),
    Field("updated_replicas", Int(minimum=0), "pods the last revision already runs at the "
          "start, the rest still on the one before (a rollout caught midway; with paused: "
          "true it stays there); only when rolled_out is false"),
    Field("rolled_out", Bool(), "the last revision is fully rolled out at start (default: "
          "it is rolling out)"),
    Field("revisions", ListOf(REVISION, min_items=1), "revision history, oldest first", True),
    Field("release_age", Duration(), "how long ago its last revision went out (default: the "
          "scenario's release_age)"),
), what="a deployment")

DEPENDENCY = Obj((
    _s("service", "the service called", True),
    Field("share", Num(), "share of requests that call it (default 1): they fail and wait as "
          "its do"),
), what="a dependency")

SERVICE = Obj((
    _s("name", "Service name", True),
    _s("namespace", "namespace", True),
    Field("selector", MapOf(Str(templated=False)), "pod selector", True),
    Field("port", Int(minimum=1), "service port (default 80)"),
    Field("target_port", Int(minimum=1), "target port (default 8080)"),
    Field("request_rate", Num(), "requests per second of simulated traffic (default 40)"),
    Field("depends_on", ListOf(DEPENDENCY), "services it calls (one level deep)"),
), what="a service")

GITOPS = Obj((
    _s("application", "Argo CD application name", True),
    _s("deployment", "the Deployment it syncs (default: the application name)"),
    _s("repo", "Git repository URL shown by the API"),
    _s("path", "path in the repository (default apps/APPLICATION)"),
    _s("project", "Argo CD project (default default)"),
    Field("automated", Bool(), "auto-sync Git changes (default true)"),
    Field("self_heal", Bool(), "re-apply Git over live changes (default true)"),
    Field("sync_delay", Duration(), "scenario time before an out-of-sync state is synced "
          "(default 30s)"),
), what="a GitOps application")

CONFIGMAP = Obj((
    _s("name", "ConfigMap name", True),
    _s("namespace", "namespace", True),
    Field("data", MapOf(Str(templated=False)), "data", True),
), what="a configmap")

SECRET = Obj((
    _s("name", "Secret name", True),
    _s("namespace", "namespace", True),
    _s("type", "Secret type (default Opaque)"),
    Field("string_data", MapOf(Str(templated=False)), "values (stored base64-encoded)"),
    Field("database", Bool(), "the drill's PostgreSQL credentials: host, port, database, "
          "username and password as it really runs (over string_data)"),
), what="a secret")

INGRESS = Obj((
    _s("name", "Ingress name", True),
    _s("namespace", "namespace", True),
    _s("host", "host the rule matches", True),
    _s("service", "backend Service", True),
    Field("port", Int(minimum=1), "backend Service port (default 80)"),
), what="an ingress")

FLAG = Obj((
    _s("service", "the service whose behaviour the flag changes", True),
    _s("configmap", "ConfigMap holding the flag"),
    _s("env", "environment variable holding the flag"),
    _s("key", "key in the ConfigMap, and the flag's name in the flag API", True),
    _s("when", "value that turns the bad behaviour on (default \"true\")"),
    Field("error_ratio", Num(), "error ratio while on"),
    Field("latency_p95", Num(), "p95 latency while on"),
), what="a feature flag")

SCHEDULED = Obj((
    Field("at", Duration(), "scenario time after the start", True),
    _s("fault", "a fault to inject, as on the command line", True),
), what="a scheduled event")

TWIST = Obj((
    Field("at", Duration(), "scenario time after the start", True),
    Field("event", Str(templated=False, pattern=EVENT_PATTERN, pattern_hint=EVENT_HINT),
          "the twist (rollback drill twist --list)", True),
), what="a scheduled twist")

DATABASE = Obj((
    _s("name", "database name", True),
    _s("version", "schema_migrations version of the release's migration (names its down file)",
       True),
    _s("schema", "SQL: the schema and data before the release", True),
    _s("release_migration", "SQL: the release's migration, run after the backup", True),
    _s("after_release", "SQL: rows written since the release"),
    _s("down_migration", "SQL: the down migration, written to a file for the runbook", True),
), what="a database")

SCENARIO = Obj((
    _s("id", "scenario id", True),
    _s("description", "one line shown by rollback drill --list", True),
    _s("runbook", "the built-in runbook that fixes it"),
    Field("namespaces", ListOf(Str(templated=False, min_length=1)), "namespaces", True),
    Field("deployments", ListOf(DEPLOYMENT), "deployments"),
    Field("services", ListOf(SERVICE), "services"),
    Field("configmaps", ListOf(CONFIGMAP), "configmaps"),
    Field("secrets", ListOf(SECRET), "secrets (e.g. the database credentials)"),
    Field("ingresses", ListOf(INGRESS), "ingresses in front of services"),
    Field("flags", ListOf(FLAG), "feature flags that change behaviour"),
    Field("faults", ListOf(Str(templated=False)), "faults in force from the start"),
    Field("schedule", ListOf(SCHEDULED), "faults injected later"),
    Field("twists", ListOf(TWIST), "twists fired at scenario times, each journaled"),
    Field("params", MapOf(Str(templated=False)), "runbook parameter values that fit"),
    Field("gitops", ListOf(GITOPS), "Argo CD applications syncing deployments from Git"),
    Field("database", DATABASE, "a throwaway PostgreSQL started with the drill (when its "
          "server binaries are installed)"),
    Field("release_age", Duration(), "how long ago the bad change went out (default 10m); "
          "the hour before it is synthesized history with the previous revision"),
    Field("truth", TRUTH, "the ground truth a drill is scored against: the right decision, "
          "strategy and end state (see Drill scenarios in README.md)"),
), what="the scenario")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (plain data as in the file)."""

    id: str
    description: str
    data: dict[str, Any] = field(repr=False)
    path: Path | None = None

    @property
    def primary(self) -> dict[str, Any]:
        """The first deployment (the one the drill is about)."""
        return self.data.get("deployments", [{}])[0]

    @property
    def truth(self) -> dict[str, Any] | None:
        """The validated `truth:` section (each target's image and version filled in from its
        revision), or None for a scenario without ground truth."""
        truth = self.data.get("truth")
        if not isinstance(truth, dict):
            return None
        return completed(truth, self.data.get("deployments") or [])


class ScenarioError(ValueError):
    """A scenario file has problems; the message lists each as FILE:LINE:COL."""


def load_scenario_bytes(data: bytes, filename: str) -> Scenario:
    """Validate and load a scenario; raises ScenarioError with every problem."""
    root, text, problems = load_nodes(data)
    ck = Checker(text)
    ck.problems.extend(problems)
    raw = SCENARIO.check(root, ck) if root is not None else None
    if isinstance(raw, dict):
        _check(raw, root, ck)
    if ck.problems or not isinstance(raw, dict):
        ordered: list[Problem] = sorted(set(ck.problems), key=lambda p: (p.line, p.col))
        raise ScenarioError("\n".join(p.format(filename) for p in ordered))
    return Scenario(raw["id"], raw["description"], raw, Path(filename))


def _check(raw: dict[str, Any], root: Any, ck: Checker) -> None:
    namespaces = set(raw.get("namespaces") or [])
    for section in ("deployments", "services", "configmaps", "secrets", "ingresses"):
        for item in raw.get(section) or []:
            if isinstance(item, dict) and item.get("namespace") not in namespaces:
                what = "ingress" if section == "ingresses" else section[:-1]
                ck.at(root, f"{what} {item.get('name')!r} is in namespace "
                      f"{item.get('namespace')!r}, which the scenario does not create",
                      "one of: " + ", ".join(sorted(namespaces)))
    for index, spec in enumerate(raw.get("deployments") or []):
        if isinstance(spec, dict) and spec.get("updated_replicas") is not None:
            _check_midway(spec, child(root, "deployments", index, "updated_replicas"), ck)
    services = {s.get("name") for s in raw.get("services") or [] if isinstance(s, dict)}
    for index, svc in enumerate(raw.get("services") or []):
        for number, dependency in enumerate((svc or {}).get("depends_on") or []):
            if (dependency or {}).get("service") not in services - {svc.get("name")}:
                ck.at(child(root, "services", index, "depends_on", number, "service") or root,
                      f"service {svc.get('name')!r} depends on "
                      f"{(dependency or {}).get('service')!r}, which is not another service "
                      "of the scenario", "one of: " + ", ".join(sorted(map(str, services))))
    for index, secret in enumerate(raw.get("secrets") or []):
        if isinstance(secret, dict) and secret.get("database") and not raw.get("database"):
            ck.at(child(root, "secrets", index, "database") or root,
                  f"secret {secret.get('name')!r} takes the database's credentials, but the "
                  "scenario has no database", "a database: section, or database: false")
        elif isinstance(secret, dict) and not secret.get("string_data") and \
                not secret.get("database"):
            ck.at(child(root, "secrets", index) or root, f"secret {secret.get('name')!r} holds nothing",
                  "string_data, or database: true")
    deployments = {d.get("name") for d in raw.get("deployments") or [] if isinstance(d, dict)}
    for index, app in enumerate(raw.get("gitops") or []):
        name = (app or {}).get("deployment") or (app or {}).get("application")
        if name not in deployments:
            where = "deployment" if (app or {}).get("deployment") else "application"
            ck.at(child(root, "gitops", index, where) or root, f"GitOps application {(app or {}).get('application')!r} syncs "
                  f"deployment {name!r}, which the scenario does not create",
                  "one of: " + ", ".join(sorted(map(str, deployments))))
    check_truth(raw, root, ck)
    for problem in schedule_problems(raw):
        ck.at(root, problem)


def _check_midway(spec: dict[str, Any], node: Any, ck: Checker) -> None:
    """updated_replicas needs a rollout in progress from one revision to the next."""
    if spec.get("rolled_out"):
        ck.at(node, f"deployment {spec.get('name')!r} is rolled_out: nothing is midway",
              "rolled_out: false with updated_replicas")
    elif len(spec.get("revisions") or []) < 2:
        ck.at(node, f"deployment {spec.get('name')!r} has one revision: nothing to roll from",
              "at least 2 revisions")
    elif isinstance(spec.get("replicas"), int) and spec["updated_replicas"] > spec["replicas"]:
        ck.at(node, f"{spec['updated_replicas']} updated of {spec['replicas']} replicas",
              f"at most {spec['replicas']}")


def scenario_files(folder: Path | None = None) -> list[Path]:
    """The scenario files of `folder` (default: the shipped ones)."""
    folder = SCENARIO_DIR if folder is None else folder
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


@dataclass(frozen=True)
class CatalogEntry:
    """One scenario as `rollback drill --list` shows it: valid or not, and where it is from."""

    id: str
    path: Path
    origin: str  # "built-in" or "user"
    scenario: Scenario | None
    problems: tuple[str, ...] = ()
    overrides: bool = False  # a user scenario with the id of a shipped one

    @property
    def description(self) -> str:
        """The scenario's description, or its first problem."""
        if self.scenario is None:
            return "INVALID: " + (self.problems[0] if self.problems else "unreadable")
        return self.scenario.description


def _entry(path: Path, origin: str) -> CatalogEntry:
    try:
        scenario = load_scenario_bytes(path.read_bytes(), str(path))
    except ScenarioError as exc:
        return CatalogEntry(path.stem, path, origin, None, tuple(str(exc).splitlines()))
    except OSError as exc:
        return CatalogEntry(path.stem, path, origin, None,
                            (f"{path}: cannot read: {exc.strerror or exc}",))
    return CatalogEntry(scenario.id, path, origin, scenario)


def scenario_catalog(user_dir: Path | None = None) -> list[CatalogEntry]:
    """Every scenario by id: the user folder's first (they win over a shipped one with the
    same id), then the shipped ones; sorted by id."""
    found: dict[str, CatalogEntry] = {}
    for path in scenario_files(user_dir) if user_dir is not None else []:
        entry = _entry(path, "user")
        found.setdefault(entry.id, entry)
    for path in scenario_files():
        entry = _entry(path, "built-in")
        if entry.id in found:
            found[entry.id] = replace(found[entry.id], overrides=True)
        else:
            found[entry.id] = entry
    return [found[key] for key in sorted(found)]


def find_scenario(name: str, user_dir: Path | None = None) -> Scenario:
    """A scenario file by path, else by id: the user folder's first, then the shipped ones.

    Raises ScenarioError with every problem of the file found, or naming the known ids.
    """
    path = Path(name)
    if not path.is_file():
        catalog = scenario_catalog(user_dir)
        entry = next((e for e in catalog if e.id == name), None)
        if entry is None:
            known = ", ".join(e.id for e in catalog)
            where = f" in {user_dir} or the built-ins" if user_dir is not None else ""
            raise ScenarioError(f"no scenario {name!r}{where} (known: {known}); "
                                "rollback drill --list shows them")
        path = entry.path
    return load_scenario_bytes(path.read_bytes(), str(path))
