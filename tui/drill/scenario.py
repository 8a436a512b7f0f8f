"""Drill scenarios: YAML files describing a cluster, its revisions, traffic and faults."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    Field("rolled_out", Bool(), "the last revision is fully rolled out at start (default: "
          "it is rolling out)"),
    Field("revisions", ListOf(REVISION, min_items=1), "revision history, oldest first", True),
), what="a deployment")

SERVICE = Obj((
    _s("name", "Service name", True),
    _s("namespace", "namespace", True),
    Field("selector", MapOf(Str(templated=False)), "pod selector", True),
    Field("port", Int(minimum=1), "service port (default 80)"),
    Field("target_port", Int(minimum=1), "target port (default 8080)"),
    Field("request_rate", Num(), "requests per second of simulated traffic (default 40)"),
), what="a service")

CONFIGMAP = Obj((
    _s("name", "ConfigMap name", True),
    _s("namespace", "namespace", True),
    Field("data", MapOf(Str(templated=False)), "data", True),
), what="a configmap")

SECRET = Obj((
    _s("name", "Secret name", True),
    _s("namespace", "namespace", True),
    _s("type", "Secret type (default Opaque)"),
    Field("string_data", MapOf(Str(templated=False)), "values (stored base64-encoded)", True),
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
    Field("database", DATABASE, "a throwaway PostgreSQL started with the drill (when its "
          "server binaries are installed)"),
    Field("release_age", Duration(), "how long ago the bad change went out (default 10m); "
          "the hour before it is synthesized history with the previous revision"),
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
    for problem in schedule_problems(raw):
        ck.at(root, problem)


def scenario_files() -> list[Path]:
    """The shipped scenarios."""
    return sorted(SCENARIO_DIR.glob("*.yaml"))


def find_scenario(name: str) -> Scenario:
    """A shipped scenario by id, or a scenario file by path."""
    path = Path(name)
    if not path.is_file():
        path = SCENARIO_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in scenario_files())
        raise ScenarioError(f"no scenario {name!r} (known: {known})")
    return load_scenario_bytes(path.read_bytes(), str(path))
