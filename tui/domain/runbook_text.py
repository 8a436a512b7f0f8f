"""Plain-text rendering of a runbook for `rollback runbooks show` (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from tui.domain.redaction import mask_userinfo
from tui.domain.runbook import CheckItem, Runbook, TemplateError, render_args
from tui.domain.templating import render


def preview_values(runbook: Runbook, given: Mapping[str, str]) -> dict[str, str]:
    """Given values over defaults; anything still missing shows as `<name>`."""
    values = {p.name: p.default for p in runbook.parameters if p.default is not None}
    values.update(given)
    for param in runbook.parameters:
        if param.secret:
            values[param.name] = f"<{param.name}: secret>"
        values.setdefault(param.name, f"<{param.name}>")
    values.setdefault("incident_id", "<incident_id>")
    values.setdefault("incident_dir", "<incident_dir>")
    return values


def _safe(text: str, values: Mapping[str, str]) -> str:
    try:
        return render(text, values)
    except TemplateError:
        return text


def _items(title: str, items: tuple[CheckItem, ...]) -> list[str]:
    if not items:
        return []
    lines = ["", title]
    for item in items:
        how = f"auto: {item.check.action}" if item.check else "manual"
        lines.append(f"  [ ] {item.item}  ({item.id}, {how})")
    return lines


def _bullets(title: str, entries: object) -> list[str]:
    if not entries:
        return []
    return ["", title, *(f"  - {e}" for e in entries)]  # type: ignore[attr-defined]


def render_runbook(runbook: Runbook, given: Mapping[str, str] | None = None) -> str:
    """The runbook as an operator reads it, with parameters filled in where known."""
    values = preview_values(runbook, given or {})
    est = runbook.estimated_time
    lines = [
        f"{runbook.title}",
        (f"id {runbook.id} · version {runbook.version} · owner {runbook.owner} · "
         f"strategy {runbook.strategy}"),
        f"estimated time: best {est['best']}, expected {est['expected']}, worst {est['worst']}",
    ]
    if runbook.description:
        lines += ["", runbook.description]
    if runbook.parameters:
        lines += ["", "Parameters"]
        for p in runbook.parameters:
            flags = ", ".join(f for f, on in (("required", p.required), ("secret", p.secret)) if on)
            shown = values[p.name]
            lines.append(f"  {p.name} = {shown}" + (f"  [{flags}]" if flags else "")
                         + f"  — {p.description}")
    prereq = runbook.prerequisites
    lines += _bullets("Required access", prereq.get("access"))
    lines += _bullets("Tools", prereq.get("tools"))
    lines += _bullets("Team members", prereq.get("team"))
    lines += _bullets("Rollback trigger criteria", runbook.trigger.get("criteria"))
    lines += ["", f"Decision authority: {runbook.trigger['decision_authority']}"]
    if runbook.metrics:
        lines += ["", "Metrics"]
        for m in runbook.metrics:
            side = ">" if m.direction == "above_is_bad" else "<"
            lines.append(f"  {m.name}: bad if {side} {m.threshold} {m.unit}  "
                         f"{_safe(m.query, values)}")
    lines += _items("Pre-rollback verification", runbook.pre_rollback)
    lines += ["", "Steps"]
    for number, step in enumerate(runbook.steps, 1):
        marks = [m for m, on in (("DANGER", step.danger), ("confirm", step.needs_confirmation),
                                 ("point of no return", step.point_of_no_return)) if on]
        suffix = f"  [{', '.join(marks)}]" if marks else ""
        lines.append(f"  {number}. {step.title}  ({step.id}: {step.action}){suffix}")
        try:
            command = runbook.step_display(step, values, mask_secrets=True)
        except TemplateError as exc:
            command = f"{step.command}  ({exc})"
        if command:
            lines.append(f"     $ {command}")
        if step.action == "manual" and step.args.get("message"):
            for message_line in render_args(step.args["message"], values).splitlines():
                lines.append(f"     > {message_line}")
        for label, text in (("expected", step.expected), ("duration", step.duration),
                            ("verify", step.verification), ("if it fails", step.on_failure)):
            if text:
                lines.append(f"     {label}: {_safe(text, values)}")
    lines += _items("Post-rollback verification", runbook.verification)
    lines += _items("Rollback validation", runbook.validation)
    comms = runbook.communication
    lines += _bullets("Notify", comms.get("notify"))
    lines += _bullets("Channels", comms.get("channels"))
    if comms.get("update_every"):
        lines += [f"Status updates every {comms['update_every']}"]
    lines += _bullets("Escalation", comms.get("escalation"))
    lines += _items("Communication", tuple(comms.get("checklist", ())))
    lines += _items("Post-rollback actions", runbook.post_rollback)
    if runbook.troubleshooting:
        lines += ["", "Troubleshooting"]
        for entry in runbook.troubleshooting:
            lines += [f"  Issue: {entry['issue']}", f"  Resolution: {entry['resolution']}"]
    if runbook.contacts:
        lines += ["", "Emergency contacts"]
        lines += [f"  {c['role']}: {c['contact']}" for c in runbook.contacts]
    # A URL's password (`-p prometheus_url=http://u:pw@h`) is no less secret for being in a URL.
    return mask_userinfo("\n".join(lines) + "\n")
