"""Real kubectl against the drill: who am I, what may I do, and the OpenAPI documents.

`auth whoami` and `auth can-i --list` (SelfSubjectReview, SelfSubjectRulesReview, posted as
protobuf) and the OpenAPI v2/v3 documents that `apply`, `create -f`, `explain`, server-side
apply and `--dry-run=server` need.
"""

from __future__ import annotations

import re

from test_drill_kubectl import table


def test_auth_whoami_names_the_drill_user(drill, kubectl) -> None:
    _, info = drill("bad-release")
    result = kubectl(info, "auth", "whoami")
    assert result.returncode == 0, result.stderr
    rows = {r["ATTRIBUTE"]: r["VALUE"] for r in table(result.stdout)}
    assert rows == {"Username": "drill-user", "Groups": "[system:authenticated]"}


def test_auth_can_i_list_allows_everything_without_faults(drill, kubectl) -> None:
    _, info = drill("bad-release")
    result = kubectl(info, "auth", "can-i", "--list")
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert {"Resources": "*.*", "Non-Resource URLs": "[]", "Resource Names": "[]",
            "Verbs": "[*]"} in rows


def test_auth_can_i_list_agrees_with_can_i_under_a_deny_fault(drill, kubectl) -> None:
    _, info = drill("bad-release", faults=["deny=patch:deployments"])
    result = kubectl(info, "auth", "can-i", "--list", "-n", "production")
    assert result.returncode == 0, result.stderr
    rows = {r["Resources"]: r["Verbs"] for r in table(result.stdout) if r["Resources"]}
    assert "*.*" not in rows
    verbs = set(re.findall(r"\w+", rows["deployments.apps"]))
    assert verbs == {"create", "delete", "deletecollection", "get", "list", "update", "watch"}
    assert "patch" in rows["pods"] and "patch" in rows["services"]
    assert "patch" not in rows["deployments.apps/scale"]
    for verb, expected in (("patch", "no"), ("get", "yes")):
        answer = kubectl(info, "auth", "can-i", verb, "deployments", "-n", "production")
        assert answer.stdout.split()[0] == expected, (verb, answer.stdout, answer.stderr)
