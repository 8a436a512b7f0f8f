"""The shell step runner with real processes: argv only, caps, timeouts, process groups."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

from tui.adapters.shell import run_argv, strip_ansi
from tui.domain.incident import Redactor


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (PID 1 in a container may not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_dead(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_echo_and_printf() -> None:
    result = run_argv(["echo", "hello", "world"])
    assert result.ok and result.exit_code == 0 and result.output == "hello world\n"
    assert result.detail.startswith("exit 0 in ") and not result.truncated
    assert run_argv(["printf", "%s-%s\n", "a", "b"]).output == "a-b\n"


def test_stdout_and_stderr_are_merged_in_order() -> None:
    result = run_argv(["sh", "-c", "echo one; echo two >&2; echo three"])
    assert result.output == "one\ntwo\nthree\n"


def test_exit_codes_and_expect_exit() -> None:
    failed = run_argv(["sh", "-c", "echo nope; exit 3"])
    assert not failed.ok and failed.exit_code == 3
    assert failed.detail.startswith("exit 3 (expected 0) in ")
    assert run_argv(["sh", "-c", "exit 3"], expect_exit=3).ok
    killed = run_argv(["sh", "-c", "kill -9 $$"])
    assert not killed.ok and killed.exit_code == -9
    assert killed.detail.startswith("killed by SIGKILL")


def test_expect_output() -> None:
    found = run_argv(["echo", "deployment \"checkout\" successfully rolled out"],
                     expect_output="successfully rolled out")
    assert found.ok and "output contains 'successfully rolled out'" in found.detail
    missing = run_argv(["echo", "waiting"], expect_output="successfully rolled out")
    assert not missing.ok and missing.exit_code == 0
    assert "output does not contain 'successfully rolled out'" in missing.detail


def test_shell_metacharacters_are_passed_literally(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = run_argv(["printf", "%s", "$(id); rm -rf /"], cwd=tmp_path)
    assert result.ok and result.output == "$(id); rm -rf /"
    glob = run_argv(["echo", "*", "`whoami`", "a && b", "$HOME"], cwd=tmp_path)
    assert glob.output == "* `whoami` a && b $HOME\n"


def test_env_is_merged_over_the_environment_and_cwd_is_used(tmp_path: Path) -> None:
    result = run_argv(["sh", "-c", 'echo "$ROLLBACK_TEST_VAR|$PATH"; pwd'],
                      env={"ROLLBACK_TEST_VAR": "from-step", "REPLICAS": 3}, cwd=tmp_path)
    first, second = result.output.splitlines()
    assert first == f"from-step|{os.environ['PATH']}"
    assert second == str(tmp_path.resolve())


def test_command_not_found_and_other_start_failures(tmp_path: Path) -> None:
    missing = run_argv(["no-such-command-rollback-xyz", "--flag"])
    assert not missing.ok and missing.exit_code is None and missing.output == ""
    assert missing.detail == "command not found: no-such-command-rollback-xyz"
    nowhere = run_argv(["echo", "x"], cwd=tmp_path / "gone")
    assert not nowhere.ok and nowhere.detail == f"working directory not found: {tmp_path / 'gone'}"
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    denied = run_argv([str(script)])
    assert not denied.ok and denied.detail.startswith(f"permission denied: {script}")
    assert run_argv([]).detail == "empty command"
    nul = run_argv(["echo", "a\x00b"])
    assert not nul.ok and nul.detail == "cannot start echo: embedded null byte"


def test_timeout_kills_the_whole_process_group() -> None:
    started = time.monotonic()
    result = run_argv(["sh", "-c", "sleep 30 & echo $!; wait"], timeout=1.0)
    assert time.monotonic() - started < 5
    assert result.timed_out and not result.ok and not result.cancelled
    assert result.detail == "timed out after 1s; process group killed"
    child = int(result.output.split()[0])
    assert _wait_dead(child), "the background sleep outlived the timeout"


def test_children_that_ignore_sigterm_get_sigkill() -> None:
    started = time.monotonic()
    result = run_argv(["sh", "-c", "trap '' TERM; sleep 30 & echo $!; wait"], timeout=0.5)
    assert result.timed_out and time.monotonic() - started < 8
    assert _wait_dead(int(result.output.split()[0]))


def test_cancel_stops_the_command() -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    result = run_argv(["sleep", "30"], cancel=cancel)
    assert time.monotonic() - started < 5
    assert result.cancelled and not result.timed_out and not result.ok
    assert result.detail == "cancelled; process group killed"


def test_background_children_holding_the_output_do_not_hang_the_step() -> None:
    started = time.monotonic()
    result = run_argv(["sh", "-c", "sleep 30 & echo started"])
    assert time.monotonic() - started < 5
    assert result.ok and result.output == "started\n"
    assert "background processes still holding the output were stopped" in result.detail


def test_five_megabytes_of_output_are_capped_in_bounded_memory() -> None:
    program = ("import sys; w = sys.stdout.write; w('HEAD' + 'a' * 2_500_000); w('MIDDLE'); "
               "w('b' * 2_500_000 + 'END')")
    tracemalloc.start()
    try:
        result = run_argv([sys.executable, "-c", program], output_cap=65536,
                          expect_output="MIDDLE")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.truncated
    assert peak < 1_000_000, f"reading 5 MB peaked at {peak} bytes"
    assert result.output.startswith("HEADaaa") and result.output.endswith("bbbEND")
    assert "MIDDLE" not in result.output  # omitted, yet seen while streaming
    assert f"… [{5_000_013 - 65536} bytes of output omitted] …" in result.output
    assert len(result.output) < 65536 + 100
    assert "output cut to 65536 of 5000013 bytes" in result.detail


def test_ansi_sequences_are_stripped() -> None:
    coloured = ("\x1b[1;31mError\x1b[0m: \x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ "
                "\x1b]0;title\x07\x1b[2K\x1b[?25lok\x1b(B\x9b32m!")
    assert strip_ansi(coloured) == "Error: link ok!"
    result = run_argv(["printf", "\\033[32mgreen\\033[0m\\r\\n10%%\\r55%%\\r100%%\\n\\a"])
    assert result.output == "green\n100%\n"


def test_for_journal_masks_secrets_and_keeps_head_and_tail() -> None:
    token = "tok-9f8e7d6c5b4a"
    script = 'echo "using $API_TOKEN"; echo password=hunter22; seq 1 5000'
    result = run_argv(["sh", "-c", script], env={"API_TOKEN": token})
    record = result.for_journal(Redactor([token]), max_output=1000)
    text = json.dumps(record)
    assert token not in text and "hunter22" not in text
    assert record["output"].startswith("using ***\npassword=***\n1\n")
    assert record["output"].endswith("4999\n5000\n") and record["truncated"]
    assert "bytes omitted" in record["output"] and len(record["output"]) < 1100
    assert record["argv"][0] == "sh" and record["exit_code"] == 0 and record["ok"]


