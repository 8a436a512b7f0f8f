"""Secrets masked in every form they take on the way to the journal, the terminal and the exports:
raw, URL-encoded, JSON-escaped and base64; short secrets; passwords in URLs.

The end-to-end test runs the real `rollback run --headless` against a real HTTP service that
echoes what it was sent back in every encoding, then reads the journal, the command's output,
`incidents show` and every export.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest
from conftest import rollback_argv

from tui.domain.redaction import MASK, Redactor, encoded_forms, mask_userinfo, url_credentials
from tui.domain.runbook import validate_runbook

TOKEN = 's3cr"et/chars"q+~é'  # quotes, a slash, a plus and non-ASCII: every encoder differs
PASSWORD = "hunter2/pass@word"  # in a URL's user-info, percent-encoded there
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m"


def _forms(value: str) -> dict[str, str]:
    data = value.encode()
    std, safe = base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()
    return {
        "raw": value, "quote": quote(value, safe=""), "quote-path": quote(value),
        "quote_plus": quote_plus(value), "json": json.dumps(value)[1:-1],
        "json-utf8": json.dumps(value, ensure_ascii=False)[1:-1],
        "base64": std, "base64-nopad": std.rstrip("="),
        "base64url": safe, "base64url-nopad": safe.rstrip("="),
    }


@pytest.mark.parametrize("form", list(_forms(TOKEN)))
def test_every_encoding_of_a_secret_is_masked(form: str) -> None:
    encoded = _forms(TOKEN)[form]
    assert Redactor([TOKEN]).text(f"before {encoded} after") == f"before {MASK} after"


@pytest.mark.parametrize("prefix", ["", "a:", "ab:", "abc:"])
def test_a_secret_inside_longer_base64_is_masked(prefix: str) -> None:
    """Basic auth encodes `user:password`: the password's characters depend on its offset."""
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        header = encode(f"{prefix}{TOKEN}!tail".encode()).decode()
        masked = Redactor([TOKEN]).text(header)
        assert MASK in masked
        assert not any(form in masked for form in encoded_forms(TOKEN) if len(form) >= 4)


def test_short_secrets_are_masked_as_whole_words_only() -> None:
    redactor = Redactor(["ab1"])
    assert redactor.text("pw ab1, x=ab1&y tab1 ab12") == f"pw {MASK}, x={MASK}&y tab1 ab12"


def test_a_short_secret_parameter_is_refused_with_a_clear_message() -> None:
    runbook = validate_runbook(_runbook_yaml().encode(), "echo.yaml").runbook
    assert runbook is not None
    with pytest.raises(ValueError, match=r"secret parameter 'api_token' is 3 character\(s\) long"):
        runbook.resolve_parameters({"echo_url": "http://h", "api_token": "abc"})
    assert runbook.resolve_parameters({"echo_url": "http://h", "api_token": "abcd"})


def test_url_userinfo_is_masked_and_its_password_registered() -> None:
    text = "GET postgres://app:pa%2Fss@db:5432/x and https://ghp_tok3n@github.com/o/r ok"
    assert mask_userinfo(text) == (
        f"GET postgres://app:{MASK}@db:5432/x and https://{MASK}@github.com/o/r ok")
    assert url_credentials([text]) == ("pa%2Fss", "pa/ss", "ghp_tok3n")
    assert mask_userinfo("no url here, user@example.com") == "no url here, user@example.com"


def test_the_step_card_and_runbook_text_mask_a_url_password() -> None:
    from tui.domain.runbook_text import render_runbook
    from widgets.step_card import step_detail

    runbook = validate_runbook(_runbook_yaml().encode(), "echo.yaml").runbook
    assert runbook is not None
    values = {"echo_url": "https://bob:hunter2pass@h", "api_token": "tok3n"}
    card = step_detail(runbook, runbook.steps[0], values)
    assert card.command == f"curl https://bob:{MASK}@h/echo"
    text = render_runbook(runbook, values)
    assert "hunter2pass" not in text and f"https://bob:{MASK}@h" in text


# ---- end to end -------------------------------------------------------------------------------
def _runbook_yaml() -> str:
    return """\
id: echo-secret
title: "Echo what was sent \\e[2J\\e]0;title\\a"
version: "1.0.0"
owner: platform-oncall
strategy: feature-flag-disable
description: A service that echoes the request back in every encoding.
last_updated: "2026-11-30"
estimated_time: {best: 1s, expected: 1s, worst: 1m}
parameters:
  - name: echo_url
    description: Base URL of the echo service
    required: true
  - name: api_token
    description: Token of the echo service
    secret: true
  - name: lead
    description: Incident lead
    default: on-call engineer
trigger:
  criteria: [The echo service misbehaves]
  decision_authority: Release manager
steps:
  - id: echo
    title: Echo the token
    action: http.check
    with:
      url: "{{ echo_url }}/echo?token={{ api_token }}"
      expect_status: 200
      timeout: 5s
    command: curl {{ echo_url }}/echo
  - id: version
    title: Check the version field
    action: http.check
    with:
      url: "{{ echo_url }}/version"
      json_field: version
      json_equals: 2.3.1
      timeout: 5s
"""


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        sent = [*query.get("token", []), PASSWORD]
        if self.path.startswith("/version"):
            body = json.dumps({"version": ESCAPES + "2.4.0"}).encode()
        else:
            forms = {f"{i}-{name}": form for i, value in enumerate(sent)
                     for name, form in _forms(value).items()}
            # What the client sent, as servers echo it: the query as received, the Basic header.
            forms["query"] = self.path
            forms["authorization"] = self.headers.get("Authorization", "")
            body = json.dumps(forms, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _rollback(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("rollback")
    argv = [str(script)] if script.is_file() else rollback_argv()
    import os

    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, check=False)


def _leaks(text: str) -> list[str]:
    forms = {**{f"token {k}": v for k, v in _forms(TOKEN).items()},
             **{f"password {k}": v for k, v in _forms(PASSWORD).items()}}
    return [name for name, form in forms.items() if form in text]


def test_a_real_run_masks_every_encoding_everywhere(echo_server: str, rollback_home: Path,
                                                    tmp_path: Path) -> None:
    runbook = tmp_path / "echo.yaml"
    runbook.write_text(_runbook_yaml())
    url = f"http://bob:{quote(PASSWORD, safe='')}@{echo_server}"
    run = _rollback("run", str(runbook), "--headless", "--yes", "-p", f"echo_url={url}",
                    env={"ROLLBACK_PARAM_API_TOKEN": TOKEN})
    outputs = {"run stdout": run.stdout, "run stderr": run.stderr}
    folders = [j.parent for j in rollback_home.rglob("journal.jsonl")]
    assert len(folders) == 1, run.stdout + run.stderr
    folder = folders[0]
    lines = [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]
    # The echo really came back and was journaled (masked), else the test would prove nothing.
    echo = next(e for e in lines if e["type"] == "step.finished" and e["data"]["step_id"] == "echo")
    assert echo["data"]["status"] == "ok" and MASK in json.dumps(echo)
    assert lines[0]["data"]["params"]["echo_url"] == f"http://bob:{MASK}@{echo_server}"
    # Decoded strings of every journal line (a JSON-escaped form is escaped again in the file).
    outputs["journal"] = "\n".join(json.dumps(e, ensure_ascii=False) for e in lines)
    outputs["journal strings"] = repr(lines)
    outputs["journal file"] = (folder / "journal.jsonl").read_text()
    show = _rollback("incidents", "show", folder.name)
    outputs["incidents show"] = show.stdout + show.stderr
    export = _rollback("export", folder.name, "--what", "all", "--format", "all",
                       "-o", str(tmp_path / "exports"))
    assert export.returncode == 0, export.stderr
    for path in sorted((tmp_path / "exports").iterdir()):
        outputs[path.name] = path.read_text(errors="replace")
    shown = _rollback("runbooks", "show", str(runbook), "-p", f"echo_url={url}")
    outputs["runbooks show"] = shown.stdout + shown.stderr
    assert f"echo_url = http://bob:{MASK}@{echo_server}" in shown.stdout
    assert len(outputs) > 10
    leaked = {where: found for where, text in outputs.items() if (found := _leaks(text))}
    assert leaked == {}


def test_control_characters_from_runbooks_and_servers_are_inert(echo_server: str,
                                                                rollback_home: Path,
                                                                tmp_path: Path) -> None:
    runbook = tmp_path / "echo.yaml"
    runbook.write_text(_runbook_yaml())
    hostile = "x\x1b]52;c;ZXZpbA==\x07"
    run = _rollback("run", str(runbook), "--headless", "--yes", "-p", f"lead={hostile}",
                    "-p", f"echo_url=http://{echo_server}", env={"ROLLBACK_PARAM_API_TOKEN": TOKEN})
    folder = next(rollback_home.rglob("journal.jsonl")).parent
    show = _rollback("incidents", "show", folder.name)
    listing = _rollback("incidents", "list")
    shown = _rollback("runbooks", "show", str(runbook), "-p", f"echo_url={hostile}")
    timeline = _rollback("export", folder.name, "--what", "timeline", "--format", "md")
    outputs = {"run": run.stdout + run.stderr, "incidents show": show.stdout + show.stderr,
               "incidents list": listing.stdout + listing.stderr,
               "runbooks show": shown.stdout + shown.stderr, "timeline.md": timeline.stdout}
    exported = _rollback("export", folder.name, "--what", "all", "--format", "all",
                         "-o", str(tmp_path / "exports"))
    assert exported.returncode == 0, exported.stderr
    for path in (tmp_path / "exports").iterdir():
        if path.suffix in (".md", ".csv"):  # the plain-text formats, read in terminals
            outputs[path.name] = path.read_text()
    for where, text in outputs.items():
        assert not any(c in text for c in "\x1b\x07\x9b"), f"{where}: {text!r}"
    assert "^[[2J" in outputs["run"]  # the version field's escapes, shown inert
    assert "lead=x^[]52;c;ZXZpbA==^G" in outputs["incidents show"]  # a -p value
    assert "^[[2J" in outputs["runbooks show"] and "^[]52;c;ZXZpbA==^G" in outputs["runbooks show"]


def test_a_change_cause_from_the_cluster_is_inert(drill, kubectl, rollback_home: Path) -> None:
    """A ReplicaSet's change-cause annotation (anyone who can deploy writes it) reaches the
    headless output and `incidents show` with its escapes shown as ^[, not executed."""
    _cluster, info = drill("bad-release", speed=20)
    replicasets = kubectl(info, "get", "rs", "-n", "production", "-o", "name")
    assert replicasets.returncode == 0, replicasets.stderr
    for rs in replicasets.stdout.split():
        annotated = kubectl(info, "annotate", "--overwrite", "-n", "production", rs,
                            f"kubernetes.io/change-cause=deploy {ESCAPES}done")
        assert annotated.returncode == 0, annotated.stderr
    params = [f"{k}={v}" for k, v in info.extra["params"].items()
              if k in ("namespace", "deployment", "service", "health_url", "prometheus_url",
                       "expected_version", "version_url")]
    run = _rollback("run", "revert-deployment", "--kubeconfig", info.kubeconfig, "--headless",
                    "--yes", "--time-scale", "20", *[a for p in params for a in ("-p", p)])
    folder = next(rollback_home.rglob("journal.jsonl")).parent
    show = _rollback("incidents", "show", folder.name)
    journal = (folder / "journal.jsonl").read_text()
    assert "deploy \\u001b[2J" in journal  # the journal keeps the data as it was (escaped JSON)
    for where, text in {"run": run.stdout + run.stderr, "show": show.stdout}.items():
        assert not any(c in text for c in "\x1b\x07\x9b"), f"{where}: {text!r}"
    assert "deploy ^[[2J" in run.stdout + show.stdout


async def test_tui_notifications_show_controls_inert(drill, rollback_home: Path) -> None:
    """A worker error (here text from a server) becomes a toast: its escapes shown, not run."""
    from test_tui_behaviour import _app
    from tui_driver import until

    _cluster, info = drill("bad-release", speed=20)
    app = _app(info)
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.session

        def broken() -> None:
            raise OSError(f"server said {ESCAPES}")

        app.run_in_session("probe", broken)
        await until(pilot, "the warning in the journal", lambda: session.state.warnings)
        messages = [n.message for n in app._notifications]
        assert any("server said ^[[2J^[]0;pwned^G^[[31m" in m for m in messages), messages
        assert not any(c in m for m in messages for c in "\x1b\x07\x9b")


def test_runbooks_show_errors_keep_their_lines_and_show_escapes_inert(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('id: "x\\e[2J"\ntitle: "t\\e]0;x\\a"\nversion: 5\n')
    shown = _rollback("runbooks", "show", str(bad))
    assert shown.returncode == 2 and len(shown.stderr.splitlines()) > 3, shown.stderr
    assert "^J" not in shown.stderr and "\x1b" not in shown.stderr
