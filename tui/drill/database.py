"""A throwaway PostgreSQL server for drills whose scenario has a database (bad-migration).

It is started with the drill, in the drill's folder, loaded with the scenario's schema and
data, backed up as at the release's deployment, migrated as the release left it, and stopped
with the drill. PostgreSQL refuses to run as root: as root the server runs as the `postgres`
system user, from a folder that user can reach (a private temp dir, linked from the drill's).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL_HINT = ("install PostgreSQL's server binaries (Debian/Ubuntu: apt-get install "
                "postgresql; they go to /usr/lib/postgresql/VERSION/bin) and start the drill again")
START_TIMEOUT = 120.0  # seconds for initdb and for the server to accept connections


class DatabaseUnavailable(RuntimeError):
    """The drill's PostgreSQL could not be started; the message says why and what to do."""


def server_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest versioned folder."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin")
             if (p / "initdb").is_file() and (p / "pg_ctl").is_file()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _client(bin_dir: Path, name: str) -> str:
    """A client tool (psql, pg_dump) of the server's version, else the one on PATH."""
    beside = bin_dir / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise DatabaseUnavailable(f"{name} is not installed: {INSTALL_HINT}")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Connection:
    """Where the drill's database is and how to log in (what the runbook's parameters take)."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def env(self) -> dict[str, str]:
        """libpq's environment for this connection."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
                "PGPASSWORD": self.password, "PGDATABASE": self.database}


class DrillDatabase:
    """One PostgreSQL cluster: `start()` builds and loads it, `stop()` ends it."""

    def __init__(self, spec: dict[str, Any], folder: Path) -> None:
        self.spec, self.folder = spec, folder
        self.connection: Connection | None = None
        self.backup_file = folder / "backups" / f"{spec['name']}-before-release.dump"
        self.down_migration_file = folder / "migrations" / "down" / f"{spec['version']}.sql"
        self._bin: Path | None = None
        self._home: Path | None = None  # the server's own folder (data, log, password file)
        self._private_home = False
        self._as: list[str] = []

    def start(self) -> Connection:
        """Create, start and load the cluster; DatabaseUnavailable says what went wrong."""
        self._bin = server_bin()
        if self._bin is None:
            raise DatabaseUnavailable(f"PostgreSQL's server binaries (initdb, pg_ctl) are not "
                                      f"installed: {INSTALL_HINT}")
        self._home = self._prepare_home()
        password, port = "drill-db-" + secrets.token_hex(8), _free_port()
        (self._home / "pwfile").write_text(password + "\n")
        self._own(self._home / "pwfile")
        data, log = self._home / "data", self._home / "server.log"
        self._server("initdb", "-D", str(data), "-U", "postgres", "--pwfile",
                     str(self._home / "pwfile"), "--auth=scram-sha-256", "-E", "UTF8",
                     "--no-locale", "--no-sync")
        self._server("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                     f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                     "-c fsync=off", "start", log=log)
        self.connection = Connection("127.0.0.1", port, "postgres", password, self.spec["name"])
        self._load()
        return self.connection

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove a private folder; never raises."""
        if self._bin is None or self._home is None:
            return
        data = self._home / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run([*self._as, str(self._bin / "pg_ctl"), "-D", str(data), "-m", "fast",
                            "-w", "-t", "30", "stop"], capture_output=True, check=False,
                           timeout=60)
        if self._private_home:
            shutil.rmtree(self._home, ignore_errors=True)
        self._home = None

    # ---- building it -----------------------------------------------------------------------
    def _prepare_home(self) -> Path:
        if os.geteuid() != 0:
            home = self.folder / "postgres"
            home.mkdir(parents=True, exist_ok=True)
            return home
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise DatabaseUnavailable("running as root, and there is no postgres system user "
                                      f"to run the server as: {INSTALL_HINT}") from None
        self._as = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        # The drill's folder may sit under a folder only root can enter (/root, pytest's).
        home = Path(tempfile.mkdtemp(prefix="rollback-drill-pg-"))
        os.chown(home, owner.pw_uid, owner.pw_gid)
        self._private_home = True
        link = self.folder / "postgres"
        if not link.exists():
            link.symlink_to(home, target_is_directory=True)
        return home

    def _own(self, path: Path) -> None:
        if self._as:
            owner = pwd.getpwnam("postgres")
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _server(self, tool: str, *args: str, log: Path | None = None) -> None:
        assert self._bin is not None and self._home is not None
        result = subprocess.run([*self._as, str(self._bin / tool), *args], capture_output=True,
                                text=True, cwd=self._home, timeout=START_TIMEOUT, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            if log is not None and log.exists():
                detail += log.read_text(errors="replace").strip().splitlines()[-5:]
            raise DatabaseUnavailable(f"{tool} failed (exit {result.returncode}): "
                                      + " / ".join(detail[-6:]))

    def _client_run(self, tool: str, *args: str) -> None:
        assert self.connection is not None and self._bin is not None
        env = {**os.environ, **self.connection.env()}
        result = subprocess.run([_client(self._bin, tool), *args], capture_output=True,
                                text=True, env=env, timeout=START_TIMEOUT, check=False)
        if result.returncode != 0:
            raise DatabaseUnavailable(f"{tool} {' '.join(args[:2])}: "
                                      f"{(result.stderr or result.stdout).strip()}")

    def _sql(self, statements: str, database: str | None = None) -> None:
        self._client_run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", statements,
                         "-d", database or self.spec["name"])

    def _load(self) -> None:
        """Schema and data, the backup as at the deployment, the release's migration, then the
        rows written since; the down migration as a file the runbook runs."""
        name = self.spec["name"]
        self._sql(f'CREATE DATABASE "{name}"', database="postgres")
        self._sql(self.spec["schema"])
        self.backup_file.parent.mkdir(parents=True, exist_ok=True)
        self._client_run("pg_dump", "-Fc", "-f", str(self.backup_file), "-d", name)
        self._sql(self.spec["release_migration"])
        if self.spec.get("after_release"):
            self._sql(self.spec["after_release"])
        self.down_migration_file.parent.mkdir(parents=True, exist_ok=True)
        self.down_migration_file.write_text(self.spec["down_migration"].strip() + "\n")

    def params(self) -> dict[str, str]:
        """The database runbook's parameters for this database (the password among them)."""
        if self.connection is None:
            return {}
        return {"database": self.connection.database, "db_host": self.connection.host,
                "db_port": str(self.connection.port), "db_user": self.connection.user,
                "pgpassword": self.connection.password, "backup_file": str(self.backup_file),
                "down_migration_file": str(self.down_migration_file)}
