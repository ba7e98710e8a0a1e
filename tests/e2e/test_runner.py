"""The engine for student code (blitz/execution/): a warm worker forks a fresh child per exercise.

Misbehaving student code — an endless loop, a print flood, a syntax error, os._exit, a segfault —
gives a clear result for the check it hit; the other checks still score; no process is left.
"""

from __future__ import annotations

import subprocess
import sys
import time

import hostile
import kit
import pytest

from blitz.engine.results import RunOutcome, RunState
from blitz.execution.local import Engine
from blitz.execution.output import Printed, printed_lines

LIMIT = "3"  # seconds per check (BLITZ_TIME_LIMIT): the reference's tensors checks take ~0.04 s each


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = hostile.solutions(tmp_path_factory.mktemp("hostile") / "work")
    # An endless loop that waits (the child's deadline is wall-clock: stopped and named as a spin is, without
    # burning a core for the limit; the cancel and worker-death tests stop it the same way).
    hostile.plant(folder, "tensors", "gram", hostile.IDLE_LOOP)
    hostile.plant(folder, "tensors", "from_data", hostile.FLOOD)
    hostile.plant(folder, "autograd", "backward_twice", hostile.EXIT)
    hostile.plant(folder, "autograd", "sgd_step", hostile.SEGFAULT)
    hostile.break_syntax(folder, "evaluate")
    # A background process of the student's, holding the output pipe: killed with the child's group.
    marker = f"{folder}/stray"
    (folder / "extras.py").write_text(
        (folder / "extras.py").read_text(encoding="utf-8")
        + f"\nimport subprocess\nsubprocess.Popen(['/bin/sh', '-c', 'sleep 300 # {marker}'])\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def outcomes(folder):
    mp = pytest.MonkeyPatch()
    mp.setenv("BLITZ_TIME_LIMIT", LIMIT)
    try:
        with Engine(label=str(folder)) as engine:
            return {e: engine.run_exercise(folder, e) for e in ("tensors", "autograd", "evaluate", "extras")}
    finally:
        mp.undo()


def by_name(outcome: RunOutcome) -> dict:
    """The checks' results, as JSON (CheckResult.to_json), by name."""
    return {r["name"]: r for r in outcome.to_json()["results"]}


def test_an_endless_loop_times_out_naming_the_function_and_the_other_checks_score(outcomes):
    results = by_name(outcomes["tensors"])
    gram = results.pop("gram")
    assert gram["status"] == "timeout" and gram["score"] == 0
    assert gram["message"]["en"] == "tensors.gram ran longer than 3 s and was stopped — an endless loop?"
    assert "tensors.gram 运行超过了 3 秒" in gram["message"]["zh"]
    assert len(results) == 11 and all(r["status"] == "passed" and r["score"] > 0 for r in results.values())


def test_a_print_flood_keeps_the_first_and_last_lines_and_counts_the_rest(outcomes):
    printed = outcomes["tensors"].printed
    assert printed["head"][:2] == ["line 0", "line 1"] and len(printed["head"]) == 10
    assert printed["tail"][-1] == "line 999" and len(printed["tail"]) == 10
    calls = sum(1 for line in printed["head"] + printed["tail"] if line == "line 0")
    assert printed["omitted"] > 0 and calls >= 1
    shown = printed_lines(printed, lang="en")
    assert f"… {printed['omitted']} more lines left out …" in shown[10]


def test_os_exit_and_a_segfault_crash_only_their_own_checks(outcomes):
    results = by_name(outcomes["autograd"])
    assert results["cubic_minus_square_grads"]["status"] == "passed"
    exited, segfault = results["backward_twice"], results["sgd_step"]
    assert exited["status"] == segfault["status"] == "crashed"
    assert "The process ended while running autograd.backward_twice (exit status 3)" in exited["message"]["en"]
    assert "autograd.sgd_step (signal SIGSEGV" in segfault["message"]["en"]
    assert "进程退出了" in segfault["message"]["zh"]


def test_a_syntax_error_is_one_message_pointing_at_its_line(outcomes, folder):
    line = (folder / "evaluate.py").read_text(encoding="utf-8").splitlines().index("def broken(:") + 1
    results = outcomes["evaluate"].to_json()["results"]
    assert {r["status"] for r in results} == {"error"}
    assert len({r["message"]["en"] for r in results}) == 1
    assert f'File "evaluate.py", line {line}' in results[0]["message"]["en"]
    assert "def broken(:" in results[0]["message"]["en"]


def test_no_process_is_left_behind(outcomes, folder):
    assert all(r.status == "passed" for r in outcomes["extras"].results)
    assert hostile.leftovers(f"{folder}/stray") == []  # the student's background process
    assert hostile.leftovers(str(folder)) == []  # the worker and its children


def running_gram(engine: Engine) -> None:
    """Until the worker says the child runs tensors.gram (the endless loop)."""
    seen: list[dict] = []
    for _ in range(300):  # a bound, not a timing: the worker imports torch first
        seen += engine.poll(1.0)
        if any(e.get("call") == "tensors.gram" for e in seen):
            return
    raise AssertionError(f"the worker never said it runs tensors.gram: {seen}")


def test_cancel_kills_the_running_child_and_the_worker_keeps_serving(folder, monkeypatch):
    monkeypatch.setenv("BLITZ_TIME_LIMIT", "600")
    with Engine(label=str(folder)) as engine:
        ident = engine.submit_exercise(folder, "tensors")
        running_gram(engine)
        # The host (the checks), the worker (forks the probes' children) and the child in the loop
        assert len(hostile.leftovers(str(folder), settle=0)) == 3
        engine.cancel(ident)
        assert engine.wait(ident) == RunOutcome.cancelled()
        # The host and the worker only, once the killed child is gone (polled: the two stay alive).
        deadline = time.monotonic() + 10
        while len(alive := hostile.leftovers(str(folder), settle=0)) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(alive) == 2, alive
        assert {r.status for r in engine.run_exercise(folder, "extras").results} == {"passed"}
    assert hostile.leftovers(str(folder)) == []


def test_a_worker_that_dies_fails_its_request_and_takes_its_children_along(folder, monkeypatch):
    monkeypatch.setenv("BLITZ_TIME_LIMIT", "600")
    with Engine(label=str(folder)) as engine:
        ident = engine.submit_exercise(folder, "tensors")
        running_gram(engine)
        engine.proc.kill()
        outcome = engine.wait(ident)
        assert outcome.state is RunState.FAILED and "the worker ended" in outcome.why
        assert hostile.leftovers(str(folder)) == []  # the child died with it (PDEATHSIG)


def test_the_front_ends_do_not_import_torch():
    code = (
        "import sys\n"
        "import blitz.cli, blitz.student.cli, blitz.student.watch, blitz.student.standing, blitz.execution.local\n"
        "blitz.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_printed_cuts_long_lines_and_keeps_a_partial_last_line():
    printed = Printed(head=2, tail=2)
    printed.feed(b"a\nb\nc\n" + b"x" * 1000 + b"\nlast")
    data = printed.as_dict()
    assert data["head"] == ["a", "b"] and data["tail"][-1] == "last" and data["omitted"] == 1
    assert data["tail"][0].endswith(" …") and len(data["tail"][0]) < 400


def test_the_local_worker_is_forked_from_the_host_before_it_imports_the_checks(tmp_path):
    """Torch is imported once for `blitz check`: the worker is a fork of the host (same command line,
    no second interpreter), forked before the host imported the checks and the reference, so the
    student's code in its children finds neither in sys.modules."""
    folder = hostile.solutions(tmp_path / "work")
    trusted = ("blitz.checks", "blitz.exercises.tensors.checks", "blitz.engine.reference", "solutions")
    hostile.plant(
        folder,
        "tensors",
        "gram",
        f"import sys; print('SEEN', sorted(m for m in sys.modules if m.startswith({trusted!r})))",
    )
    with Engine(label=str(folder)) as engine:
        outcome = engine.run_exercise(folder, "tensors")
        commands = kit.marked_processes(str(folder))
    assert {r.status for r in outcome.results} == {"passed"}
    assert len(commands) == 2, commands  # the host and its worker; the child has ended
    assert len(set(commands.values())) == 1 and b"blitz.execution.host" in next(iter(commands.values()))
    seen = [line for line in printed_lines(outcome.printed, prefix="") if line.startswith("SEEN")]
    assert seen and all(line == "SEEN []" for line in seen), seen


def test_one_worker_serves_every_exercise_with_torch_s_costly_modules_deferred(tmp_path):
    """The same warm worker serves tensors, autograd and train. autograd's backward with an external
    gradient imports torch's symbolic shapes, and train's optimizer.step() torch._dynamo: the worker has
    deferred both (blitz.engine.lazy_shapes, lazy_dynamo), so neither child imports them (nor sympy), and
    the answers are still right."""
    folder = hostile.solutions(tmp_path / "work")
    shapes = "sys.modules['torch.fx.experimental.symbolic_shapes']"
    # sgd_step runs after the gradient probes, in the same child: they have run backward(gradient=...) by then
    hostile.plant(
        folder, "autograd", "sgd_step", "import sys", f"print('SEEN', type({shapes}).__name__, 'sympy' in sys.modules)"
    )
    step = (
        "w = torch.zeros(2, requires_grad=True); opt = torch.optim.Adam([w], lr=0.1); w.sum().backward()",
        "before = set(sys.modules); opt.step(); opt.zero_grad()",
        "print('STEP', type(sys.modules['torch._dynamo']).__name__, sorted(set(sys.modules) - before), [round(v, 6) for v in w.tolist()])",
    )
    hostile.plant(folder, "train", "fit", "import sys, torch", *step)
    with Engine(label=str(folder)) as engine:
        first = engine.run_exercise(folder, "tensors")
        before = set(kit.marked_processes(str(folder)))
        autograd = engine.run_exercise(folder, "autograd")
        train = engine.run_exercise(folder, "train")
        after = set(kit.marked_processes(str(folder)))
    assert first.done and autograd.done and train.done
    assert {r.status for r in autograd.results + train.results} == {"passed"}
    assert len(before) == 2 and after == before  # the same host and worker
    seen = {line for line in printed_lines(autograd.printed, prefix="") if line.startswith("SEEN")}
    assert seen == {"SEEN StandIn False"}, seen
    steps = {line for line in printed_lines(train.printed, prefix="") if line.startswith("STEP")}
    assert steps == {"STEP StandIn [] [-0.1, -0.1]"}, steps  # Adam's first step: lr against the gradient
