"""A watch resumed far back in the log sees old versions exactly, though only their bytes are kept."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from conftest import drill_auth

import tui.drill.store as store_module


def _patch_labels(info: Any, name: str, labels: dict[str, str]) -> None:
    request = urllib.request.Request(
        f"{info.api}/api/v1/namespaces/production/pods/{name}", method="PATCH",
        data=json.dumps({"metadata": {"labels": labels}}).encode(),
        headers={"Content-Type": "application/merge-patch+json", **drill_auth(info)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _watch(info: Any, since: int, selector: str) -> list[dict[str, Any]]:
    url = (f"{info.api}/api/v1/namespaces/production/pods?watch=true&resourceVersion={since}"
           f"&labelSelector={selector}&timeoutSeconds=1")
    request = urllib.request.Request(url, headers=drill_auth(info))
    with urllib.request.urlopen(request, timeout=10) as response:
        return [json.loads(line) for line in response.read().splitlines() if line.strip()]


def test_an_old_resource_version_replays_shed_versions_and_selector_exits(
        drill, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "DECODED_EVENTS", 2)  # shed all but the newest two
    cluster, info = drill("bad-flag")  # healthy pods: nothing else changes them meanwhile
    since = cluster.store.resource_version
    pod = min(p["metadata"]["name"] for p in cluster.store.values("pods", "production"))
    _patch_labels(info, pod, {"app": "elsewhere"})
    _patch_labels(info, pod, {"app": "checkout", "drill": "back"})
    for n in range(5):  # newer events push the relabelling out of the decoded window
        _patch_labels(info, pod, {"round": str(n)})
    time.sleep(0.3)
    shed = [e for e in cluster.store.events_after(since) or [] if e.entry._obj is None]
    assert shed, "the relabelling events should keep only their bytes by now"

    mine = [e for e in _watch(info, since, "app%3Dcheckout")
            if e["object"]["metadata"]["name"] == pod]
    kinds = [e["type"] for e in mine]
    assert kinds[:2] == ["DELETED", "ADDED"], kinds
    left, back = mine[0]["object"], mine[1]["object"]
    # Leaving the selector is told with the last matching state, at the leaving version.
    assert left["metadata"]["labels"]["app"] == "checkout"
    assert int(left["metadata"]["resourceVersion"]) > since
    assert back["metadata"]["labels"]["drill"] == "back"
    assert [e["object"]["metadata"]["labels"].get("round") for e in mine[2:7]] == [
        "0", "1", "2", "3", "4"]
