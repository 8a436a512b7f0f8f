"""The bad-migration drill brings a real PostgreSQL: loaded, backed up, migrated, then stopped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import REQUIRE_REAL, require_tool

from tui.app.commands_drill import _database_lines
from tui.drill import database
from tui.drill.cluster import DrillCluster
from tui.drill.scenario import find_scenario

RELEASE_VERSION = "20261120101500"


def _require_server() -> None:
    if database.server_bin() is None:
        message = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
        if REQUIRE_REAL:
            pytest.fail(f"{message}, and ROLLBACK_REQUIRE_REAL=1 requires them")
        pytest.skip(message)


def _psql(info, sql: str) -> subprocess.CompletedProcess[str]:
    db = info.extra["database"]
    env = {**os.environ, "PGHOST": db["host"], "PGPORT": str(db["port"]), "PGUSER": db["user"],
           "PGPASSWORD": info.extra["params"]["pgpassword"], "PGCONNECT_TIMEOUT": "5"}
    return subprocess.run([require_tool("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql,
                           db["database"]], capture_output=True, text=True, env=env, timeout=30,
                          check=False)


def test_the_drill_starts_loads_and_stops_its_postgres(tmp_path: Path) -> None:
    _require_server()
    cluster = DrillCluster(find_scenario("bad-migration"), folder=tmp_path / "drill", speed=20)
    info = cluster.start()
    home = (tmp_path / "drill" / "postgres").resolve()  # as root: a private dir, linked
    try:
        assert "error" not in info.extra["database"], info.extra["database"]
        assert (home / "data" / "postmaster.pid").is_file()
        # As the release left it: migrated, with a row written since.
        latest = _psql(info, "SELECT max(version) FROM schema_migrations")
        assert latest.stdout.strip() == RELEASE_VERSION, latest.stderr
        assert _psql(info, "SELECT count(*) FROM users").stdout.strip() == "51"
        assert _psql(info, "SELECT count(*) FROM loyalty_points").stdout.strip() == "50"
        # The backup is from before the release's migration.
        backup = Path(info.extra["database"]["backup_file"])
        listing = subprocess.run([require_tool("pg_restore"), "--list", str(backup)],
                                 capture_output=True, text=True, check=True).stdout
        assert "TABLE public users" in listing and "loyalty_points" not in listing
        down = Path(info.extra["database"]["down_migration_file"])
        assert down.read_text().startswith("BEGIN;") and "DROP TABLE loyalty_points" in (
            down.read_text())
        # The runbook's parameters point at it; the password is a secret parameter.
        params = info.extra["params"]
        assert params["db_port"] == str(info.extra["database"]["port"])
        assert params["backup_file"] == str(backup) and params["pgpassword"]
        text = _database_lines(info)
        assert f"PGPORT={info.extra['database']['port']}" in text and str(down) in text
    finally:
        cluster.stop()
    stopped = _psql(info, "SELECT 1")
    assert stopped.returncode != 0
    assert not (home / "data" / "postmaster.pid").exists()


def test_without_server_binaries_the_drill_says_how_to_install_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "server_bin", lambda: None)
    cluster = DrillCluster(find_scenario("bad-migration"), folder=tmp_path / "drill", speed=20)
    info = cluster.start()
    try:
        error = info.extra["database"]["error"]
        assert "initdb" in error and "apt-get install postgresql" in error
        text = _database_lines(info)
        assert text.startswith("This drill's database is not running:")
        assert "apt-get install postgresql" in text
        assert "pgpassword" not in info.extra["params"]
        # The cluster itself still serves.
        assert cluster.store.get("deployments", "production", "checkout") is not None
    finally:
        cluster.stop()
