"""Webhooks against a real local HTTP server: success, a 500 then success on retry, nothing
listening, a server slower than the timeout; the URL path and token never in a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from webhook_server import unused_port, webhook_server

from tui.adapters.webhooks import (
    Webhook,
    WebhookError,
    available,
    find,
    mask_url,
    post,
    resolve,
)
from tui.app.config import ConfigError, load_settings
from tui.domain.comms import Draft
from tui.domain.webhooks import WebhookSetting, payload

DRAFT = Draft("status-update", "Status update #2", "Rollback Status Update #2 - 04:26 UTC",
              'Status: In Progress\n<b>&amp; *not* markup* {{ x }} "quoted"', 2, "#incident")
TOKEN = "xoxb-TOPSECRET-token"


def _no_wait(_seconds: float) -> None:
    """Backoff without waiting: the retry itself still goes over the network."""


def test_slack_post_delivers_text_with_the_bearer_token() -> None:
    with webhook_server((200, 0.0)) as server:
        hook = Webhook("chat", server.url, "slack", TOKEN, 5.0)
        delivery = post(hook, payload("slack", DRAFT, "20261130-1", "alice"), sleep=_no_wait)
    assert delivery.ok and delivery.status == 200 and delivery.attempts == 1
    [got] = server.received
    assert got.body == {"text": DRAFT.text}
    assert got.headers["Authorization"] == f"Bearer {TOKEN}"
    assert got.headers["Content-Type"] == "application/json"
    assert "SECRETPATH" not in delivery.message and TOKEN not in delivery.message
    assert delivery.journal("slack") == {"name": "chat", "format": "slack", "status": 200,
                                         "attempts": 1, "elapsed": delivery.journal(
                                             "slack")["elapsed"]}


def test_plain_json_says_what_the_message_is() -> None:
    with webhook_server() as server:
        post(Webhook("status", server.url, "json"), payload("json", DRAFT, "INC-1", "alice"))
    body = server.received[0].body
    assert body == {"template": "status-update", "incident": "INC-1", "number": 2,
                    "subject": DRAFT.subject, "text": DRAFT.text, "sent_by": "alice"}
    assert "Authorization" not in server.received[0].headers


def test_a_500_is_retried_and_the_second_attempt_delivers() -> None:
    waits: list[float] = []
    with webhook_server((500, 0.0), (200, 0.0)) as server:
        delivery = post(Webhook("chat", server.url, "slack"), {"text": "x"}, sleep=waits.append)
    assert delivery.ok and delivery.attempts == 2 and len(server.received) == 2
    assert waits == [0.5]


def test_a_4xx_is_final_and_its_answer_is_quoted_without_the_secret_path() -> None:
    with webhook_server((403, 0.0)) as server:
        delivery = post(Webhook("chat", server.url, "slack"), {"text": "x"}, sleep=_no_wait)
    assert not delivery.ok and delivery.attempts == 1 and delivery.status == 403
    assert "HTTP 403" in delivery.message and "invalid_token" in delivery.message
    assert "SECRETPATH" not in delivery.message
    assert "the draft is kept" in delivery.message


def test_nothing_listening_fails_after_every_attempt_naming_the_webhook() -> None:
    url = f"http://127.0.0.1:{unused_port()}/hooks/SECRETPATH?token={TOKEN}"
    delivery = post(Webhook("chat", url, "slack", TOKEN, 2.0), {"text": "x"}, sleep=_no_wait)
    assert not delivery.ok and delivery.status is None and delivery.attempts == 3
    assert delivery.message.startswith("webhook chat (http://127.0.0.1:")
    assert "cannot connect" in delivery.message
    assert "SECRETPATH" not in delivery.message and TOKEN not in delivery.message


def test_a_server_slower_than_the_timeout_is_given_up_on() -> None:
    with webhook_server((200, 1.5)) as server:
        delivery = post(Webhook("chat", server.url, "slack", None, 0.3), {"text": "x"},
                        attempts=2, sleep=_no_wait)
    assert not delivery.ok and delivery.attempts == 2 and len(server.received) == 2
    assert "no answer within 0.3s" in delivery.message
    assert delivery.elapsed < 1.5  # each attempt stopped at the timeout, not the answer


def test_url_and_token_come_from_the_environment_first() -> None:
    setting = WebhookSetting("team-chat", url="https://file.example/hooks/A", format="json",
                             timeout="3s")
    env = {"ROLLBACK_WEBHOOK_TEAM_CHAT_URL": "https://env.example/hooks/B",
           "ROLLBACK_WEBHOOK_TEAM_CHAT_TOKEN": TOKEN}
    hook = resolve(setting, env)
    assert (hook.url, hook.token, hook.format, hook.timeout) == (
        "https://env.example/hooks/B", TOKEN, "json", 3.0)
    assert hook.shown == "team-chat (https://env.example/…)"
    assert TOKEN not in repr(hook) and "hooks/B" not in repr(hook)
    assert resolve(setting, {}).url == "https://file.example/hooks/A"


@pytest.mark.parametrize(("setting", "env", "says"), [
    (WebhookSetting("chat"), {}, "set url: in the settings file or ROLLBACK_WEBHOOK_CHAT_URL"),
    (WebhookSetting("chat", url="ftp://x/y"), {}, "must be http:// or https://"),
    (WebhookSetting("chat", url="https://x/y", token_env="CHAT_TOKEN"), {},
     "needs a token in CHAT_TOKEN"),
    (WebhookSetting("chat", url="https://x/y", format="xml"), {}, "format 'xml' is not one"),
])
def test_a_webhook_that_cannot_be_used_says_what_to_set(setting: WebhookSetting,
                                                        env: dict[str, str], says: str) -> None:
    with pytest.raises(WebhookError, match="webhook chat") as raised:
        resolve(setting, env)
    assert says in str(raised.value)


def test_webhooks_named_only_in_the_environment_are_offered() -> None:
    configured = [WebhookSetting("chat", url="https://x/y")]
    env = {"ROLLBACK_WEBHOOK_CHAT_URL": "https://a/b", "ROLLBACK_WEBHOOK_STATUS_URL": "https://c",
           "ROLLBACK_WEBHOOK_STATUS_FORMAT": "JSON", "ROLLBACK_WEBHOOK_EMPTY_URL": ""}
    found = available(configured, env)
    assert [(w.name, w.format) for w in found] == [("chat", "slack"), ("status", "json")]
    assert find("status", found).format == "json"
    with pytest.raises(WebhookError, match=r"no webhook 'pager' \(webhooks: chat, status\)"):
        find("pager", found)


def test_mask_url_keeps_scheme_host_and_port_only() -> None:
    assert mask_url("https://u:p@hooks.slack.com/services/T/B/X?x=1") == \
        "https://hooks.slack.com/…"
    assert mask_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert json.dumps(mask_url("https://h/")) == '"https://h"'


def test_webhooks_are_read_from_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("webhooks:\n  - name: team-chat\n    url: https://hooks.example/T/B/X\n"
                    "  - name: status\n    format: json\n    token_env: STATUS_TOKEN\n"
                    "    timeout: 3s\n")
    assert load_settings(path).webhooks == (
        WebhookSetting("team-chat", url="https://hooks.example/T/B/X"),
        WebhookSetting("status", format="json", token_env="STATUS_TOKEN", timeout="3s"))


def test_webhook_settings_problems_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("webhooks:\n  - name: chat\n    format: xml\n  - name: chat\n"
                    "  - url: https://x/y\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    message = str(raised.value)
    assert f"{path}:3:" in message and "xml" in message
    assert f"{path}:4:" in message and "webhook name 'chat' is used twice" in message
    assert f"{path}:5:5: missing required key 'name' in a webhook" in message


def test_with_no_name_the_only_webhook_is_taken() -> None:
    one = [WebhookSetting("chat", url="https://x/y")]
    assert find("", one) is one[0]
    with pytest.raises(WebhookError, match=r"say which webhook to send to \(webhooks: a, b\)"):
        find("", [WebhookSetting("a"), WebhookSetting("b")])
