"""5,000 pods in one namespace: kubectl and the raw client path still work."""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import drill_auth


@pytest.mark.slow
def test_kubectl_get_pods_with_5000_pods(drill, kubectl) -> None:
    _cluster, info = drill("scale-5000", speed=20)
    result = kubectl(info, "get", "pods", "-n", "production", timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(lines) == 5001
    assert all(line.split()[1] == "1/1" and line.split()[2] == "Running" for line in lines[1:])
    request = urllib.request.Request(f"{info.api}/api/v1/namespaces/production/pods?limit=1000",
                                     headers=drill_auth(info))
    with urllib.request.urlopen(request, timeout=30) as response:
        page = json.loads(response.read())
    assert len(page["items"]) == 1000
    assert page["metadata"]["remainingItemCount"] == 4000 and page["metadata"]["continue"]
