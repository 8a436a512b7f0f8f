"""Opening the guided TUI: from the command line (run, resume, follow, drill, bare `rollback`)
or from the start screen — one `Opener` makes the sessions, one factory makes the app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.app.config import Settings
from tui.app.paths import Paths

# The session layer, the catalog and the journal are imported when a session is opened, not
# before the first frame of bare `rollback` (the start screen needs none of them).
if TYPE_CHECKING:
    from tui.app.application import DrillHandle, RollbackApp
    from tui.session.core import SessionConfig
    from tui.session.events import ConfirmationRequest
    from tui.session.session import IncidentSession

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class Opener:
    """Makes incident sessions for the app (new, resume, follow, drill); confirmations go to
    whichever app is running."""

    paths: Paths
    settings: Settings
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    app: RollbackApp | None = None
    drills: list[Callable[[], None]] = field(default_factory=list)

    @property
    def actor(self) -> str:
        """Who the journal names."""
        from tui.adapters.journal import actor_name

        return self.settings.actor or actor_name(dict(self.environ))

    def confirm(self, request: ConfirmationRequest) -> bool:
        """The sessions' confirmer: the running app's dialog (declined when there is none)."""
        return self.app.confirm_from_thread(request) if self.app is not None else False

    def config(self, **overrides: Any) -> SessionConfig:
        """Session settings: the settings file, then what the caller says."""
        from tui.session.core import SessionConfig

        base: dict[str, Any] = {
            "incidents_dir": self.paths.incidents_dir, "kubeconfig": self.settings.kubeconfig,
            "context": self.settings.context, "namespace": self.settings.namespace,
            "prometheus_url": self.settings.prometheus_url, "environ": dict(self.environ),
            "actor": self.actor, "confirmer": self.confirm,
            "key_folder": self.paths.config_file.parent}
        base.update({k: v for k, v in overrides.items() if v is not None})
        return SessionConfig(**base)

    def new(self, runbook_path: Path, given: Mapping[str, str], **overrides: Any
            ) -> IncidentSession:
        """Open a new incident for a runbook file with these parameter values."""
        from tui.app.catalog import validate_file
        from tui.session.core import SessionError
        from tui.session.session import IncidentSession

        result = validate_file(runbook_path)
        if result.runbook is None:
            raise SessionError("\n".join(result.messages()))
        runbook = result.runbook
        given = dict(given)
        namespace, prometheus = overrides.get("namespace"), overrides.get("prometheus_url")
        if namespace and runbook.parameter("namespace") and "namespace" not in given:
            given["namespace"] = namespace
        if prometheus and runbook.parameter("prometheus_url") and \
                "prometheus_url" not in given:
            given["prometheus_url"] = prometheus
        try:
            values = runbook.resolve_parameters(given, self.environ)
        except ValueError as exc:
            raise SessionError(str(exc)) from None
        return IncidentSession.open(runbook, runbook_path.read_bytes(), values,
                                    self.config(**overrides))

    def resume(self, incident_id: str | None) -> IncidentSession:
        """Take over an open incident whose session ended."""
        from tui.app.incident_lookup import find_incident, session_config
        from tui.session.session import IncidentSession

        found = find_incident(incident_id, self.paths, self.actor)
        config = session_config(found.state, self.paths, self.settings, _NoFlags(), self.actor)
        config.headless, config.confirmer, config.confirmed_by = False, self.confirm, ""
        return IncidentSession.resume(found.folder, found.runbook, found.runbook_bytes, config)

    def post_incident(self, incident_id: str) -> IncidentSession:
        """Open a resolved incident for its post-incident record (nothing is resumed)."""
        from tui.app.incident_lookup import find_incident, session_config
        from tui.session.session import IncidentSession

        found = find_incident(incident_id, self.paths, self.actor)
        config = session_config(found.state, self.paths, self.settings, _NoFlags(), self.actor)
        config.headless, config.confirmer, config.confirmed_by = False, self.confirm, ""
        return IncidentSession.attach_post_incident(found.folder, found.runbook, config)

    def follow(self, incident_id: str) -> IncidentSession:
        """A read-only view of an incident (another process may hold it)."""
        from tui.app.incident_lookup import find_incident
        from tui.session.session import IncidentSession

        found = find_incident(incident_id, self.paths, self.actor)
        return IncidentSession.follow(found.folder, found.runbook,
                                      self.config(drill=found.state.drill))

    def drill(self, scenario_name: str, *, speed: float = 1.0, faults: list[str] | None = None,
              seed: int = 0) -> tuple[IncidentSession, DrillHandle]:
        """Start a drill cluster and open an incident on its scenario.

        The cluster runs in a child process: the app's event loop never competes with the
        simulation for the interpreter, and a crash of the app leaves the cluster up so
        `rollback resume` can finish the drill (the child stops by itself 30 minutes after
        the app is gone; a normal exit stops it at once).
        """
        from tui.app.application import DrillHandle
        from tui.app.catalog import resolve, validate_file
        from tui.drill.cluster import DrillInfo
        from tui.drill.scenario import find_scenario

        scenario = find_scenario(scenario_name, self.paths.scenarios_dir)
        info_data, process = self._start_drill_process(scenario_name, speed, faults or [], seed)
        info = DrillInfo(info_data["kubeconfig"], info_data["api"], info_data["prometheus"],
                         info_data.get("apps", {}), info_data["namespace"],
                         info_data["deployment"], info_data["scenario"],
                         {k: v for k, v in info_data.items()
                          if k not in ("kubeconfig", "api", "prometheus", "apps", "namespace",
                                       "deployment", "scenario")})

        def stop() -> None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

        self.drills.append(stop)
        runbook_path = resolve(str(scenario.data.get("runbook", "revert-deployment")),
                               self.paths)
        runbook = validate_file(runbook_path).runbook
        params = {k: v for k, v in info.extra.get("params", {}).items()
                  if runbook is not None and runbook.parameter(k) is not None}
        session = self.new(runbook_path, params, kubeconfig=info.kubeconfig, context="drill",
                           time_scale=speed, drill=True)
        handle = DrillHandle(scenario.id, info.kubeconfig, info.api,
                             str(info.extra.get("kubectl_cache_dir", "")), stop,
                             scenario.description)
        return session, handle

    def _start_drill_process(self, scenario: str, speed: float, faults: list[str],
                             seed: int) -> tuple[dict[str, Any], subprocess.Popen[bytes]]:
        """`rollback drill SCENARIO --serve` as a child; its ready line says where it is."""
        logs = self.paths.data_dir / "drills"
        logs.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "tui", "drill", scenario, "--serve", "--speed",
                f"{speed:g}", "--seed", str(seed), "--parent-pid", str(os.getpid())]
        for fault in faults:
            argv += ["--fault", fault]
        log = (logs / f"drill-{os.getpid()}.log").open("ab")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=log, start_new_session=True,
                                   env={**os.environ, **dict(self.environ)})
        log.close()
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            from tui.session.core import SessionError

            process.wait(timeout=10)
            raise SessionError(f"the drill cluster did not start (exit {process.returncode}); "
                               f"see {logs / f'drill-{os.getpid()}.log'}")
        return json.loads(line), process

    def close(self) -> None:
        """Stop the drill clusters this opener started."""
        for stop in self.drills:
            stop()
        self.drills.clear()


class _NoFlags:
    """No command-line overrides (the incident's own connection is used)."""


def run_tui(opener: Opener, session: IncidentSession | None = None,
            drill: DrillHandle | None = None) -> int:
    """Run the app until the operator quits; the session is closed whatever happens."""
    from tui.app.application import AppContext, create_app

    settings = opener.settings
    context = AppContext(paths=opener.paths, session=session, drill=drill,
                         keymap=dict(settings.keymap), opener=opener, theme=settings.theme,
                         production_pattern=settings.production_pattern or "prod")
    app = create_app(context)
    opener.app = app

    def hang_up(signum: int, frame: Any) -> None:
        # The SSH connection dropped: stop at the next safe point, as Ctrl-C would, and leave.
        # Not from inside the handler (it interrupts the app's own loop): from a thread.
        threading.Thread(target=lambda: app.call_from_thread(app.action_stop),
                         daemon=True).start()

    previous = signal.signal(signal.SIGHUP, hang_up)
    try:
        code = app.run()
    finally:
        signal.signal(signal.SIGHUP, previous)
        opener.app = None
        current = app.session
        if current is not None:
            try:
                current.close()
            except Exception as exc:  # noqa: BLE001 - report, never a traceback on exit
                print(f"rollback: closing the journal: {exc}", file=sys.stderr)
        opener.close()
    return int(code or 0)


def interactive() -> bool:
    """Whether a person is at a terminal (else the text forms of the commands are used)."""
    return sys.stdin.isatty() and sys.stdout.isatty()
