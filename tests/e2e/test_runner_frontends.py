"""Misbehaving student code in each student-side front end: `blitz check`, `blitz list`, `blitz watch`
(through a pty), `pytest autograder` and `blitz report`.

An endless loop, a print flood, a syntax error, os._exit and a segfault each give a clear message;
the other checks and exercises are scored; no process is left; watch's screen answers its keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import hostile
import kit
import mutants
import pexpect
import pytest

from blitz.course import registry

ROOT = registry.ROOT
LIMIT = {"BLITZ_TIME_LIMIT": "3"}
WAIT = 120  # seconds for one screen at most (importing torch on a busy machine); nothing here is timed


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = hostile.solutions(tmp_path_factory.mktemp("frontends") / "work")
    # The endless loop waits rather than spins: each front end's wall-clock limit stops it alike (10 s of
    # `blitz list`'s stated limit, 3 s elsewhere), and no core burns for it.
    hostile.plant(folder, "tensors", "gram", hostile.IDLE_LOOP)
    hostile.plant(folder, "tensors", "from_data", hostile.FLOOD)
    hostile.plant(folder, "autograd", "backward_twice", hostile.EXIT)
    hostile.plant(folder, "autograd", "sgd_step", hostile.SEGFAULT)
    hostile.break_syntax(folder, "evaluate")
    return folder


# --- blitz check and list -----------------------------------------------------------------------


def test_check_an_endless_loop_and_a_print_flood(folder):
    result = kit.blitz("check", "tensors", "--submission", str(folder), env=LIMIT)
    assert result.returncode == 1
    assert "tensors.gram ran longer than 3 s and was stopped — an endless loop?" in result.stdout
    assert "11/12 checks passed" in result.stdout
    assert "Your code printed:" in result.stdout and "more lines left out" in result.stdout
    assert "  | line 0" in result.stdout and "  | line 999" in result.stdout
    assert len(result.stdout.splitlines()) < 80  # the flood printed thousands of lines
    assert "Traceback" not in result.stdout + result.stderr
    assert hostile.leftovers(str(folder)) == []


def test_check_os_exit_and_a_segfault_in_chinese(folder):
    result = kit.blitz("check", "autograd", "--submission", str(folder), lang="zh")
    assert result.returncode == 1
    assert "运行 autograd.backward_twice 时进程退出了（exit status 3）" in result.stdout
    assert "运行 autograd.sgd_step 时进程退出了（signal SIGSEGV" in result.stdout
    assert "1/3 项检查通过" in result.stdout
    assert hostile.leftovers(str(folder)) == []


def test_check_shows_a_syntax_error_once(folder):
    result = kit.blitz("check", "evaluate", "--submission", str(folder))
    assert result.returncode == 1
    assert result.stdout.count("SyntaxError") == 1 and "def broken(:" in result.stdout
    assert "(the same as above)" in result.stdout and "0/2 checks passed" in result.stdout


def test_list_scores_the_other_exercises_then_shows_kept_results(folder, tmp_path):
    work = tmp_path / "work"
    mutants.build(work)
    for name in ("tensors", "autograd", "evaluate"):
        (work / f"{name}.py").write_text((folder / f"{name}.py").read_text(encoding="utf-8"), encoding="utf-8")
    first = kit.blitz("list", "--submission", str(work))  # the stated limits: 10 s for tensors, 30 s for data
    assert first.returncode == 0, first.stderr
    rows = {line.split()[1]: line for line in first.stdout.splitlines() if line[:3].strip().rstrip(".").isdigit()}
    assert "✗ failing" in rows["tensors"] and "13.75/15" in rows["tensors"]
    assert "✗ failing" in rows["autograd"] and "✗ failing" in rows["evaluate"]
    assert "✓ done" in rows["model"] and "✓ done" in rows["data"]
    assert hostile.leftovers(str(work)) == []
    # Nothing changed: the same table from the kept results, without starting a worker.
    again = kit.blitz("list", "--submission", str(work), env={"BLITZ_TIME_LIMIT": "0.001"})
    assert again.stdout == first.stdout
    # A changed file: its last result, marked, not run.
    (work / "model.py").write_text((work / "model.py").read_text(encoding="utf-8") + "\n# edited\n")
    stale = kit.blitz("list", "--submission", str(work))
    assert "✓ done *" in stale.stdout and "changed since last checked (model)" in stale.stdout


# --- pytest autograder --------------------------------------------------------------------------


TORCH_SEEN = """
import json, os, sys
def pytest_unconfigure(config):
    with open(os.environ["TORCH_SEEN"], "w") as f:
        json.dump(sorted(m for m in sys.modules if m.split(".")[0] == "torch"), f)
"""


def test_pytest_autograder(folder, tmp_path):
    """Student code runs only in the warm worker's children; pytest's own process never imports torch
    (a plugin of this test writes down what pytest's process had imported at its end)."""
    (tmp_path / "torch_seen.py").write_text(TORCH_SEEN)
    seen = tmp_path / "seen.json"
    env = kit.environment("en", extra={**LIMIT, "TORCH_SEEN": str(seen)})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH", "")) if p)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "autograder", "--submission", str(folder), "-p", "no:cacheprovider"]
        + ["-p", "torch_seen", "-k", "test_tensors or test_autograd or test_evaluate"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    out = result.stdout
    assert json.loads(seen.read_text()) == []
    assert result.returncode == 1
    assert "tensors.gram ran longer than 3 s and was stopped — an endless loop?" in out
    assert "autograd.backward_twice (exit status 3)" in out and "autograd.sgd_step (signal SIGSEGV" in out
    # Once in the failures (pytest's own summary repeats the first one in full where CI is set).
    failures = out.split("short test summary info")[0]
    assert failures.count("def broken(:") == 1 and "The same error as [evaluate.predict] (see above)." in out
    assert "tensors    11/12" in out and "autograd    1/3" in out and "evaluate    0/2" in out
    assert "tensors printed:" in out and "more lines left out" in out and "  | line 999" in out
    assert "5 failed, 12 passed" in out
    assert hostile.leftovers(str(folder)) == []


def test_pytest_autograder_on_the_stubs_fails_every_test_cleanly(tmp_path):
    # The stubs as generated, never the checkout's exercises/ (a developer may have solved some there).
    folder = mutants.stubs(tmp_path / "stubs")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "autograder", "--submission", str(folder), "-p", "no:cacheprovider", "-q"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=kit.environment("en"),
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 1
    total = sum(len(__import__("blitz.checks", fromlist=["x"]).checks_for(e.id)) for e in registry.EXERCISES)
    assert f"{total} failed in" in result.stdout
    assert "Traceback" not in result.stdout and "timeout" not in result.stdout and "crash" not in result.stdout


# --- blitz report -------------------------------------------------------------------------------


# The report's budget is 1.5x the limit. The loop's is 6 s: the training job reaches fit in under 0.5 s
# (measured under a load of 3.6 on 2 cores), so a stop before fit, which would name another step, is far off.
# The loop waits rather than spins: the job's deadline is wall-clock, and a spin would burn a core for all 6 s.
@pytest.mark.parametrize(
    "code, limit, words",
    [
        (hostile.IDLE_LOOP, "4", "train.fit ran longer than 6 s and was stopped — an endless loop?"),
        (hostile.EXIT, "20", "while running train.fit (exit status 3)"),
        (hostile.SEGFAULT, "20", "while running train.fit (signal SIGSEGV"),
    ],
    ids=["loop", "os_exit", "segfault"],
)
def test_report(tmp_path, code, limit, words):
    work = hostile.solutions(tmp_path / "work")
    hostile.plant(work, "train", "fit", hostile.FLOOD, code)
    result = kit.blitz(
        "report", "--submission", str(work), "--out", str(tmp_path / "out"), "--epochs", "1", "--device", "cpu",
        env={"BLITZ_TIME_LIMIT": limit},
    )  # fmt: skip
    assert result.returncode == 1
    assert "the exercise to fix is train (train.py)" in result.stderr and words in result.stderr
    assert "more lines left out" in result.stdout and "  | line 999" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out" / "loss_curve.png").exists()
    assert hostile.leftovers(str(work)) == []


def test_report_with_a_syntax_error(tmp_path):
    work = hostile.solutions(tmp_path / "work")
    hostile.break_syntax(work, "model")
    result = kit.blitz("report", "--submission", str(work), "--out", str(tmp_path / "out"), "--epochs", "1")
    assert result.returncode == 1
    assert "the exercise to fix is model (model.py)" in result.stderr
    assert result.stderr.count("def broken(:") == 1
    assert hostile.leftovers(str(work)) == []


# --- blitz watch, in a pty ----------------------------------------------------------------------

FOOTER = "Save a file to check again · h hint · r re-run · q quit"


def spawn_watch(folder: Path, limit: str) -> pexpect.spawn:
    command, *args = kit.command()
    return pexpect.spawn(
        command,
        args + ["watch", "--submission", str(folder), "--interval", "0.1"],
        env=kit.environment("en", extra={"BLITZ_TIME_LIMIT": limit}),
        encoding="utf-8",
        timeout=WAIT,
        dimensions=(80, 140),
        cwd=str(ROOT),
    )


def screen(child: pexpect.spawn, until: str) -> str:
    """The first complete screen (it ends with the key line) that shows `until`."""
    deadline = time.monotonic() + WAIT
    while True:
        child.expect_exact(FOOTER, timeout=max(1.0, deadline - time.monotonic()))
        if until in child.before:
            return child.before[child.before.rfind("blitz watch —") :]


def save(path: Path, text: str) -> None:
    time.sleep(0.2)  # a new mtime even on file systems with coarse timestamps
    tmp = path.with_suffix(".swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def test_watch_shows_each_failure_then_recovers_when_the_fix_is_saved(tmp_path):
    work = mutants.stubs(tmp_path / "work")
    solution = (mutants.SOLUTIONS / "tensors.py").read_text(encoding="utf-8")
    (work / "tensors.py").write_text(solution + hostile.SYNTAX, encoding="utf-8")
    child = spawn_watch(work, "3")
    try:
        first = screen(child, "▶ tensors")
        assert first.count("SyntaxError") == 1 and "(the same as above)" in first
        for plant, words in (
            ((hostile.FLOOD, hostile.IDLE_LOOP), "tensors.gram ran longer than 3 s and was stopped — an endless loop?"),
            ((hostile.SEGFAULT,), "while running tensors.gram (signal SIGSEGV"),
            ((hostile.EXIT,), "while running tensors.gram (exit status 3)"),
        ):
            (tmp_path / "next.py").write_text(solution, encoding="utf-8")
            hostile.plant(tmp_path, "next", "gram", *plant)
            save(work / "tensors.py", (tmp_path / "next.py").read_text(encoding="utf-8"))
            shown = screen(child, words)
            assert "11/12 checks passed" in shown and "[failing]" in shown
            # The flood ran before the loop: its first and last lines, the rest counted.
            assert ("more lines left out" in shown) == (hostile.FLOOD in plant)
        save(work / "tensors.py", solution)
        passed = screen(child, "passed!")
        assert "✓ tensors passed! Next up: autograd." in passed and "1/7 exercises · 15/100 points" in passed
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert hostile.leftovers(str(work)) == []


def test_watch_answers_its_keys_while_an_endless_loop_runs(tmp_path):
    work = mutants.stubs(tmp_path / "work")
    hostile.solutions(work, only=("tensors",))
    hostile.plant(work, "tensors", "gram", hostile.LOOP)
    child = spawn_watch(work, "600")
    try:
        child.expect_exact("checking tensors.gram")  # the spinner names the function in the loop
        child.send("q")
        child.expect(pexpect.EOF, timeout=30)  # not the 600 s the loop may run
        assert "Bye!" in child.before
    finally:
        child.close()
    assert child.exitstatus == 0
    assert hostile.leftovers(str(work)) == []
