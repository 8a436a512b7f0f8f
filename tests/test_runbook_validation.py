"""validate_runbook against malformed input: every problem, in one run, never an exception.

The corpus in tests/corpus/runbooks holds one malformed runbook per file (`NAME.yaml`, or
`NAME.bin` for bytes that are not text) and the exact messages expected for it in
`NAME.expected`, with the file name written as `FILE`. A `NAME.xfail` file marks a case where
the validator is known to be wrong or unhelpful today; it holds the reason, and `NAME.expected`
holds what the output should be.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from conftest import REPO, REQUIRE_REAL
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui.domain import yamlload
from tui.domain.linear_regex import LinearRegex, UnsupportedPattern
from tui.domain.runbook import ValidationResult, validate_runbook
from tui.domain.yamlload import MAX_BYTES, MAX_DEPTH

CORPUS = Path(__file__).resolve().parent / "corpus" / "runbooks"
REVERT = REPO / "runbooks" / "revert-deployment.yaml"
BUILTIN_RUNBOOKS = sorted(p for p in (REPO / "runbooks").glob("*.yaml")
                          if p.name != "prometheus-rules.yaml")
HANG_GUARD_SECONDS = 5.0

MESSAGE = re.compile(r"FILE:(\d+):(\d+): .+")
# Where PyYAML (and so every position it reports) starts a new line.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@contextmanager
def hang_guard(seconds: float = HANG_GUARD_SECONDS) -> Iterator[None]:
    """Interrupt the block with TimeoutError if it runs longer than `seconds` (not a benchmark)."""

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def positions(messages: list[str], filename: str = "FILE") -> list[tuple[int, int]]:
    """(line, col) of each message."""
    found = []
    for message in messages:
        match = re.match(rf"{re.escape(filename)}:(\d+):(\d+): ", message)
        assert match, message
        found.append((int(match[1]), int(match[2])))
    return found


# ---------------------------------------------------------------------------------------------
# The corpus


def _corpus_inputs() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".bin"))


def _corpus_params() -> Iterator[object]:
    for path in _corpus_inputs():
        reason_file = path.with_suffix(".xfail")
        marks = ([pytest.mark.xfail(strict=True, reason=reason_file.read_text().strip())]
                 if reason_file.exists() else [])
        yield pytest.param(path, id=path.stem, marks=marks)


def test_corpus_is_complete() -> None:
    inputs = _corpus_inputs()
    assert len(inputs) >= 30
    stems = [p.stem for p in inputs]
    assert len(stems) == len(set(stems)), "two inputs share a name"
    for path in inputs:
        assert path.with_suffix(".expected").is_file(), f"{path.name} has no .expected file"
    for extra in (*CORPUS.glob("*.expected"), *CORPUS.glob("*.xfail")):
        assert extra.stem in stems, f"{extra.name} has no input"


PARSERS = ["libyaml", "python"] if yaml.__with_libyaml__ else ["python"]


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with libyaml's parser (the default where PyYAML has it) and without."""
    if request.param == "python":
        monkeypatch.setattr(yamlload, "_NodeLoader", yamlload._PyNodeLoader)
    return request.param


@pytest.fixture
def require_libyaml() -> None:
    """Skip without libyaml, but fail when CI requires the real thing (ROLLBACK_REQUIRE_REAL=1)."""
    if not yaml.__with_libyaml__:
        message = "PyYAML was built without libyaml"
        if REQUIRE_REAL:
            pytest.fail(f"{message}, and ROLLBACK_REQUIRE_REAL=1 requires it")
        pytest.skip(message)


@pytest.mark.usefixtures("require_libyaml")
def test_libyaml_parser_is_used_where_available() -> None:
    assert yamlload._NodeLoader is yamlload._CNodeLoader


NO_LIBYAML_PLUGIN = """
import yaml
yaml.__with_libyaml__ = False  # as a PyYAML built without libyaml reports
"""


@pytest.mark.parametrize("require_real", ["1", ""])
def test_libyaml_tests_skip_or_fail_without_libyaml(tmp_path: Path, require_real: str) -> None:
    (tmp_path / "no_libyaml_plugin.py").write_text(NO_LIBYAML_PLUGIN)
    env = {**os.environ, "ROLLBACK_REQUIRE_REAL": require_real,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path),
                                                       os.environ.get("PYTHONPATH")]))}
    tests = [f"{__file__}::{name}" for name in (
        "test_libyaml_parser_is_used_where_available",
        "test_both_parsers_give_the_same_problems_where_both_parse")]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-p", "no_libyaml_plugin", *tests], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    if require_real:
        assert result.returncode == 1, result.stdout + result.stderr
        assert "2 errors" in summary, summary  # the fixture fails each at setup
        assert "ROLLBACK_REQUIRE_REAL=1 requires it" in result.stdout
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 skipped" in summary, summary


@pytest.mark.parametrize("path", _corpus_params())
def test_corpus_case(path: Path, parser: str) -> None:
    filename = f"tests/corpus/runbooks/{path.name}"
    expected_lines = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert expected_lines, "an expected file lists at least one problem"
    assert all(line.startswith("FILE:") for line in expected_lines)
    expected = [filename + line.removeprefix("FILE") for line in expected_lines]

    result = validate_runbook(path.read_bytes(), filename)

    assert result.messages() == expected
    assert not result.ok
    assert result.runbook is None


def test_many_errors_are_all_reported_in_line_order() -> None:
    result = validate_runbook((CORPUS / "many_errors.yaml").read_bytes(), "FILE")
    found = positions(result.messages())
    assert len(found) >= 8
    assert len({line for line, _ in found}) >= 8, "problems from many different lines"
    assert found == sorted(found)


# ---------------------------------------------------------------------------------------------
# Size, alias bombs, nesting, slowness


def _padded(base: bytes, size: int) -> bytes:
    """`base` followed by comment lines, exactly `size` bytes long."""
    line = b"# " + b"x" * 97 + b"\n"
    data = base + line * ((size - len(base)) // len(line))
    return data + b"#" * (size - len(data) - 1) + b"\n"


def test_file_over_one_mebibyte_is_refused_before_parsing() -> None:
    data = _padded(REVERT.read_bytes(), MAX_BYTES + 1)
    assert len(data) == 1_048_577
    with hang_guard():
        result = validate_runbook(data, "big.yaml")
    assert result.messages() == [
        "big.yaml:1:1: file is 1,048,577 bytes, too large (expected at most 1,048,576 bytes)"]
    assert result.runbook is None


def test_far_larger_file_is_refused_too() -> None:
    data = b"\xff" * (16 * MAX_BYTES)  # not even UTF-8: the size check comes first
    with hang_guard():
        result = validate_runbook(data, "huge.bin")
    assert result.messages() == [
        "huge.bin:1:1: file is 16,777,216 bytes, too large (expected at most 1,048,576 bytes)"]


def test_file_of_exactly_one_mebibyte_is_accepted() -> None:
    data = _padded(REVERT.read_bytes(), MAX_BYTES)
    assert len(data) == MAX_BYTES
    with hang_guard():
        result = validate_runbook(data, "exact.yaml")
    assert result.ok, result.messages()
    assert result.runbook is not None and result.runbook.id == "revert-deployment"


def _billion_laughs(levels: int = 10, width: int = 10) -> bytes:
    lines = ["lol0: &lol0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]")
    return ("\n".join(lines) + "\n").encode()


def test_billion_laughs_is_refused_quickly_with_alias_errors() -> None:
    data = _billion_laughs()  # would expand to 10**10 strings
    start = time.monotonic()
    with hang_guard():
        result = validate_runbook(data, "lol.yaml")
    assert time.monotonic() - start < HANG_GUARD_SECONDS
    messages = result.messages()
    assert result.runbook is None
    aliases = [m for m in messages if re.search(r": alias \*lol\d is not supported", m)]
    anchors = [m for m in messages if re.search(r": anchor &lol\d is not supported", m)]
    assert len(aliases) == 9 * 10
    assert len(anchors) == 10
    assert "lol.yaml:2:14: alias *lol0 is not supported (expected plain values; write the value out)" \
        in messages
    assert "lol.yaml:1:7: anchor &lol0 is not supported (expected plain values without anchors)" \
        in messages


@pytest.mark.parametrize("data", [
    b"id: demo\nsteps: " + b"[" * 200_000 + b"]" * 200_000 + b"\n",
    b"- " * 200_000 + b"x\n",
    b"a: " + b"{a: " * 100_000 + b"}" * 100_000 + b"\n",
], ids=["flow-lists", "block-lists", "flow-mappings"])
def test_absurd_nesting_stops_at_the_depth_limit(data: bytes) -> None:
    with hang_guard():
        result = validate_runbook(data, "deep.yaml")
    assert len(result.messages()) == 1
    assert result.messages()[0].endswith(
        f": nesting is too deep (expected at most {MAX_DEPTH} levels)")


def _runbook_with_message(body: str) -> bytes:
    return (REVERT.read_text().replace(
        "Status updates: Every 15 minutes", body.replace("\n", " "), 1)).encode()


def test_many_placeholders_in_one_string_do_not_hang() -> None:
    data = _runbook_with_message("{{ x }} " * 40_000)
    assert len(data) < MAX_BYTES
    with hang_guard():
        result = validate_runbook(data, "many.yaml")
    assert len(result.messages()) == 40_000


def test_backtracking_pattern_does_not_hang() -> None:
    text = REVERT.read_text().replace(
        '    pattern: "[0-9]+"', '    pattern: "([a-z]+)*[0-9]"', 1).replace(
        '    default: "0"', '    default: "' + "a" * 40 + '"', 1)
    with hang_guard():
        result = validate_runbook(text.encode(), "redos.yaml")
    assert any("does not match the pattern" in m for m in result.messages())


# ---------------------------------------------------------------------------------------------
# Properties: never raises, every message well formed


def assert_well_formed(data: bytes) -> ValidationResult:
    """Validate `data`; every message is one `FILE:LINE:COL: …` line pointing into the file."""
    result = validate_runbook(data, "FILE")
    lines = len(LINE_BREAK.split(data.decode("utf-8", errors="replace")))
    for message in result.messages():
        match = MESSAGE.fullmatch(message)  # `.` stops at a newline: one line per message
        assert match, repr(message)
        line, col = int(match[1]), int(match[2])
        assert 1 <= line <= lines + 1, message
        assert col >= 1, message
    assert result.ok == (result.runbook is not None)
    assert result.ok == (result.messages() == [])
    return result


YAMLISH = st.lists(st.sampled_from([
    "id: ", "steps:", "parameters:", "with:", "action: ", "manual", "k8s.scale", "name: ",
    "\n", "\n  ", "\n    ", "  ", "- ", ": ", "? ", ",", "[", "]", "{", "}", "'", '"', "#",
    "|", ">-", "---", "...", "&a ", "*a", "<<: ", "!!str ", "!!null ", "!x ",
    "!!bool ", "!!int ", "!!float ", "!!timestamp ", "!!binary ", "!<tag:%0A> ",
    "{{ ", " }}", "{{", "}}", "x", "1", "1.5", "true", "null", "~", "2026-01-01", "5m",
    "\t", "\r", "\\", "%YAML 1.1\n", "é", "\u2028", "\x85", "\x1b", "\\n", "\\e",
]), max_size=60).map("".join)

REVERT_LINES = REVERT.read_text().splitlines(keepends=True)
REPLACEMENTS = list(" :-[]{}&*!|>'\"#%@`?,\t\r\n\\xé0{}") + ["\u2028", "\x85"]


@st.composite
def mutated_revert(draw: st.DrawFn) -> bytes:
    lines = list(REVERT_LINES)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(lines) - 1))
        if draw(st.booleans()) and len(lines) > 1:
            del lines[index]
        elif lines[index]:
            at = draw(st.integers(0, len(lines[index]) - 1))
            lines[index] = lines[index][:at] + draw(st.sampled_from(REPLACEMENTS)) + \
                lines[index][at + 1:]
    return "".join(lines).encode("utf-8")


PROPERTY = settings(deadline=None, max_examples=150,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.binary(max_size=2000))
@example(b"id: demo\x07\n")
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert_well_formed(data)


@PROPERTY
@given(st.text(st.characters(codec="utf-8"), max_size=2000))
@example("title: \x1b[31mred\x1b[0m\n")
def test_arbitrary_text_never_raises(text: str) -> None:
    assert_well_formed(text.encode("utf-8"))


@PROPERTY
@given(YAMLISH.map(lambda s: s.encode("utf-8")))
def test_yaml_like_text_never_raises(data: bytes) -> None:
    assert_well_formed(data)


@PROPERTY
@given(mutated_revert())
def test_mutated_revert_deployment_never_raises(data: bytes) -> None:
    assert_well_formed(data)


def test_mutations_do_break_the_runbook() -> None:
    """The mutation property is not vacuous: a deleted required line is reported."""
    text = REVERT.read_text().replace("owner: platform-oncall\n", "", 1)
    result = assert_well_formed(text.encode())
    assert result.messages() == [
        ("FILE:2:1: missing required key 'owner' in the runbook "
         "(expected owner: owning team or person)")]


# ---------------------------------------------------------------------------------------------
# The built-in runbooks


def test_builtin_runbooks_include_revert_deployment() -> None:
    assert REVERT in BUILTIN_RUNBOOKS


@pytest.mark.parametrize("path", BUILTIN_RUNBOOKS, ids=lambda p: p.stem)
def test_builtin_runbook_validates(path: Path) -> None:
    filename = f"runbooks/{path.name}"
    result = validate_runbook(path.read_bytes(), filename)
    assert result.messages() == []
    assert result.ok
    runbook = result.runbook
    assert runbook is not None
    assert runbook.source == filename
    assert runbook.steps, "a runbook has steps"
    assert len({s.id for s in runbook.steps}) == len(runbook.steps)


# ---------------------------------------------------------------------------------------------
# Both parsers, the same positions


def _with_python_parser(data: bytes) -> ValidationResult:
    original = yamlload._NodeLoader
    yamlload._NodeLoader = yamlload._PyNodeLoader
    try:
        return validate_runbook(data, "FILE")
    finally:
        yamlload._NodeLoader = original


@pytest.mark.usefixtures("require_libyaml")
@PROPERTY
@given(st.one_of(YAMLISH.map(lambda s: s.encode("utf-8")), mutated_revert()))
def test_both_parsers_give_the_same_problems_where_both_parse(data: bytes) -> None:
    """Positions come from character offsets, so libyaml's marks and PyYAML's agree.

    (Syntax errors are left out: the two parsers detect some of them at different places, and
    libyaml accepts a few tabs that PyYAML refuses.)"""
    ours, theirs = validate_runbook(data, "FILE"), _with_python_parser(data)
    syntax = [m for m in (*ours.messages(), *theirs.messages()) if ": YAML syntax: " in m]
    if not syntax:
        assert ours.messages() == theirs.messages()


@pytest.mark.parametrize("path", BUILTIN_RUNBOOKS, ids=lambda p: p.stem)
def test_builtin_runbooks_validate_with_the_python_parser_too(path: Path) -> None:
    result = _with_python_parser(path.read_bytes())
    assert result.messages() == []


# ---------------------------------------------------------------------------------------------
# Focused cases


MINIMAL = """\
id: demo
title: Demo
version: "1"
owner: team
strategy: revert-deployment
estimated_time:
  best: 1m
  expected: 2m
  worst: 3m
trigger:
  decision_authority: Release manager
parameters:
  - name: flag_key
    description: Feature flag
  - name: api_token
    description: API token
    secret: true
steps:
"""


def _steps(steps: str) -> list[str]:
    return validate_runbook((MINIMAL + steps).encode(), "FILE").messages()


def test_placeholders_in_mapping_keys_are_allowed_and_checked() -> None:
    assert _steps("""\
  - id: flag
    title: Flag off
    action: k8s.patch_configmap
    with:
      namespace: production
      name: flags
      data: {"{{ flag_key }}": "false"}
  - id: env
    title: Env
    action: k8s.set_env
    with:
      namespace: production
      deployment: checkout
      env:
        "FLAG_{{ flag_key }}": "off"
""") == []
    assert _steps("""\
  - id: flag
    title: Flag off
    action: k8s.patch_configmap
    with:
      namespace: production
      name: flags
      data:
        "{{ flag_kye }}": "false"
        "{{ bad-name }}": "x"
""") == [
        ("FILE:26:10: undefined parameter 'flag_kye' — did you mean 'flag_key'? "
         "(expected one of: flag_key, api_token, incident_id, incident_dir)"),
        ("FILE:27:10: malformed placeholder {{bad-name}} "
         "(expected {{ name }} with a parameter name)"),
    ]


def test_http_check_takes_headers() -> None:
    assert _steps("""\
  - id: probe
    title: Probe the flag API
    action: http.check
    with:
      url: https://flags.example/api/{{ flag_key }}
      headers:
        Authorization: "Bearer {{ api_token }}"
      expect_status: 200
""") == []
    assert _steps("""\
  - id: probe
    title: Probe
    action: http.check
    with:
      url: https://flags.example/
      headers: "Bearer x"
""") == ["FILE:24:16: expected a mapping, got a string (expected a mapping of key: value)"]


@pytest.mark.parametrize(("value", "message"), [
    ("0x10", None),
    ("1_000", None),
    ("!!int ''", "'' is not a valid integer"),
    ("-0x" + "f" * 200, "integer with 200 digits is too large"),
    ("!!int \"1\\n2\"", "'1\\n2' is not a valid integer"),
])
def test_integer_forms(value: str, message: str | None) -> None:
    messages = _steps(f"""\
  - id: scale
    title: Scale
    action: k8s.scale
    with:
      namespace: production
      deployment: checkout
      replicas: {value}
""")
    assert messages == ([] if message is None else [
        f"FILE:25:17: {message} (expected an integer ≥ 0 or a {{{{ parameter }}}})"])


@pytest.mark.parametrize("value", ['" 5m"', '"5m "', '"5m\\n"', "٥m"])
def test_durations_are_exactly_the_json_schema_pattern(value: str) -> None:
    messages = _steps(f"""\
  - id: wait
    title: Wait
    action: wait
    with:
      duration: {value}
""")
    assert len(messages) == 1
    assert ": invalid duration " in messages[0]


@pytest.mark.parametrize("value", ["!!bool \"yes\\nno\"", "!!float \"1\\n\"", "!<tag:%0A> x",
                                   "\"a\\x85b\\u2028c\\td\""])
def test_values_with_line_breaks_stay_on_one_line_in_messages(value: str) -> None:
    messages = _steps(f"""\
  - id: one
    title: One
    action: manual
    confirm: {value}
""")
    assert messages
    assert all(MESSAGE.fullmatch(m.replace("FILE", "FILE", 1)) and m.isprintable()
               for m in messages), messages


def test_a_pattern_that_re_cannot_match_in_linear_time_is_refused() -> None:
    text = MINIMAL.replace("    description: Feature flag\n",
                           "    description: Feature flag\n    pattern: '(a)\\1'\n")
    messages = validate_runbook((text + "  - id: one\n    title: One\n    action: manual\n")
                                .encode(), "FILE").messages()
    assert messages == [
        ("FILE:15:14: pattern cannot be used: backreferences are not supported (expected a "
         "regular expression without backreferences, lookarounds or (?i))")]


def test_control_character_position_counts_characters_and_cr_breaks() -> None:
    result = validate_runbook("id: demo\rtitle: é\x07\n".encode(), "FILE")
    assert result.messages() == [
        "FILE:2:9: control character U+0007 is not allowed (expected a UTF-8 text file)"]


# ---------------------------------------------------------------------------------------------
# LinearRegex matches as re does, in linear time

_ATOMS = st.sampled_from([
    "a", "b", ".", "[ab]", "[^a]", r"\d", r"\w", r"\s", r"\W", "[a-c0-9_-]", r"\.", "é", "\n",
    "^", "$", r"\A", r"\Z", r"\b", r"\B", r"[\d\s]", r"[^\w]"])
PATTERNS = st.recursive(_ATOMS, lambda inner: st.one_of(
    st.tuples(inner, inner).map("".join),
    st.tuples(inner, inner).map("|".join),
    inner.map(lambda s: f"({s})"),
    inner.map(lambda s: f"(?:{s})*"),
    inner.map(lambda s: f"(?:{s})+?"),
    inner.map(lambda s: f"(?:{s})?"),
    inner.map(lambda s: f"(?:{s}){{1,3}}"),
    inner.map(lambda s: f"(?:{s}){{2}}"),
    inner.map(lambda s: f"(?s:{s})"),
    inner.map(lambda s: f"(?m:{s})"),
    inner.map(lambda s: f"(?a:{s})"),
), max_leaves=8)


@settings(max_examples=1000, deadline=None)
@given(PATTERNS, st.text(alphabet="ab\n _é1.-٣", max_size=8))
def test_linear_regex_agrees_with_re(pattern: str, text: str) -> None:
    assert LinearRegex(pattern).fullmatch(text) == (re.fullmatch(pattern, text) is not None)


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)a", "(?!a)b", "(?<=a)b", "(?i)a", "a*+",
                                     "(?>a)", "(a)?(?(1)b|c)", "a{5000}"])
def test_linear_regex_refuses_what_it_cannot_match_linearly(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        LinearRegex(pattern)


@pytest.mark.parametrize("pattern", ["([a-z]+)*[0-9]", r"(\w*)*\w*\w*\w*\w*\w*x", "(a|a)*b"])
def test_linear_regex_takes_linear_time_on_catastrophic_patterns(pattern: str) -> None:
    with hang_guard(2.0):
        assert not LinearRegex(pattern).fullmatch("a" * 2000)
