"""Label and field selectors of the drill cluster: the API server's syntax, matching and errors."""

from __future__ import annotations

import pytest

from tui.drill.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    format_label_selector,
    parse_field_selector,
    parse_label_selector,
    selector_from_spec,
)

LABELS = {"app": "checkout", "tier": "web", "app.kubernetes.io/name": "checkout", "rank": "7"}

# --- label selector syntax ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", True),
    ("app=checkout", True),
    ("app==checkout", True),
    ("app=cart", False),
    ("app!=cart", True),
    ("app!=checkout", False),
    ("missing!=x", True),
    ("app in (cart,checkout)", True),
    ("app in (cart,search)", False),
    ("missing in (a)", False),
    ("app notin (cart,checkout)", False),
    ("app notin (cart)", True),
    ("missing notin (a)", True),
    ("tier", True),
    ("missing", False),
    ("!missing", True),
    ("!tier", False),
    ("app.kubernetes.io/name=checkout", True),
    ("rank>5", True),
    ("rank>7", False),
    ("rank<8", True),
    ("app>1", False),
    ("app=checkout,tier=web", True),
    ("app=checkout,tier=db", False),
    ("  app = checkout ,\ttier in ( web , db ) , !missing  ", True),
    ("tier in(web)", True),
    ("missing=", False),
])
def test_label_selector_matches_like_the_api_server(text: str, expected: bool) -> None:
    assert parse_label_selector(text).matches(LABELS) is expected


def test_empty_selector_selects_everything_even_unlabelled_objects() -> None:
    selector = parse_label_selector("")
    assert selector.empty
    assert selector.matches(None)
    assert selector.matches({})
    assert str(selector) == ""


def test_unlabelled_objects_match_only_negative_requirements() -> None:
    assert parse_label_selector("!app,app notin (x),app!=y").matches(None)
    assert not parse_label_selector("app").matches(None)


def test_empty_value_matches_an_empty_label() -> None:
    assert parse_label_selector("track=").matches({"track": ""})
    assert not parse_label_selector("track=").matches({"track": "stable"})


@pytest.mark.parametrize(("text", "values"), [
    ("x in ()", ("",)),
    ("x in (a,,b)", ("", "a", "b")),
    ("x in (,a)", ("", "a")),
    ("x in (a,)", ("", "a")),
    ("x in (b,a,b)", ("a", "b")),
    ("x in (in,notin)", ("in", "notin")),
])
def test_value_sets_follow_the_go_parser(text: str, values: tuple[str, ...]) -> None:
    (requirement,) = parse_label_selector(text).requirements
    assert requirement.values == values


def test_keywords_are_plain_identifiers_in_key_position() -> None:
    (requirement,) = parse_label_selector("in=notin").requirements
    assert (requirement.key, requirement.operator, requirement.values) == ("in", "=", ("notin",))


@pytest.mark.parametrize(("text", "rendered"), [
    ("b=2,a in (z,y)", "a in (y,z),b=2"),
    ("x==1", "x==1"),
    ("!x,y,z!=3", "!x,y,z!=3"),
    ("a notin ( q , p )", "a notin (p,q)"),
    ("n>4,m<2", "m<2,n>4"),
])
def test_selectors_render_sorted_by_key_like_go(text: str, rendered: str) -> None:
    assert str(parse_label_selector(text)) == rendered
    assert str(parse_label_selector(rendered)) == rendered


NAME_RULE = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
             "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
             "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
VALUE_RULE = ("a valid label must be an empty string or consist of alphanumeric characters, "
              "'-', '_' or '.', and must start and end with an alphanumeric character "
              "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
              "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


@pytest.mark.parametrize(("text", "message"), [
    ("app:monolith",
     'unable to parse requirement: <nil>: Invalid value: "app:monolith": name part ' + NAME_RULE),
    ("a/b/c ?=? def",
     'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ' + NAME_RULE
     + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
    ("x=a||y=b",
     'unable to parse requirement: values[0][x]: Invalid value: "a||y": ' + VALUE_RULE),
    ("x==a==b", "found '==', expected: ',' or 'end of string'"),
    ("!x=a", "found '=', expected: ',' or 'end of string'"),
    ("x=a,", "found '', expected: identifier after ','"),
    (",x", "found ',', expected: !, identifier, or 'end of string'"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"),
    ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("x in (a,,)", "unable to parse requirement: found ')', expected: ',', or identifier"),
    ("x in a", "unable to parse requirement: found 'a' expected: '('"),
    ("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
    ("x=(a)", "unable to parse requirement: found '(', expected: identifier"),
    ("x<a", ("unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
            "operators, the value must be an integer")),
    ("x=" + "a" * 64, 'unable to parse requirement: values[0][x]: Invalid value: "' + "a" * 64
     + '": must be no more than 63 characters'),
])
def test_invalid_label_selectors_give_the_api_servers_message(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_label_selector(text)
    assert str(caught.value) == message


def test_prefix_must_be_a_dns_subdomain() -> None:
    with pytest.raises(SelectorError) as caught:
        parse_label_selector("app.kubernetes_io/name=vault")
    assert str(caught.value).startswith(
        'unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part '
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters")


@pytest.mark.parametrize("text", ["x=" + "a" * 64, "k" * 64 + "=v", "/x", "x/"])
def test_length_and_empty_parts_are_validated(text: str) -> None:
    with pytest.raises(SelectorError, match="must be no more than 63 characters|must be non-empty"):
        parse_label_selector(text)


def test_63_character_keys_and_values_are_fine() -> None:
    assert parse_label_selector("k" * 63 + "=" + "v" * 63).matches({"k" * 63: "v" * 63})


def test_selector_error_is_a_value_error() -> None:
    assert issubclass(SelectorError, ValueError)


# --- LabelSelector objects (Deployment/ReplicaSet spec.selector) --------------------------------

SPEC = {"matchLabels": {"app": "checkout", "track": "stable"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]},
                             {"key": "env", "operator": "NotIn", "values": ["dev"]},
                             {"key": "team", "operator": "Exists"},
                             {"key": "canary", "operator": "DoesNotExist"}]}


def test_selector_from_spec_ands_labels_and_expressions() -> None:
    selector = selector_from_spec(SPEC)
    labels = {"app": "checkout", "track": "stable", "tier": "api", "team": "pay"}
    assert selector.matches(labels)
    for change in ({"tier": "db"}, {"env": "dev"}, {"canary": "yes"}, {"track": "canary"}):
        assert not selector.matches(labels | change)
    assert not selector.matches({k: v for k, v in labels.items() if k != "team"})


def test_format_label_selector_renders_what_kubectl_sends() -> None:
    assert format_label_selector({"matchLabels": {"app": "checkout"}}) == "app=checkout"
    assert format_label_selector(SPEC) == (
        "app=checkout,!canary,env notin (dev),team,tier in (api,web),track=stable")


def test_formatted_selector_parses_back_to_the_same_selection() -> None:
    parsed = parse_label_selector(format_label_selector(SPEC))
    assert parsed == selector_from_spec(SPEC)
    samples = [{}, {"app": "checkout", "track": "stable", "tier": "web", "team": "x"},
               {"app": "checkout", "track": "stable", "tier": "web", "team": "x", "env": "dev"}]
    assert [parsed.matches(s) for s in samples] == [False, True, False]


def test_nil_selector_selects_nothing_and_empty_selects_everything() -> None:
    assert selector_from_spec(None) == LabelSelector(nothing=True)
    assert not selector_from_spec(None).matches({"app": "x"})
    assert format_label_selector(None) == ""
    assert selector_from_spec({}).matches({"app": "x"})
    assert selector_from_spec({"matchLabels": {}, "matchExpressions": []}).empty


@pytest.mark.parametrize(("spec", "message"), [
    ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
     '"Gt" is not a valid label selector operator'),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
     ("values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be "
     "empty")),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
     ('values: Invalid value: []string{"x"}: values set must be empty for exists and does not '
     "exist")),
    ({"matchLabels": {"bad key": "x"}}, 'key: Invalid value: "bad key": name part ' + NAME_RULE),
])
def test_invalid_selector_objects_are_rejected(spec: dict, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        selector_from_spec(spec)
    assert str(caught.value) == message


# --- field selectors ----------------------------------------------------------------------------

POD = {"metadata": {"name": "checkout-7d4b9-x2x8q", "namespace": "shop"},
       "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
       "status": {"phase": "Running", "podIPs": [{"ip": "10.1.0.7"}]}}
EVENT = {"metadata": {"name": "checkout.1", "namespace": "shop"},
         "involvedObject": {"kind": "Deployment", "name": "checkout", "namespace": "shop",
                            "uid": "u-1", "apiVersion": "apps/v1"},
         "reason": "ScalingReplicaSet", "type": "Normal",
         "source": {"component": "deployment-controller"}}


@pytest.mark.parametrize(("text", "expected"), [
    ("", True),
    ("status.phase=Running", True),
    ("status.phase==Running", True),
    ("status.phase!=Running", False),
    ("status.phase=Pending", False),
    ("metadata.name=checkout-7d4b9-x2x8q,metadata.namespace=shop", True),
    ("metadata.namespace=shop,spec.nodeName!=node-1", False),
    ("spec.restartPolicy=Always", True),
    ("status.podIP=10.1.0.7", True),
    ("spec.hostNetwork=false", True),
    ("status.nominatedNodeName=", True),
    ("spec.host=node-1", True),
])
def test_pod_field_selectors(text: str, expected: bool) -> None:
    assert parse_field_selector(text, "Pod").matches(POD) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("involvedObject.name=checkout,involvedObject.kind=Deployment", True),
    ("involvedObject.name=checkout,involvedObject.kind=ReplicaSet", False),
    ("involvedObject.namespace=shop,involvedObject.uid=u-1", True),
    ("involvedObject.apiVersion=apps/v1", True),
    ("involvedObject.fieldPath=", True),
    ("involvedObject.resourceVersion!=", False),
    ("reason=ScalingReplicaSet,type=Normal", True),
    ("type=Warning", False),
    ("source=deployment-controller", True),
    ("reportingComponent=", True),
])
def test_event_field_selectors(text: str, expected: bool) -> None:
    assert parse_field_selector(text, "Event").matches(EVENT) is expected


def test_event_source_falls_back_to_reporting_component() -> None:
    event = {"reportingComponent": "kubelet", "source": {}}
    assert parse_field_selector("source=kubelet", "Event").matches(event)
    assert parse_field_selector("reportingComponent=kubelet", "Event").matches(event)


def test_pod_ip_comes_from_pod_ip_or_the_first_of_pod_ips() -> None:
    assert parse_field_selector("status.podIP=10.1.0.9", "Pod").matches(
        {"status": {"podIP": "10.1.0.9"}})
    assert parse_field_selector("status.podIP=", "Pod").matches({"status": {}})


def test_missing_fields_read_as_empty_string() -> None:
    selector = parse_field_selector("spec.nodeName=", "Pod")
    assert selector.matches({"metadata": {"name": "p"}})
    assert not parse_field_selector("spec.nodeName!=", "Pod").matches({})


@pytest.mark.parametrize(("text", "value"), [
    (r"metadata.name=a\,b", "a,b"),
    (r"metadata.name=a\=b", "a=b"),
    (r"metadata.name=a\\b", "a\\b"),
    (r"metadata.name=\\\,\=", "\\,="),
])
def test_field_values_unescape_like_the_api_server(text: str, value: str) -> None:
    selector = parse_field_selector(text, "ConfigMap")
    assert selector.matches({"metadata": {"name": value}})
    assert not selector.matches({"metadata": {"name": text.split("=", 1)[1]}})
    assert parse_field_selector(str(selector), "ConfigMap") == selector


def test_escaped_comma_does_not_split_terms() -> None:
    selector = parse_field_selector(r"metadata.name=x\,y,metadata.namespace=z", "ConfigMap")
    assert [(t.field, t.value) for t in selector.terms] == [("metadata.name", "x,y"),
                                                           ("metadata.namespace", "z")]


@pytest.mark.parametrize(("text", "kind", "message"), [
    ("spec.foo=x", "Pod", "field label not supported: spec.foo"),
    ("involvedObject.foo=x", "Event", "field label not supported: involvedObject.foo"),
    ("metadata.namespace=x", "Namespace", "field label not supported: metadata.namespace"),
    ("metadata.name=a,status.replicas=1", "Deployment",
     ('"status.replicas" is not a known field selector: only "metadata.name", '
     '"metadata.namespace"')),
    ("spec.type=x", "ConfigMap",
     '"spec.type" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ("status.phase", "Pod", "invalid selector: 'status.phase'; can't understand 'status.phase'"),
    ("metadata.name=a=b", "Pod", "invalid field selector: unescaped character in value: 61"),
    ("metadata.name=a,b", "Pod", "invalid selector: 'metadata.name=a,b'; can't understand 'b'"),
    (r"metadata.name=a\x", "Pod", "invalid field selector: invalid escape sequence: \\x"),
    ("metadata.name=a\\", "Pod", "invalid field selector: invalid escape sequence: \\"),
])
def test_bad_field_selectors_give_the_api_servers_message(text: str, kind: str,
                                                          message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text, kind)
    assert str(caught.value) == message


def test_other_kinds_accept_their_own_fields() -> None:
    assert parse_field_selector("spec.type=NodePort", "Service").matches(
        {"spec": {"type": "NodePort"}})
    assert parse_field_selector("status.phase=Active", "Namespace").matches(
        {"status": {"phase": "Active"}})
    assert parse_field_selector("metadata.name=checkout", "Deployment").matches(
        {"metadata": {"name": "checkout"}})


def test_spec_host_is_rewritten_to_node_name() -> None:
    selector = parse_field_selector("spec.host=node-1", "Pod")
    assert str(selector) == "spec.nodeName=node-1"


def test_empty_field_selector_matches_everything() -> None:
    selector = parse_field_selector("", "Pod")
    assert selector == FieldSelector("Pod")
    assert selector.matches({})
