"""The guided TUI end to end with Pilot against the drill cluster over real HTTP: assess →
decide → execute → verify → closed, checked against the cluster and the journal event by event.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import REPO
from test_run_headless import (
    SPEED,
    _params,
    assert_secret_absent,
    image,
    jsonpath,
    revisions,
    served_version,
)
from tui_driver import assess, decide, execute, verify_and_close

from tui.app.application import AppContext, create_app
from tui.app.config import Settings
from tui.app.launch import Opener
from tui.app.paths import resolve_paths


def _app(info: Any, runbook_id: str, environ: dict[str, str] | None = None) -> Any:
    opener = Opener(resolve_paths(), Settings(actor="alice@drill"),
                    environ={"PATH": "/usr/bin:/bin", **(environ or {})})
    session = opener.new(REPO / "runbooks" / f"{runbook_id}.yaml", _params(info, runbook_id,
                                                                           None),
                         kubeconfig=info.kubeconfig, context="drill", time_scale=SPEED)
    app = create_app(AppContext(paths=opener.paths, session=session, opener=opener))
    opener.app = app
    return app


def _journal(app: Any) -> list[dict[str, Any]]:
    path = app.session.folder / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _types(journal: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in journal]


@pytest.mark.slow
async def test_bad_release_from_assessment_to_success(drill, kubectl, rollback_home: Path
                                                      ) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    app = _app(info, "revert-deployment")
    async with app.run_test(size=(120, 40)) as pilot:
        await assess(pilot)
        await decide(pilot)
        await execute(pilot)
        status = await verify_and_close(pilot)
    assert status == "SUCCESS"
    assert revisions(kubectl, info) == [1, 3, 4]
    assert image(kubectl, info).endswith(":2.3.1") and served_version(info) == "2.3.1"
    journal = _journal(app)
    kinds = _types(journal)
    # Event by event: opened, assessed, decided (with the meeting), connected, target frozen,
    # baselines frozen, each step journaled before and after, checks, resolved.
    assert kinds[0] == "incident.opened"
    assert kinds.index("assessment.recorded") < kinds.index("decision.recorded") < \
        kinds.index("target.resolved") < kinds.index("baselines.frozen") < \
        kinds.index("step.started")
    assessment = next(e["data"] for e in journal if e["type"] == "assessment.recorded")
    assert assessment["inputs"]["severity"] == "P1" and assessment["impact_score"] == 100
    assert assessment["recommendation"]["decision"] == "ROLLBACK"
    decision = next(e["data"] for e in journal if e["type"] == "decision.recorded")
    assert decision["authorized_by"] == "Dana (release manager)"
    assert decision["meeting_seconds"] >= 0 and decision["strategy"] == "revert-deployment"
    for step in app.session.runbook.steps:
        started = [i for i, e in enumerate(journal) if e["type"] == "step.started"
                   and e["data"]["step_id"] == step.id]
        ended = [i for i, e in enumerate(journal) if e["type"] == "step.finished"
                 and e["data"]["step_id"] == step.id]
        assert started and ended and started[0] < ended[-1], step.id
    confirmed = [e["data"] for e in journal if e["type"] == "confirmation.answered"]
    assert confirmed == [{"step_id": "rollout_undo", "question": confirmed[0]["question"],
                          "answer": True, "typed": True, "rerun": False}]
    undo = next(e for e in journal if e["type"] == "step.started"
                and e["data"]["step_id"] == "rollout_undo")
    assert undo["data"]["confirmed_by"] == "alice@drill" and undo["actor"] == "alice@drill"
    resolved = next(e["data"] for e in journal if e["type"] == "incident.resolved")
    assert resolved["status"] == "SUCCESS" and resolved["verified_by"] == "alice@drill"
    assert kinds[-1] == "incident.resolved"


@pytest.mark.slow
async def test_blue_green_switchback_in_the_tui(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("blue-green", speed=SPEED)
    app = _app(info, "blue-green-switchback")
    async with app.run_test(size=(120, 40)) as pilot:
        await assess(pilot)
        await decide(pilot)
        await execute(pilot)
        status = await verify_and_close(pilot)
    assert status == "SUCCESS"
    assert jsonpath(kubectl, info, "service/checkout", "{.spec.selector.version}") == "blue"
    assert served_version(info) == "2.3.1"
    switch = next(e["data"] for e in _journal(app) if e["type"] == "step.finished"
                  and e["data"]["step_id"] == "switch_traffic")
    assert switch["status"] == "ok"
    assert switch["data"]["resulting_selector"] == {"app": "checkout", "version": "blue"}


@pytest.mark.slow
async def test_feature_flag_disable_in_the_tui(drill, kubectl, rollback_home: Path) -> None:
    _cluster, info = drill("bad-flag", speed=SPEED)
    token = "flag-token-" + secrets.token_hex(16)
    app = _app(info, "feature-flag-disable", {"ROLLBACK_PARAM_FLAG_API_TOKEN": token})
    async with app.run_test(size=(120, 40)) as pilot:
        await assess(pilot, severity="P1", users="35")
        await decide(pilot)
        await execute(pilot, skip=["disable_via_configmap", "disable_via_env"])
        status = await verify_and_close(pilot)
    assert status == "SUCCESS"
    feature = await httpx.AsyncClient().get(info.extra["params"]["feature_url"], timeout=5)
    assert feature.json()["flow"] == "old"
    skipped = next(e["data"] for e in _journal(app) if e["type"] == "step.finished"
                   and e["data"]["step_id"] == "disable_via_configmap")
    assert skipped["status"] == "skipped" and skipped["reason"] == "path A succeeded"
    assert_secret_absent(token, app.session.folder)
