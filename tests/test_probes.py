"""HTTP probes against the drill's app endpoints and flag API, and a local server for timing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tui.adapters.probes import (
    ProbeResult,
    confirm_version,
    http_check,
    http_request,
    safe_url,
    same_value,
)
from tui.domain.incident import Redactor

TOKEN = {"Authorization": "Bearer drill-token-abc123"}
SECRET = "s3cr3t-value-XYZ-0042"


class _Handler(BaseHTTPRequestHandler):
    """Endpoints whose timing and failures a test controls."""

    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/slow":
            time.sleep(int(query.get("ms", "300")) / 1000)
            self._send(200, b"slow but fine")
        elif parts.path == "/flaky":
            with self.server.lock:
                self.server.calls += 1
                calls = self.server.calls
            if calls <= int(query.get("fail", "2")):
                self._send(500, json.dumps({"error": f"warming up ({calls})"}).encode())
            else:
                self._send(200, b'{"status": "ok"}')
        elif parts.path == "/secret-at":
            # A registered secret starting at byte `at` of a long body.
            at = int(query["at"])
            self._send(200, b"x" * at + SECRET.encode() + b"y" * 6000)
        elif parts.path == "/html":
            self._send(200, b"<html>version 2.3.1 inside</html>", "text/html")
        else:
            self._send(404, b'{"error": "no such path"}')

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    calls = 0
    lock = threading.Lock()


@pytest.fixture
def local() -> Iterator[str]:
    """A local HTTP server in a thread; yields its base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.calls = 0
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the drill's application --------------------------------------------------------------


async def test_health_of_a_healthy_service(drill) -> None:
    _, info = drill("stuck-rollout")  # revision 1 (2.4.1) still serves, healthy
    result = await http_check(info.apps["checkout"] + "/health", json_field="status",
                              json_equals="ok")
    assert result.ok and result.status == 200
    assert result.found == "ok" and result.latency_s is not None and result.latency_s < 5
    assert result.detail.startswith("HTTP 200, status = ok, in ")


async def test_health_503_carries_the_bodys_reason(drill) -> None:
    _, info = drill("bad-flag")
    result = await http_check(info.apps["checkout"] + "/health")
    assert not result.ok and result.status == 503
    assert result.detail == ("expected HTTP 200, got 503 (degraded: error ratio 15.0% on the 3 "
                             "pod(s) serving now)")
    assert '"reason":"error ratio 15.0% on the 3 pod(s) serving now"' in result.body_excerpt


async def test_confirm_version(drill) -> None:
    _, info = drill("bad-flag")
    url = info.apps["checkout"] + "/version"
    good = await confirm_version(url, "2.4.0")
    assert good.ok and good.found == "2.4.0" and good.detail == "version 2.4.0 as expected"
    bad = await confirm_version(url, "2.3.1", retries=1, retry_delay=0.01)
    assert not bad.ok and bad.found == "2.4.0" and bad.attempts == 2
    assert bad.detail == "expected version 2.3.1, found 2.4.0"


async def test_confirm_version_in_a_plain_body_and_over_budget(local: str) -> None:
    assert (await confirm_version(local + "/html", "2.3.1")).ok
    missing = await confirm_version(local + "/html", "2.4.0")
    assert not missing.ok and "does not mention it: <html>version 2.3.1" in missing.detail
    slow = await confirm_version(local + "/slow?ms=200", "slow", latency_budget=0.05)
    assert not slow.ok
    assert slow.detail.startswith("body mentions version slow; took 0.")
    assert "over the 0.05s latency budget" in slow.detail
    down = await confirm_version(local + "/nowhere", "1.0")
    assert not down.ok and down.detail == "expected HTTP 200, got 404 (no such path)"


async def test_flag_api_json_fields_and_patch(drill) -> None:
    _, info = drill("bad-flag")
    flags = info.apps["checkout"] + "/admin/feature-flags"
    flag = flags + "/new-checkout"
    anonymous = await http_check(flag, json_field="enabled")
    assert not anonymous.ok and anonymous.detail == "expected HTTP 200, got 401 (missing bearer token)"
    assert (await http_check(flag, headers=TOKEN, json_field="enabled", json_equals=True)).ok
    # Templated runbook arguments arrive as text.
    assert (await http_check(flag, headers=TOKEN, json_field="enabled", json_equals="true")).ok
    wrong = await http_check(flag, headers=TOKEN, json_field="enabled", json_equals=False)
    assert not wrong.ok and wrong.detail == "enabled is true, expected false"
    listed = await http_check(flags, headers=TOKEN, json_field="flags.0.key",
                              json_equals="new-checkout")
    assert listed.ok and listed.found == "new-checkout"
    absent = await http_check(flags, headers=TOKEN, json_field="flags.3.key")
    assert not absent.ok and absent.detail == "JSON field 'flags.3.key' not found"

    patched = await http_request("patch", flag, headers=TOKEN, json={"enabled": False})
    assert patched.ok and patched.status == 200 and patched.method == "PATCH"
    assert patched.body_json == {"key": "new-checkout", "enabled": False}
    assert patched.request_headers["Content-Type"] == "application/json"
    assert (await http_check(flag, headers=TOKEN, json_field="enabled", json_equals="false")).ok

    refused = await http_request("PATCH", flag, headers=TOKEN, body='{"enabled": "no"}')
    assert not refused.ok and refused.status == 400
    assert refused.detail.startswith(f"PATCH {flag}: expected HTTP 2xx, got 400 (expected ")
    expected_400 = await http_request("PATCH", flag, headers=TOKEN, body="{}",
                                      expect_status=[400, 409])
    assert expected_400.ok


async def test_body_contains_and_non_json_bodies(local: str) -> None:
    assert (await http_check(local + "/html", body_contains="version 2.3.1")).ok
    missing = await http_check(local + "/html", body_contains="2.4.0")
    assert not missing.ok and missing.detail == "body does not contain '2.4.0'"
    not_json = await http_check(local + "/html", json_field="version")
    assert not not_json.ok and not_json.detail == "body is not JSON, cannot read 'version'"


# --- timing, retries, failures --------------------------------------------------------------


async def test_latency_budget(local: str) -> None:
    slow = await http_check(local + "/slow?ms=300", latency_budget=0.1)
    assert not slow.ok and slow.status == 200 and slow.latency_s >= 0.3
    # The measured time, not the requested one: a loaded machine answers later than 0.3 s.
    assert slow.detail == f"took {slow.latency_s:.2f}s, over the 0.1s latency budget"
    assert (await http_check(local + "/slow?ms=300", latency_budget=2)).ok


async def test_retries_until_the_service_answers(local: str) -> None:
    result = await http_check(local + "/flaky?fail=2", retries=2, retry_delay=0.01)
    assert result.ok and result.attempts == 3


async def test_retries_run_out(local: str) -> None:
    result = await http_check(local + "/flaky?fail=5", retries=1, retry_delay=0.01)
    assert not result.ok and result.attempts == 2
    assert result.detail == "expected HTTP 200, got 500 (warming up (2)) (after 2 attempts)"


async def test_connection_refused_is_a_result_not_an_exception() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/health"
    result = await http_check(url, retries=1, retry_delay=0.01)
    assert not result.ok and result.status is None and result.attempts == 2
    assert result.detail.startswith(f"cannot connect to {url}: ")
    called = await http_request("POST", url, json={"x": 1})
    assert not called.ok and called.detail.startswith(f"cannot connect to {url}: ")


async def test_a_slow_answer_times_out(local: str) -> None:
    started = time.monotonic()
    result = await http_check(local + "/slow?ms=2000", timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert not result.ok and result.detail == (
        f"cannot connect to {local}/slow?ms=2000: no answer within 0.3s")


async def test_an_invalid_url_is_a_result() -> None:
    result = await http_check("ftp://example.invalid/x")
    assert not result.ok and result.status is None and "ftp://example.invalid/x" in result.detail


# --- journal safety -----------------------------------------------------------------------


async def test_for_journal_masks_secret_headers_and_cuts_the_body(local: str) -> None:
    headers = {**TOKEN, "X-Vault-Token": "hvs.CAESIabcdef", "Cookie": "session=abc123def",
               "X-Api-Key": "k-998877", "Accept": "application/json"}
    result = await http_check(local + "/secret-at?at=2040", headers=headers)
    assert SECRET in result.body_excerpt  # kept in memory for the checks…
    record = result.for_journal(Redactor([SECRET]))
    text = json.dumps(record)
    # …but a secret straddling the 2 KB cut is masked before cutting, not half-kept.
    for leaked in ("drill-token-abc123", "hvs.CAESIabcdef", "abc123def", "k-998877", "s3cr3t"):
        assert leaked not in text
    assert record["request_headers"] == {"Authorization": "***", "X-Vault-Token": "***",
                                         "Cookie": "***", "X-Api-Key": "***",
                                         "Accept": "application/json"}
    assert len(record["body_excerpt"].encode()) <= 2048 + len("…".encode())
    assert "x***y" in record["body_excerpt"] and record["body_excerpt"].endswith("y…")
    assert record["ok"] and record["status"] == 200 and record["url"].endswith("?at=2040")
    assert "drill-token-abc123" not in repr(result)  # a result logged by mistake leaks nothing


def test_for_journal_masks_urls_and_details() -> None:
    result = ProbeResult(False, 401, 0.01, "denied: token=abcdef123456 refused",
                         '{"password": "pw-1234567"}',
                         url="https://bot:hunter2hunter2@status.example/api?api_key=zz-123456")
    text = json.dumps(result.for_journal(Redactor()))
    for leaked in ("hunter2", "abcdef123456", "pw-1234567", "zz-123456"):
        assert leaked not in text
    assert safe_url("https://bot:pw@h/x") == "https://bot:***@h/x"
    assert safe_url("https://h/x") == "https://h/x"


def test_same_value_compares_json_values_and_templated_text() -> None:
    assert same_value(True, True) and same_value(False, "false") and same_value(3, "3")
    assert same_value("2.4.0", "2.4.0") and same_value(None, "null") and same_value(2, 2.0)
    assert not same_value(True, 1) and not same_value(1, True) and not same_value("1", 1)


def test_a_drill_at_speed_keeps_network_limits_real(local: str, tmp_path) -> None:
    """Speed 20 compresses waits, not the network: a 5 s timeout stays 5 s (not 0.25 s) and a
    1 s latency budget stays 1 s, so a half-second answer passes."""
    from conftest import REPO

    from tui.actions.base import ActionContext
    from tui.actions.web import HttpCheck
    from tui.domain.runbook import validate_runbook

    path = REPO / "runbooks" / "revert-deployment.yaml"
    ctx = ActionContext(runbook=validate_runbook(path.read_bytes(), str(path)).runbook,
                        values={}, incident_dir=tmp_path, redactor=Redactor(()), time_scale=20)
    outcome = HttpCheck().run({"url": local + "/slow?ms=500", "timeout": "5s",
                               "latency_budget": "1s"}, ctx)
    assert outcome.ok, outcome.summary
    assert ctx.seconds("5s", "0s") == 0.25 and ctx.network_seconds("5s", "0s") == 5
