"""`rollback run --headless` end to end: each built-in runbook against a drill where it is the
right fix, run as the real `rollback` command, the cluster checked afterwards with real kubectl.

Every drill runs at speed 20 and every run with `--time-scale 20`, so the runbooks' waits shrink
like the drill's clock. The database runbook runs against a real, throwaway PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import REPO, REQUIRE_REAL, require_tool, rollback_argv

from tui.domain.runbook import Runbook, validate_runbook

SPEED = 20
ERROR_RATIO = 'service:http_requests_errors:ratio_rate5m{service="checkout"}'


# ---- running `rollback` ----------------------------------------------------------------------
def _rollback() -> list[str]:
    """The console script installed beside this Python (the real command), else `-m tui`."""
    script = Path(sys.executable).with_name("rollback")
    return [str(script)] if script.is_file() else rollback_argv()


@cache
def _runbook(runbook_id: str) -> Runbook:
    path = REPO / "runbooks" / f"{runbook_id}.yaml"
    runbook = validate_runbook(path.read_bytes(), str(path)).runbook
    assert runbook is not None, f"built-in runbook {runbook_id} does not validate"
    return runbook


def _params(info: Any, runbook_id: str, extra: dict[str, str] | None) -> dict[str, str]:
    """The drill's parameter values this runbook takes, overridden by `extra`.

    Secrets are left out: they come from ROLLBACK_PARAM_<NAME>, which the tests set.
    """
    runbook = _runbook(runbook_id)
    values = {k: v for k, v in info.extra["params"].items()
              if (p := runbook.parameter(k)) is not None and not p.secret}
    return {**values, **(extra or {})}


def _argv(info: Any, runbook_id: str, *args: str, params: dict[str, str] | None = None,
          yes: bool = True) -> list[str]:
    argv = [*_rollback(), "run", runbook_id, "--kubeconfig", info.kubeconfig, "--headless",
            "--time-scale", str(SPEED)]
    if yes:
        argv.append("--yes")
    for name, value in _params(info, runbook_id, params).items():
        argv += ["-p", f"{name}={value}"]
    return [*argv, *args]


def _environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    # libpq settings must come from the runbook's parameters, never from the test's shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return {**env, **(extra or {})}


def rollback_run(info: Any, runbook_id: str, *args: str, params: dict[str, str] | None = None,
                 env: dict[str, str] | None = None, yes: bool = True,
                 timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """`rollback run RUNBOOK --headless --yes --time-scale 20 -p …` against the drill."""
    return subprocess.run(_argv(info, runbook_id, *args, params=params, yes=yes),
                          capture_output=True, text=True, timeout=timeout, env=_environ(env),
                          check=False)


def rollback(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Any other `rollback` subcommand (incidents show/verify)."""
    return subprocess.run([*_rollback(), *args], capture_output=True, text=True,
                          timeout=timeout, env=_environ(), check=False)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# ---- incidents -------------------------------------------------------------------------------
def incidents(home: Path) -> list[Path]:
    root = home / "data" / "incidents"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def the_incident(home: Path) -> Path:
    found = incidents(home)
    assert len(found) == 1, found
    return found[0]


def journal(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in
            (folder / "journal.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def events(folder: Path, kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in journal(folder) if e["type"] == kind]


def finished(folder: Path) -> dict[str, dict[str, Any]]:
    return {d["step_id"]: d for d in events(folder, "step.finished")}


def assert_verifies(folder: Path) -> None:
    result = rollback("incidents", "verify", folder.name)
    assert result.returncode == 0, explain(result)
    assert "chain intact" in result.stdout


# ---- the cluster -----------------------------------------------------------------------------
def revisions(kubectl: Callable[..., Any], info: Any, deployment: str = "checkout") -> list[int]:
    result = kubectl(info, "rollout", "history", f"deployment/{deployment}")
    assert result.returncode == 0, result.stderr
    return [int(line.split()[0]) for line in result.stdout.splitlines()
            if line.split() and line.split()[0].isdigit()]


def jsonpath(kubectl: Callable[..., Any], info: Any, what: str, path: str) -> str:
    result = kubectl(info, "get", what, "-o", f"jsonpath={path}")
    assert result.returncode == 0, result.stderr
    return result.stdout


def image(kubectl: Callable[..., Any], info: Any, deployment: str = "checkout") -> str:
    return jsonpath(kubectl, info, f"deployment/{deployment}",
                    "{.spec.template.spec.containers[0].image}")


def served_version(info: Any, url: str | None = None) -> str:
    response = httpx.get(url or info.extra["params"]["version_url"], timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["version"]


def error_ratio(info: Any) -> float:
    response = httpx.get(f"{info.prometheus}/api/v1/query", params={"query": ERROR_RATIO},
                         timeout=5)
    result = response.json()["data"]["result"]
    assert len(result) == 1, response.text
    return float(result[0]["value"][1])


def inject(info: Any, *faults: str) -> None:
    """Inject faults into a running drill through its admin endpoint."""
    response = httpx.post(f"{info.api}/drill/faults", json=list(faults), timeout=5)
    assert response.status_code == 200, response.text


def assert_secret_absent(secret: str, folder: Path, *outputs: str) -> None:
    needle = secret.encode()
    for path in folder.rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), f"the secret leaked into {path}"
    for text in outputs:
        assert secret not in text, "the secret leaked into the command's output"


# ---- 1. revert-deployment on bad-release -----------------------------------------------------
def test_revert_deployment_on_bad_release(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    assert revisions(kubectl, info) == [1, 2, 3]

    result = rollback_run(info, "revert-deployment", "--json", "--reason", "2.4.0 crash-loops",
                          "--check", "smoke_tests")

    assert result.returncode == 0, explain(result)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(isinstance(line, dict) and "type" in line for line in lines)
    kinds = {line["type"] for line in lines}
    assert {"incident", "cluster", "baseline", "rbac", "step", "check", "summary"} <= kinds
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["ok"] is True, summary
    assert summary["steps"]["failed"] == 0 and summary["checks_failed"] == 0
    assert summary["checks_passed"] >= 8 and "smoke_tests" not in summary["open"]

    # kubectl semantics: revision 2 is re-used as revision 4, next to 1 and the bad 3.
    assert revisions(kubectl, info) == [1, 3, 4]
    assert image(kubectl, info).endswith(":2.3.1")
    assert served_version(info) == "2.3.1"

    folder = the_incident(rollback_home)
    assert summary["incident"] == folder.name
    assert_verifies(folder)
    steps = [step.id for step in _runbook("revert-deployment").steps]
    assert [d["step_id"] for d in events(folder, "step.started")] == steps
    assert list(finished(folder)) == steps
    assert {d["status"] for d in finished(folder).values()} <= {"ok", "skipped"}
    rbac = events(folder, "rbac.checked")
    assert len(rbac) == 1 and rbac[0]["ok"] is True
    assert {d["metric"] for d in events(folder, "baseline.captured")} == {
        "error_ratio", "latency_p95", "request_rate"}
    assert events(folder, "decision.recorded")[0]["rationale"] == "2.4.0 crash-loops"
    checks = {d["item_id"]: d for d in events(folder, "check.recorded")}
    assert checks["smoke_tests"]["status"] == "pass"
    assert checks["smoke_tests"]["note"] == "ticked with --check"
    assert checks["correct_version"]["status"] == "pass"


# ---- 2. feature-flag-disable on bad-flag (path A) ------------------------------------------
def test_feature_flag_disable_on_bad_flag(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-flag", speed=SPEED)
    feature_url = info.extra["params"]["feature_url"]
    assert httpx.get(feature_url, timeout=5).json()["flow"] == "new"
    token = "flag-token-" + secrets.token_hex(16)

    result = rollback_run(info, "feature-flag-disable",
                          env={"ROLLBACK_PARAM_FLAG_API_TOKEN": token})

    assert result.returncode == 0, explain(result)
    # Every step and automatic check passed; manual items stay open: the seed's PARTIAL.
    assert "PARTIAL — steps:" in result.stdout and "0 failed" in result.stdout
    folder = the_incident(rollback_home)
    assert_secret_absent(token, folder, result.stdout, result.stderr)
    assert_verifies(folder)
    done = finished(folder)
    assert done["disable_via_api"]["status"] == "ok"
    assert done["disable_via_api"]["data"]["request_headers"]["Authorization"] == "***"
    assert done["verify_flag"]["status"] == "ok"
    assert done["verify_old_behaviour"]["status"] == "ok"
    assert done["disable_via_configmap"]["status"] == "skipped"
    assert events(folder, "incident.opened")[0]["params"]["flag_api_token"] == "***"

    assert jsonpath(kubectl, info, "configmap/checkout-flags", "{.data.new-checkout}") == "false"
    assert httpx.get(feature_url, timeout=5).json()["flow"] == "old"
    baseline = next(d["mean"] for d in events(folder, "baseline.captured")
                    if d["metric"] == "error_ratio")
    assert error_ratio(info) <= max(1.5 * baseline, 0.005)


# ---- 3. blue-green-switchback on blue-green --------------------------------------------------
def test_blue_green_switchback(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("blue-green", speed=SPEED)
    assert jsonpath(kubectl, info, "service/checkout", "{.spec.selector.version}") == "green"
    assert served_version(info) == "2.4.0"
    blue_version = served_version(info, info.extra["params"]["blue_version_url"])

    result = rollback_run(info, "blue-green-switchback")

    assert result.returncode == 0, explain(result)
    assert jsonpath(kubectl, info, "service/checkout", "{.spec.selector.version}") == "blue"
    assert jsonpath(kubectl, info, "service/checkout", "{.spec.selector.app}") == "checkout"
    assert served_version(info) == blue_version == "2.3.1"
    # Green is left running for analysis.
    assert image(kubectl, info, "checkout-green").endswith(":2.4.0")
    assert jsonpath(kubectl, info, "deployment/checkout-green", "{.status.readyReplicas}") == "3"
    folder = the_incident(rollback_home)
    assert_verifies(folder)
    assert finished(folder)["switch_traffic"]["data"]["old_selector"] == {
        "app": "checkout", "version": "green"}


# ---- 4. full-system-rollback on full-release -------------------------------------------------
def test_full_system_rollback(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("full-release", speed=SPEED)
    assert image(kubectl, info, "checkout-worker").endswith(":2.4.0")
    token = "flag-token-" + secrets.token_hex(16)

    result = rollback_run(info, "full-system-rollback",
                          env={"ROLLBACK_PARAM_FLAG_API_TOKEN": token})

    assert result.returncode == 0, explain(result)
    for deployment in ("checkout", "checkout-worker"):
        assert revisions(kubectl, info, deployment) == [2, 3], deployment
        assert image(kubectl, info, deployment).endswith(":2.3.1"), deployment
        spec = jsonpath(kubectl, info, f"deployment/{deployment}", "{.spec.replicas}")
        ready = jsonpath(kubectl, info, f"deployment/{deployment}", "{.status.readyReplicas}")
        assert ready == spec, deployment
    assert jsonpath(kubectl, info, "configmap/checkout-flags", "{.data.new-checkout}") == "false"
    assert served_version(info) == "2.3.1"
    folder = the_incident(rollback_home)
    assert_secret_absent(token, folder, result.stdout, result.stderr)
    assert_verifies(folder)


# ---- 5. database-rollback against a real PostgreSQL ------------------------------------------
PREVIOUS_VERSION, RELEASE_VERSION = "20261015093000", "20261120101500"

SCHEMA = f"""
CREATE TABLE schema_migrations (version text PRIMARY KEY,
                                applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO schema_migrations (version) VALUES ('20260901120000'), ('{PREVIOUS_VERSION}');
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id),
                     total_cents integer NOT NULL);
INSERT INTO users (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 50) i;
INSERT INTO orders (user_id, total_cents)
  SELECT 1 + i % 50, 100 * i FROM generate_series(1, 200) i;
"""
UP_MIGRATION = f"""
BEGIN;
ALTER TABLE users ADD COLUMN loyalty_tier text NOT NULL DEFAULT 'basic';
CREATE TABLE loyalty_points (user_id integer PRIMARY KEY REFERENCES users (id),
                             points integer NOT NULL DEFAULT 0);
INSERT INTO loyalty_points (user_id) SELECT id FROM users;
INSERT INTO schema_migrations (version) VALUES ('{RELEASE_VERSION}');
COMMIT;
"""
DOWN_MIGRATION = f"""
BEGIN;
DROP TABLE loyalty_points;
ALTER TABLE users DROP COLUMN loyalty_tier;
DELETE FROM schema_migrations WHERE version = '{RELEASE_VERSION}';
COMMIT;
"""


def _pg_server_tool(name: str) -> str:
    """initdb / pg_ctl: on PATH, else in Debian's versioned folder (not on PATH there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return str(candidates[-1]) if candidates else require_tool(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Postgres:
    """A running throwaway server: Unix socket in `host`, password authentication."""

    host: str
    port: int
    user: str
    password: str

    def env(self) -> dict[str, str]:
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
                "PGPASSWORD": self.password}

    def run(self, *args: str) -> str:
        result = subprocess.run([require_tool(args[0]), *args[1:]], capture_output=True,
                                text=True, env={**_environ(), **self.env()}, timeout=60,
                                check=False)
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
        return result.stdout.strip()

    def sql(self, statement: str, database: str = "shop") -> str:
        return self.run("psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", statement, database)


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster for one test, stopped and removed afterwards.

    As root the server runs as the `postgres` user (PostgreSQL refuses root). Its folder is a
    short one in the system temp dir: pytest's tmp_path sits under a folder only its owner may
    enter, and a Unix socket path must stay under about 100 bytes.
    """
    initdb, pg_ctl = _pg_server_tool("initdb"), _pg_server_tool("pg_ctl")
    for tool in ("psql", "pg_dump", "pg_restore"):
        require_tool(tool)
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            message = "no postgres system user to run the PostgreSQL server as"
            if REQUIRE_REAL:
                pytest.fail(message)
            pytest.skip(message)
        prefix = [require_tool("runuser"), "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="rbpg-"))
    data, password, port = folder / "data", "pg-" + secrets.token_hex(12), _free_port()
    (folder / "pwfile").write_text(password + "\n")
    if owner is not None:
        for path in (folder, folder / "pwfile"):
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True,
                              cwd=folder, timeout=120, check=False)

    try:
        init = run(initdb, "-D", data, "-U", "postgres", "--pwfile", folder / "pwfile",
                   "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        assert init.returncode == 0, init.stdout + init.stderr
        start = run(pg_ctl, "-D", data, "-l", folder / "server.log", "-w", "-t", "60",
                    "-o", f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off",
                    "start")
        log = folder / "server.log"
        assert start.returncode == 0, start.stdout + start.stderr + (
            log.read_text() if log.exists() else "")
        yield Postgres(str(folder), port, "postgres", password)
    finally:
        run(pg_ctl, "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_database_rollback_with_real_postgres(drill, kubectl, postgres: Postgres,
                                              tmp_path: Path, rollback_home: Path) -> None:
    # The database as release 2.4.0 left it, with a backup taken before its migration.
    postgres.sql("CREATE DATABASE shop", database="postgres")
    postgres.sql(SCHEMA)
    backup = tmp_path / "backups" / "shop-before-2.4.0.dump"
    backup.parent.mkdir()
    postgres.run("pg_dump", "-Fc", "-f", str(backup), "shop")
    postgres.sql(UP_MIGRATION)
    postgres.sql("INSERT INTO users (email, loyalty_tier) VALUES ('late@example.com', 'gold')")
    down = tmp_path / "migrations" / "down" / f"{RELEASE_VERSION}.sql"
    down.parent.mkdir(parents=True)
    down.write_text(DOWN_MIGRATION)
    _cluster, info = drill("bad-migration", speed=SPEED)
    assert image(kubectl, info).endswith(":2.4.0")

    result = rollback_run(
        info, "database-rollback", env={"ROLLBACK_PARAM_PGPASSWORD": postgres.password},
        params={"backup_file": str(backup), "down_migration_file": str(down),
                "db_host": postgres.host, "db_port": str(postgres.port),
                "db_user": postgres.user})

    assert result.returncode == 0, explain(result)
    # The schema is the previous release's; the data written since is kept.
    assert postgres.sql("SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1"
                        ) == PREVIOUS_VERSION
    assert postgres.sql("SELECT to_regclass('public.loyalty_points') IS NULL") == "t"
    assert postgres.sql("SELECT count(*) FROM information_schema.columns "
                        "WHERE table_name = 'users' AND column_name = 'loyalty_tier'") == "0"
    assert postgres.sql("SELECT count(*) FROM users") == "51"
    # The backup of the state just before the down migration is in the incident folder.
    folder = the_incident(rollback_home)
    dump = folder / "backup-before-rollback.dump"
    assert dump.is_file() and dump.stat().st_size > 0
    listing = postgres.run("pg_restore", "--list", str(dump))
    assert "TABLE public loyalty_points" in listing
    done = finished(folder)
    assert hashlib.md5(dump.read_bytes()).hexdigest() in done["backup_checksum"]["data"]["output"]
    assert done["down_migration"]["status"] == "ok"
    # The file's own BEGIN … COMMIT is the transaction: no nesting inside psql's.
    output = done["down_migration"]["data"]["output"]
    assert "COMMIT" in output and "WARNING" not in output, output
    assert done["down_migration_transaction"]["status"] == "ok"
    assert done["maintenance_mode"]["data"] == {"previous": 3, "replicas": 0}
    # The application is back on the previous version, at its replicas.
    assert revisions(kubectl, info) == [2, 3]
    assert image(kubectl, info).endswith(":2.3.1")
    assert jsonpath(kubectl, info, "deployment/checkout", "{.spec.replicas}") == "3"
    assert jsonpath(kubectl, info, "deployment/checkout", "{.status.readyReplicas}") == "3"
    assert served_version(info) == "2.3.1"
    opened = events(folder, "incident.opened")[0]["params"]
    assert opened["db_host"] == postgres.host and opened["pgpassword"] == "***"
    assert_secret_absent(postgres.password, folder, result.stdout, result.stderr)
    assert_verifies(folder)


# ---- 6. faults and refusals ------------------------------------------------------------------
def test_denied_patch_stops_at_the_rbac_precheck(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED, faults=["deny=patch:deployments"])

    result = rollback_run(info, "revert-deployment")

    assert result.returncode == 1, explain(result)
    assert "missing permission(s) in production: patch deployments.apps" in result.stdout
    assert "stopped before changing anything" in result.stdout
    assert revisions(kubectl, info) == [1, 2, 3]
    assert image(kubectl, info).endswith(":2.4.0")
    folder = the_incident(rollback_home)
    rbac = events(folder, "rbac.checked")
    assert len(rbac) == 1 and rbac[0]["ok"] is False
    denied = [c["permission"] for c in rbac[0]["checks"] if not c["allowed"]]
    assert denied == ["patch deployments.apps"]
    assert events(folder, "step.started") == []
    assert_verifies(folder)


def test_conflict_on_the_undo_is_read_again_and_reapplied(drill, kubectl,
                                                          rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    inject(info, "conflict-next-write")

    result = rollback_run(info, "revert-deployment")

    assert result.returncode == 0, explain(result)
    folder = the_incident(rollback_home)
    assert finished(folder)["rollout_undo"]["status"] == "ok"
    retried = events(folder, "request.retried")
    assert [(r["step_id"], r["status"], r["reason"], r["attempt"]) for r in retried] == [
        ("rollout_undo", 409, "Conflict", 2)]
    assert revisions(kubectl, info) == [1, 3, 4]
    assert_verifies(folder)


def test_api_server_errors_are_named(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED, faults=["error-rate=1.0"])

    result = rollback_run(info, "revert-deployment")

    assert result.returncode == 1, explain(result)
    assert "server error 500 (InternalError)" in result.stdout
    assert "injected fault error-rate" in result.stdout
    folder = the_incident(rollback_home)
    rbac = events(folder, "rbac.checked")
    assert len(rbac) == 1 and rbac[0]["ok"] is False and "500" in rbac[0]["summary"]
    # The access review is only a question: retried with backoff, each retry journaled.
    retried = events(folder, "request.retried")
    assert [(r["during"], r["status"], r["attempt"]) for r in retried] == [
        ("rbac_precheck", 500, attempt) for attempt in range(2, 6)]
    assert retried[0]["resource"] == "selfsubjectaccessreviews.authorization.k8s.io"
    assert events(folder, "step.started") == []
    assert_verifies(folder)


def test_dropped_watches_reconnect(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED, faults=["drop-watches=1s"])

    result = rollback_run(info, "revert-deployment")

    assert result.returncode == 0, explain(result)
    assert revisions(kubectl, info) == [1, 3, 4]
    assert served_version(info) == "2.3.1"
    assert finished(the_incident(rollback_home))["rollout_status"]["status"] == "ok"


def test_metrics_down(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED, faults=["metrics-down"])

    result = rollback_run(info, "revert-deployment")

    assert result.returncode == 1, explain(result)
    assert "warning: no baseline for error_ratio" in result.stdout
    folder = the_incident(rollback_home)
    warnings = [d["message"] for d in events(folder, "warning.raised")]
    assert any("no baseline for error_ratio" in w and "Prometheus" in w for w in warnings)
    assert events(folder, "baseline.captured") == []
    check = finished(folder)["error_rate"]
    assert check["status"] == "failed"
    assert "Prometheus" in check["detail"] and "503" in check["detail"]
    line = next(x for x in result.stdout.splitlines() if "error_rate:" in x)
    assert "[failed ]" in line and "Prometheus" in line
    # The rollback itself went through; only its verification could not be done.
    assert revisions(kubectl, info) == [1, 3, 4]
    assert_verifies(folder)


def test_high_risk_steps_need_yes(drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)

    result = rollback_run(info, "revert-deployment", yes=False)

    assert result.returncode == 2, explain(result)
    assert "rollout_undo" in result.stderr and "--yes" in result.stderr
    assert incidents(rollback_home) == []


def test_dry_run_changes_nothing(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)

    result = rollback_run(info, "revert-deployment", "--dry-run", yes=False)

    assert result.returncode == 0, explain(result)
    assert "server dry run: nothing changed" in result.stdout
    assert revisions(kubectl, info) == [1, 2, 3]
    assert image(kubectl, info).endswith(":2.4.0")
    folder = the_incident(rollback_home)
    assert all(d["dry_run"] for d in events(folder, "step.started"))
    assert events(folder, "incident.opened")[0]["dry_run"] is True
    assert events(folder, "incident.resolved") == []
    assert_verifies(folder)


def test_unknown_check_item_is_refused(drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)

    result = rollback_run(info, "revert-deployment", "--check", "x")

    assert result.returncode == 2, explain(result)
    assert "--check x: not a manual checklist item of revert-deployment" in result.stderr
    assert "smoke_tests" in result.stderr
    assert incidents(rollback_home) == []


# ---- Ctrl-C ----------------------------------------------------------------------------------
def _interrupt(info: Any, runbook_id: str, after_step: str) -> tuple[int, list[dict[str, Any]]]:
    """Run with --json; send SIGINT at the first progress line after `after_step` finished."""
    process = subprocess.Popen(_argv(info, runbook_id, "--json"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_environ())
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[dict[str, Any]] = []
    armed = sent = False
    deadline = time.monotonic() + 120
    try:
        while True:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            if line is None:
                break
            seen.append(json.loads(line))
            if seen[-1]["type"] == "step" and seen[-1]["step"] == after_step:
                armed = True
            elif armed and not sent and seen[-1]["type"] == "progress":
                process.send_signal(signal.SIGINT)
                sent = True
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=5)
    assert process.stderr is not None
    errors = process.stderr.read()
    assert sent, f"no progress after {after_step}: exit {code}, {seen}\n--- stderr\n{errors}"
    return code, seen


def _assert_interrupted(code: int, seen: list[dict[str, Any]], home: Path, step: str) -> None:
    assert code != 0
    summary = next(x for x in seen if x["type"] == "summary")
    assert summary["ok"] is False
    assert any(x["type"] == "interrupted" and x["step"] == step for x in seen), seen
    folder = the_incident(home)
    stopped = events(folder, "run.interrupted")
    assert stopped == [{"during_step": step}]
    assert events(folder, "incident.resolved") == []
    assert_verifies(folder)
    shown = rollback("incidents", "show", folder.name)
    assert shown.returncode == 0, explain(shown)
    lines = shown.stdout.splitlines()
    # The step is listed as interrupted, with the advice to check before re-running …
    assert any(line.split()[:2] == ["interrupted", step] and "check before re-running" in line
               for line in lines if line.startswith("  ")), shown.stdout
    assert "the last run was interrupted" in shown.stdout
    # … and the timeline says the run was interrupted there.
    assert any(f"! run interrupted during step {step}" in line for line in lines), shown.stdout


def test_ctrl_c_while_watching_metrics(drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)

    code, seen = _interrupt(info, "revert-deployment", after_step="health_check")

    _assert_interrupted(code, seen, rollback_home, "error_rate")


def test_ctrl_c_while_waiting_for_the_rollout(drill, rollback_home: Path,
                                              tmp_path: Path) -> None:
    # bad-release with slow-starting pods, so the rollout takes long enough to interrupt.
    source = (REPO / "tui" / "drill" / "scenarios" / "bad-release.yaml").read_text()
    assert "pod_start_seconds: 3\n" in source
    scenario = tmp_path / "slow-release.yaml"
    scenario.write_text(source.replace("pod_start_seconds: 3\n", "pod_start_seconds: 200\n"))
    _cluster, info = drill(str(scenario), speed=SPEED)

    code, seen = _interrupt(info, "revert-deployment", after_step="rollout_undo")

    _assert_interrupted(code, seen, rollback_home, "rollout_status")


def test_failed_pre_rollback_check_stops_before_any_change(drill, kubectl,
                                                           rollback_home: Path) -> None:
    # A user runbook whose automatic pre-rollback item (a health check of a dead endpoint)
    # fails: the run must stop before its first step, with the item journaled as failed.
    source = (REPO / "runbooks" / "revert-deployment.yaml").read_text()
    gated = source.replace(
        "pre_rollback:\n",
        "pre_rollback:\n"
        "  - id: target_revision_reachable\n"
        "    item: Previous version reachable at {{ health_url }}/nowhere\n"
        "    check:\n"
        "      action: http.check\n"
        "      with: {url: \"{{ health_url }}/nowhere\", timeout: 2s}\n", 1)
    user_dir = rollback_home / "config" / "runbooks"
    user_dir.mkdir(parents=True)
    (user_dir / "revert-deployment.yaml").write_text(gated)
    _cluster, info = drill("bad-release", speed=SPEED)
    result = rollback_run(info, "revert-deployment")
    assert result.returncode == 1, explain(result)
    assert "a pre-rollback check failed" in result.stdout
    # Display text has its parameters filled in.
    assert f"Previous version reachable at {info.extra['params']['health_url']}/nowhere" in \
        result.stdout
    folder = the_incident(rollback_home)
    assert events(folder, "step.started") == []
    checks = events(folder, "check.recorded")
    assert [(c["item_id"], c["status"]) for c in checks] == [("target_revision_reachable",
                                                               "fail")]
    assert revisions(kubectl, info) == [1, 2, 3]


def test_step_timeout_and_decision_record_without_a_cluster(rollback_home: Path,
                                                             tmp_path: Path) -> None:
    # A runbook with no Kubernetes action needs no cluster: one wait step that outlives its
    # own timeout is cut short and journaled as interrupted, not as a cluster failure.
    book = tmp_path / "slow.yaml"
    book.write_text(
        "id: slow\ntitle: Slow\nversion: '1'\nowner: sre\nstrategy: revert-deployment\n"
        "estimated_time: {best: 1m, expected: 2m, worst: 3m}\n"
        "trigger: {decision_authority: Release manager}\n"
        "steps:\n"
        "  - id: settle\n    title: Let metrics settle\n    action: wait\n"
        "    with: {duration: 10m}\n    timeout: 1s\n"
        "post_rollback:\n  - id: incident_report\n    item: Incident report created\n")
    result = subprocess.run(
        [*_rollback(), "run", str(book), "--headless", "--reason", "drill",
         "--detected-at", "2026-01-01T00:00:00Z", "--json"],
        capture_output=True, text=True, timeout=60, env=_environ(), check=False)
    assert result.returncode == 1, explain(result)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    step = next(x for x in lines if x["type"] == "step")
    assert step["status"] == "interrupted" and "timeout 1s" in step["summary"]
    summary = next(x for x in lines if x["type"] == "summary")
    assert summary["status"] == "FAILED"
    folder = the_incident(rollback_home)
    decision = events(folder, "decision.recorded")[0]
    assert decision["decision"] == "ROLLBACK" and decision["rationale"] == "drill"
    assert decision["detected_at"].startswith("2026-01-01T00:00:00")
    assert decision["time_lost"] and decision["authorized_by"]
    assert_verifies(folder)


def test_dry_run_of_a_runbook_with_automatic_pre_checks(drill, kubectl,
                                                        rollback_home: Path) -> None:
    _cluster, info = drill("blue-green", speed=SPEED)
    selector_before = jsonpath(kubectl, info, "svc/checkout", "{.spec.selector}")
    result = rollback_run(info, "blue-green-switchback", "--dry-run", "--json", yes=False)
    assert result.returncode == 0, explain(result)
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["type"] == "summary" and summary["status"] == "PARTIAL"
    assert summary["checks_failed"] == 0
    assert jsonpath(kubectl, info, "svc/checkout", "{.spec.selector}") == selector_before
