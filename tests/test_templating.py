"""Safe parameter substitution, durations, and a runbook's parameters and permissions."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import REPO
from hypothesis import given
from hypothesis import strategies as st

from tui.domain.durations import DURATION_PATTERN, parse_duration
from tui.domain.runbook import (
    Parameter,
    Runbook,
    Step,
    render_args,
    step_argv,
    step_display,
    validate_runbook,
)
from tui.domain.templating import (
    TemplateError,
    display_command,
    find_placeholders,
    render,
    render_argv,
)

REVERT = REPO / "runbooks" / "revert-deployment.yaml"

# ---------------------------------------------------------------------------------------------
# render_argv: a value is exactly one argument, never shell syntax

HOSTILE_VALUES = [
    "two words",
    "  padded  ",
    "it's",
    '"double"',
    "'single'",
    "a;rm -rf /",
    "x && reboot",
    "x | tee /etc/passwd",
    "> /tmp/out",
    "$(reboot)",
    "${HOME}",
    "`id`",
    "line one\nline two",
    "tab\there",
    "*",
    "/etc/*.conf",
    "~root",
    "#not-a-comment",
    "back\\slash",
    "{{ other }}",
    "",
    "é — 日本",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_value_stays_exactly_one_argument(value: str) -> None:
    argv = render_argv("kubectl get pods -n {{ ns }} -o yaml", {"ns": value, "other": "NO"})
    assert argv == ["kubectl", "get", "pods", "-n", value, "-o", "yaml"]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_value_inside_a_word_stays_inside_that_word(value: str) -> None:
    argv = render_argv("kubectl rollout undo deployment/{{ d }} --to-revision={{ r }}",
                       {"d": value, "r": "3"})
    assert argv == ["kubectl", "rollout", "undo", f"deployment/{value}", "--to-revision=3"]


@pytest.mark.parametrize("template", ["echo '{{ v }}'", 'echo "{{ v }}"', "echo {{v}}"])
def test_quoting_or_spacing_of_the_placeholder_does_not_matter(template: str) -> None:
    assert render_argv(template, {"v": "a b; c"}) == ["echo", "a b; c"]


def test_placeholders_in_values_are_not_expanded_again() -> None:
    assert render_argv("echo {{ a }} {{ b }}", {"a": "{{ b }}", "b": "secret"}) == [
        "echo", "{{ b }}", "secret"]


def test_template_syntax_is_split_but_never_run() -> None:
    argv = render_argv("sh -c 'echo $HOME; ls *' # not a comment", {})
    assert argv == ["sh", "-c", "echo $HOME; ls *", "#", "not", "a", "comment"]


@pytest.mark.parametrize(("template", "values"), [
    ("kubectl get pods -n {{ ns }}", {"ns": "-A"}),
    ("kubectl get pods -n {{ ns }}", {"ns": "--all-namespaces"}),
    ("rm '{{ ns }}'", {"ns": "-rf"}),
    ('rm "{{ ns }}"', {"ns": "-rf"}),
    ("rm {{ a }}{{ ns }}", {"a": "", "ns": "-rf"}),
    ("rm {{ ns }}/tmp", {"ns": "-rf"}),
])
def test_value_starting_an_argument_with_dash_is_refused(template: str,
                                                         values: dict[str, str]) -> None:
    with pytest.raises(TemplateError, match="would start an argument with '-'"):
        render_argv(template, values)


def test_dash_is_fine_where_the_template_starts_the_word() -> None:
    assert render_argv("kubectl --namespace={{ ns }} -l app={{ app }}",
                       {"ns": "-odd", "app": "-x"}) == [
        "kubectl", "--namespace=-odd", "-l", "app=-x"]


@given(st.text().filter(lambda v: not v.startswith("-")))
def test_any_value_is_the_last_argument_unchanged(value: str) -> None:
    argv = render_argv("kubectl get pods -n {{ ns }}", {"ns": value})
    assert len(argv) == 5
    assert argv[-1] == value
    assert argv[:4] == ["kubectl", "get", "pods", "-n"]


@given(st.text(min_size=1).map(lambda v: "-" + v))
def test_any_value_with_a_leading_dash_is_refused(value: str) -> None:
    with pytest.raises(TemplateError):
        render_argv("kubectl get pods -n {{ ns }}", {"ns": value})


@pytest.mark.parametrize("render_function", [render, render_argv])
def test_missing_value_names_the_parameter(render_function) -> None:
    with pytest.raises(TemplateError, match=r"no value for parameter 'namespace'"):
        render_function("kubectl get pods -n {{ namespace }}", {"ns": "x"})


def test_unbalanced_template_quoting_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="No closing quotation"):
        render_argv("kubectl logs --since='10m", {})


def test_marker_like_text_in_the_template_is_left_alone() -> None:
    assert render_argv("echo \x010\x02", {}) == ["echo", "\x010\x02"]


def test_render_fills_plain_strings() -> None:
    assert render("{{ url }}/api?q={{ q }}", {"url": "http://h", "q": "a b"}) == (
        "http://h/api?q=a b")


# ---------------------------------------------------------------------------------------------
# display_command


@given(st.lists(st.text(), max_size=8))
def test_display_command_round_trips_through_shlex(argv: list[str]) -> None:
    assert shlex.split(display_command(argv)) == argv


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_displayed_command_pastes_back_to_the_same_argv(value: str) -> None:
    argv = render_argv("kubectl get pods -n {{ ns }}", {"ns": value})
    shown = display_command(argv)
    assert shlex.split(shown) == argv
    if value:
        assert shown.startswith("kubectl get pods -n ")


def test_display_command_quotes_only_what_needs_it() -> None:
    assert display_command(["kubectl", "get", "pods", "-n", "prod"]) == "kubectl get pods -n prod"
    assert display_command(["echo", "a b", "it's", ""]) == "echo 'a b' 'it'\"'\"'s' ''"


# ---------------------------------------------------------------------------------------------
# parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0),
    ("5m", 300.0),
    ("1h30m", 5400.0),
    ("200ms", 0.2),
    ("1.5h", 5400.0),
    ("1d", 86400.0),
    ("0s", 0.0),
    ("2m30s", 150.0),
    (" 5m ", 300.0),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [
    "", " ", "5", "m", "ms", "5 m", "-5s", "+5s", "5min", "5 minutes", "1h 30m", "1.5.h",
    ".5s", "5.s", "5M", "5S", "1e3s", "5s5", "abc", "5m,", "1h-30m",
])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like 30s, 5m, 1h30m or 200ms"):
        parse_duration(text)


def test_parse_duration_refuses_non_ascii_digits() -> None:
    assert not re.fullmatch(DURATION_PATTERN, "٥m")
    with pytest.raises(ValueError):
        parse_duration("٥m")


def test_parse_duration_refuses_overflowing_numbers() -> None:
    with pytest.raises(ValueError):
        parse_duration("9" * 400 + "s")


# ---------------------------------------------------------------------------------------------
# Runbook.resolve_parameters and secret_values


def _runbook(*parameters: Parameter) -> Runbook:
    return Runbook(id="demo", title="Demo", version="1", owner="team",
                   strategy="revert-deployment",
                   estimated_time={"best": "1m", "expected": "2m", "worst": "3m"},
                   trigger={"decision_authority": "Release manager"}, steps=(),
                   parameters=parameters)


RUNBOOK = _runbook(
    Parameter("namespace", "Namespace", default="production", required=True,
              pattern="[a-z0-9-]+"),
    Parameter("expected_version", "Version after the rollback", required=True),
    Parameter("api_token", "Feature flag API token", required=True, secret=True),
    Parameter("webhook", "Chat webhook", secret=True),
    Parameter("release", "Release", default="the current release"),
    Parameter("note", "Optional note"),
)
ENV = {"ROLLBACK_PARAM_API_TOKEN": "tok-123456"}


def test_defaults_fill_what_is_not_given() -> None:
    values = RUNBOOK.resolve_parameters({"expected_version": "2.3.9"}, ENV)
    assert values == {"namespace": "production", "expected_version": "2.3.9",
                      "api_token": "tok-123456", "release": "the current release"}


def test_given_values_override_defaults() -> None:
    values = RUNBOOK.resolve_parameters(
        {"expected_version": "2.3.9", "namespace": "staging", "note": "n"}, ENV)
    assert values["namespace"] == "staging"
    assert values["note"] == "n"


def test_missing_required_value_names_the_p_option() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({}, ENV)
    assert str(info.value) == "parameter 'expected_version' needs a value (-p expected_version=…)"


def test_missing_secret_names_the_environment_variable() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"expected_version": "2.3.9"}, {})
    assert str(info.value) == "parameter 'api_token' needs a value (set ROLLBACK_PARAM_API_TOKEN)"


def test_unknown_parameter_suggests_the_close_one() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"expected_version": "2", "namespce": "x"}, ENV)
    assert str(info.value) == "unknown parameter 'namespce' — did you mean 'namespace'?"


def test_unknown_parameter_without_a_close_one() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"expected_version": "2", "zzz": "x"}, ENV)
    assert str(info.value) == "unknown parameter 'zzz'"


@pytest.mark.parametrize("value", ["Production", "prod uction", "prod\n", ""])
def test_value_must_match_the_whole_pattern(value: str) -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"expected_version": "2", "namespace": value}, ENV)
    assert str(info.value) == "parameter 'namespace' does not match [a-z0-9-]+"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"namespace": "BAD", "relase": "x"}, {})
    assert str(info.value).split("; ") == [
        "unknown parameter 'relase' — did you mean 'release'?",
        "parameter 'namespace' does not match [a-z0-9-]+",
        "parameter 'expected_version' needs a value (-p expected_version=…)",
        "parameter 'api_token' needs a value (set ROLLBACK_PARAM_API_TOKEN)",
    ]


def test_secrets_come_from_the_environment_mapping() -> None:
    values = RUNBOOK.resolve_parameters(
        {"expected_version": "2"},
        {**ENV, "ROLLBACK_PARAM_WEBHOOK": "https://hooks/abc"})
    assert values["api_token"] == "tok-123456"
    assert values["webhook"] == "https://hooks/abc"


def test_a_given_secret_wins_over_the_environment() -> None:
    values = RUNBOOK.resolve_parameters({"expected_version": "2", "api_token": "given"}, ENV)
    assert values["api_token"] == "given"


def test_the_environment_is_not_read_for_plain_parameters() -> None:
    with pytest.raises(ValueError, match="expected_version"):
        RUNBOOK.resolve_parameters({}, {**ENV, "ROLLBACK_PARAM_EXPECTED_VERSION": "2"})


def test_environment_is_optional() -> None:
    runbook = _runbook(Parameter("namespace", "Namespace", default="production"))
    assert runbook.resolve_parameters({}) == {"namespace": "production"}


def test_an_empty_value_does_not_satisfy_required() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"expected_version": ""}, ENV)
    assert str(info.value) == "parameter 'expected_version' needs a value (-p expected_version=…)"


def test_an_empty_secret_in_the_environment_does_not_satisfy_required() -> None:
    with pytest.raises(ValueError) as info:
        RUNBOOK.resolve_parameters({"expected_version": "2"}, {"ROLLBACK_PARAM_API_TOKEN": ""})
    assert str(info.value) == "parameter 'api_token' needs a value (set ROLLBACK_PARAM_API_TOKEN)"


def test_an_empty_value_is_fine_for_an_optional_parameter() -> None:
    values = RUNBOOK.resolve_parameters({"expected_version": "2", "note": ""}, ENV)
    assert values["note"] == ""


def test_without_an_environ_mapping_secrets_come_from_the_process_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLBACK_PARAM_API_TOKEN", "from-os-environ")
    monkeypatch.delenv("ROLLBACK_PARAM_WEBHOOK", raising=False)
    values = RUNBOOK.resolve_parameters({"expected_version": "2"})
    assert values["api_token"] == "from-os-environ"
    assert "webhook" not in values
    with pytest.raises(ValueError, match="ROLLBACK_PARAM_API_TOKEN"):
        RUNBOOK.resolve_parameters({"expected_version": "2"}, {})  # an explicit mapping wins


def test_a_backtracking_pattern_does_not_hang_resolve_parameters() -> None:
    runbook = _runbook(Parameter("name", "Name", pattern="([a-z]+)*[0-9]"))
    with pytest.raises(ValueError, match="does not match"):
        runbook.resolve_parameters({"name": "a" * 5000}, {})
    assert runbook.resolve_parameters({"name": "abc1"}, {}) == {"name": "abc1"}


def test_secret_values_are_only_the_secrets() -> None:
    values = RUNBOOK.resolve_parameters(
        {"expected_version": "2"}, {**ENV, "ROLLBACK_PARAM_WEBHOOK": "https://hooks/abc"})
    assert RUNBOOK.secret_values(values) == ("tok-123456", "https://hooks/abc")
    assert RUNBOOK.secret_values({"namespace": "production"}) == ()


# ---------------------------------------------------------------------------------------------
# revert-deployment: actions, permissions, parameters, rendered commands


@pytest.fixture(scope="module")
def revert() -> Runbook:
    result = validate_runbook(REVERT.read_bytes(), "runbooks/revert-deployment.yaml")
    assert result.messages() == []
    assert result.runbook is not None
    return result.runbook


def test_revert_deployment_actions_in_first_use_order(revert: Runbook) -> None:
    assert revert.actions_used() == (
        "manual", "k8s.rbac_check", "k8s.snapshot", "http.request", "k8s.rollout_history",
        "k8s.rollout_undo", "k8s.rollout_status", "http.check", "prom.check")


def test_revert_deployment_permissions(revert: Runbook) -> None:
    assert [p.label() for p in revert.permissions()] == [
        "create selfsubjectaccessreviews.authorization.k8s.io",
        "get deployments.apps",
        "list replicasets.apps",
        "list pods",
        "list services",
        "list events",
        "patch deployments.apps",
        "watch deployments.apps",
    ]


def test_revert_deployment_parameters(revert: Runbook) -> None:
    with pytest.raises(ValueError) as info:
        revert.resolve_parameters({})
    assert str(info.value) == "parameter 'expected_version' needs a value (-p expected_version=…)"
    values = revert.resolve_parameters({"expected_version": "2.3.9"})
    assert values["namespace"] == "production"
    assert values["to_revision"] == "0"
    assert revert.secret_values(values) == ()
    with pytest.raises(ValueError, match="parameter 'to_revision' does not match"):
        revert.resolve_parameters({"expected_version": "2.3.9", "to_revision": "latest"})


def test_revert_deployment_commands_render_safely(revert: Runbook) -> None:
    values = revert.resolve_parameters({"expected_version": "2.3.9"})
    values["deployment"] = "check out"  # past the pattern, a value still cannot split a word
    undo = next(s for s in revert.steps if s.id == "rollout_undo")
    assert step_argv(undo, values) == [
        "kubectl", "rollout", "undo", "deployment/check out", "--to-revision=0", "-n",
        "production"]
    assert step_display(undo, values) == (
        "kubectl rollout undo 'deployment/check out' --to-revision=0 -n production")
    for step in revert.steps:
        argv = step_argv(step, values)
        assert argv is None or all("{{" not in word for word in argv), step.id


@given(st.from_regex(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", fullmatch=True))
def test_revert_deployment_namespace_is_one_argument_in_every_command(revert: Runbook,
                                                                     namespace: str) -> None:
    values = revert.resolve_parameters({"expected_version": "2", "namespace": namespace})
    checked = 0
    for step in revert.steps:
        argv = step_argv(step, values)
        if argv and "-n" in argv:
            assert argv[argv.index("-n") + 1] == namespace, step.id
            checked += 1
    assert checked >= 5


# ---------------------------------------------------------------------------------------------
# Malformed placeholders, markers, mapping keys, masked secrets


@pytest.mark.parametrize("template", [
    "kubectl get pods -n {{ namespace",
    "echo {{ name-space }}",
    "echo {{}}",
    "echo {{ a\n}}",
])
@pytest.mark.parametrize("render_function", [render, render_argv])
def test_malformed_placeholders_are_refused(render_function, template: str) -> None:
    with pytest.raises(TemplateError, match="malformed placeholder"):
        render_function(template, {"namespace": "prod", "a": "x"})


def test_unclosed_placeholder_is_found_with_its_text() -> None:
    found = find_placeholders("Set the flag to {{ on\nfor {{ release }}")
    assert [(p.describe(), p.valid, p.offset) for p in found] == [
        ("{{ on: no closing }}", False, 16), ("{{release}}", True, 26)]


@pytest.mark.parametrize("template", ["echo \ue000 {{ v }} \ue001", "echo \ue0000\ue001 {{ v }}"])
def test_marker_characters_in_the_template_are_left_alone(template: str) -> None:
    words = template.replace("{{ v }}", "X").split()
    assert render_argv(template, {"v": "X"}) == words


def test_placeholders_are_found_in_linear_time() -> None:
    text = "{{ x }} " * 100_000 + "{{ y"
    found = find_placeholders(text)
    assert len(found) == 100_001
    assert not found[-1].closed


def test_render_args_fills_mapping_keys() -> None:
    args = {"data": {"{{ flag }}": "false", "fixed": "{{ flag }}"}, "list": ["{{ flag }}"]}
    assert render_args(args, {"flag": "checkout_v2"}) == {
        "data": {"checkout_v2": "false", "fixed": "checkout_v2"}, "list": ["checkout_v2"]}


def test_render_args_refuses_keys_that_collide_once_filled() -> None:
    with pytest.raises(TemplateError, match="two keys become 'x'"):
        render_args({"{{ a }}": "1", "{{ b }}": "2"}, {"a": "x", "b": "x"})


SECRET_STEP = Step(id="call", title="Call", action="shell", args={},
                   command="curl -H 'Authorization: Bearer {{ token }}' {{ url }}")


def test_step_display_masks_secret_values() -> None:
    values = {"token": "tok-123456", "url": "https://flags/api"}
    assert step_display(SECRET_STEP, values) == (
        "curl -H 'Authorization: Bearer tok-123456' https://flags/api")
    shown = step_display(SECRET_STEP, values, secret_names=("token",))
    assert shown == "curl -H 'Authorization: Bearer ***' https://flags/api"
    assert "tok-123456" not in shown


def test_runbook_step_display_masks_its_secret_parameters() -> None:
    runbook = _runbook(Parameter("token", "API token", secret=True),
                       Parameter("url", "URL", default="https://flags/api"))
    values = {"token": "tok-123456", "url": "https://flags/api"}
    assert runbook.step_display(SECRET_STEP, values) == (
        "curl -H 'Authorization: Bearer ***' https://flags/api")
    assert "tok-123456" in (runbook.step_display(SECRET_STEP, values, mask_secrets=False) or "")


def test_masked_display_still_fails_as_the_real_command_would() -> None:
    step = Step(id="s", title="S", action="shell", args={}, command="tool {{ token }}")
    with pytest.raises(TemplateError, match="would start an argument with '-'"):
        step_display(step, {"token": "-x"}, secret_names=("token",))


def test_runbook_text_shows_secret_parameters_masked_in_commands() -> None:
    from tui.domain.runbook_text import render_runbook

    runbook = Runbook(
        id="demo", title="Demo", version="1", owner="team", strategy="feature-flag-disable",
        estimated_time={"best": "1m", "expected": "2m", "worst": "3m"},
        trigger={"decision_authority": "Release manager"}, steps=(SECRET_STEP,),
        parameters=(Parameter("token", "API token", secret=True),
                    Parameter("url", "URL", default="https://flags/api")))
    text = render_runbook(runbook, {"token": "tok-123456"})
    assert "$ curl -H 'Authorization: Bearer ***' https://flags/api" in text
    assert "tok-123456" not in text
