"""Who the drill's user is and what it may do: SelfSubjectReview and SelfSubjectRulesReview.

The drill allows every verb on every resource unless a `deny=VERB:RESOURCE` fault forbids it;
the rules review says exactly that (`*` rules without faults, the allowed verbs of each served
resource with them), so `kubectl auth can-i --list` agrees with `kubectl auth can-i VERB RES`.
"""

from __future__ import annotations

from typing import Any

from tui.drill.discovery import REVIEWS
from tui.drill.faults import Faults
from tui.drill.resources import RESOURCES

USER = "drill-user"
GROUPS = ["system:authenticated"]
SUBRESOURCE_VERBS = ("get", "patch", "update")


def self_subject_review() -> dict[str, Any]:
    """`kubectl auth whoami`: the drill's one user."""
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
            "metadata": {"creationTimestamp": None},
            "status": {"userInfo": {"username": USER, "groups": list(GROUPS)}}}


def _resource_rules(faults: Faults) -> list[dict[str, Any]]:
    if not faults.deny:
        return [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    rules: list[dict[str, Any]] = []
    for res in RESOURCES.values():
        names = [(res.name, res.verbs)]
        names += [(f"{res.name}/{sub}", ("get",) if sub == "log" else SUBRESOURCE_VERBS)
                  for sub in res.subresources]
        for name, verbs in names:
            allowed = [v for v in verbs if not faults.denied(v, name)
                       and not faults.denied(v, res.name)]
            if allowed:
                rules.append({"verbs": allowed, "apiGroups": [res.group], "resources": [name]})
    for group, reviews in REVIEWS.items():
        for name, _ in reviews:
            if not faults.denied("create", name):
                rules.append({"verbs": ["create"], "apiGroups": [group], "resources": [name]})
    return rules


def rules_review(faults: Faults, review: dict[str, Any]) -> dict[str, Any]:
    """`kubectl auth can-i --list`: the rules in force in the review's namespace."""
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
            "metadata": {"creationTimestamp": None},
            "spec": {"namespace": (review.get("spec") or {}).get("namespace", "")},
            "status": {"resourceRules": _resource_rules(faults),
                       "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                       "incomplete": False}}
