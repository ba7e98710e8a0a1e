"""`blitz grade` on the warm-worker engine: one sandbox per submission, a fresh child per exercise.

An endless loop, a print flood, a syntax error, os._exit and a segfault (through ctypes), each in one
exercise of a submission: a clear message in its record, the other exercises scored (the reference
ones pass), exit 0, no process left. Then the engine itself: a crash costs a child, not the sandbox;
a time-out costs the sandbox, and the next exercise gets a fresh one.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import hostile
import kit
import mutants
import pytest

from blitz.checks import checks_for
from blitz.engine.results import Status
from blitz.execution.sandbox.process import isolation_available
from blitz.grading.discover import Target
from blitz.grading.runner import Options, grade_exercise, submission_sandbox

EXERCISES = ("tensors", "autograd", "model", "evaluate")
FULL = {"tensors": 15, "autograd": 10, "model": 15, "evaluate": 10}
# Each check's budget (--timeout): the loopers wait it out. The reference's slowest check here spends under 1 s of
# it (autograd's first once spent about 1 s: its child's first backward imported sympy), quiet or under a load of 4:
# 6 s is four times the 1.5 s a correct check may take quiet (the print flood burns a core, and its reader
# another, for all of it).
TIMEOUT = 6
LOOPER_TIMEOUT = 5  # where only tensors and model are graded: their probes answer in well under 0.1 s
FLOOD = "while True: print('flood ' * 20)"


@pytest.fixture
def tmp_path(tmp_path):
    """pytest's folders are 0700; the sandbox's uid 65534 must reach the submissions' copies."""
    for folder in [*tmp_path.parents[:2], tmp_path]:
        folder.chmod(folder.stat().st_mode | 0o005)
    return tmp_path


def build_class(subs: Path) -> dict[str, tuple[str, str]]:
    """Five students with one fault each, and the reference: name -> (exercise at fault, words of its message)."""
    only = EXERCISES
    hostile.solutions(subs / "reference", only)
    hostile.plant(hostile.solutions(subs / "loop", only), "tensors", "gram", hostile.IDLE_LOOP)
    hostile.plant(hostile.solutions(subs / "flood", only), "tensors", "from_data", FLOOD)
    hostile.break_syntax(hostile.solutions(subs / "syntax", only), "evaluate")
    hostile.plant(hostile.solutions(subs / "exit", only), "autograd", "backward_twice", hostile.EXIT)
    hostile.plant(hostile.solutions(subs / "segfault", only), "autograd", "sgd_step", hostile.SEGFAULT)
    return {
        "loop": ("tensors", f"time limit of {TIMEOUT} s for this check used up"),
        "flood": ("tensors", f"time limit of {TIMEOUT} s for this check used up"),
        "syntax": ("evaluate", "SyntaxError"),
        "exit": ("autograd", "grading process ended while running your code (exit status 3)"),
        "segfault": ("autograd", "grading process ended while running your code (exit status -11)"),
    }


def scores(results: dict) -> dict:
    return {e: s["score"] for e, s in results["extra_data"]["record"]["exercises"].items()}


@pytest.mark.slow
def test_five_faults_in_grade_cost_only_their_own_exercise(tmp_path):
    found = isolation_available()
    assert found["bwrap"], f"no sandbox here: {found['why']} (apt-get install bubblewrap)"
    subs, out, scratch = tmp_path / "class", tmp_path / "out", tmp_path / "scratch"
    scratch.mkdir()
    faults = build_class(subs)
    proc = kit.grade(subs, out, EXERCISES, "--timeout", str(TIMEOUT), env={"TMPDIR": str(scratch)}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert scores(json.loads((out / "reference" / "results.json").read_text(encoding="utf-8"))) == FULL
    for student, (exercise, words) in faults.items():
        text = (out / student / "results.json").read_text(encoding="utf-8")
        assert len(text) < 200_000, f"{student}: the record grew with what the code printed"
        results = json.loads(text)
        got = scores(results)
        assert got[exercise] < FULL[exercise], (student, got)
        assert {e: s for e, s in got.items() if e != exercise} == {e: s for e, s in FULL.items() if e != exercise}, (
            student,
            got,
        )
        failed = [t["output"] for t in results["tests"] if t["name"].startswith(exercise) and t["score"] == 0]
        assert failed and any(words in output for output in failed), (student, failed)
    # Nothing left behind: no process of the batch (their command lines name its scratch folder), no file.
    assert hostile.leftovers(str(scratch)) == []
    assert list(scratch.iterdir()) == []


def _grade(folder: Path, exercises: tuple[str, ...], tmp_path: Path, timeout: float = TIMEOUT):
    """Grade `exercises` of `folder` in one session, as grade_submission does; the session is returned open."""
    options = Options(exercises=exercises, timeout=timeout, memory_bytes=2 << 30)
    target = Target(folder.name, str(folder))
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    session, ctx = submission_sandbox(target, options, scratch, threads=1)
    rows = {e: grade_exercise(target, e, options, session, ctx) for e in exercises}
    return session, rows


def test_a_crash_costs_a_child_and_a_time_out_the_sandbox(tmp_path):
    """One sandbox serves every exercise; os._exit and a segfault end only their child (the
    sandbox stays), an endless loop ends the whole sandbox and the next exercise gets a fresh one."""
    assert isolation_available()["bwrap"]
    folder = hostile.solutions(tmp_path / "student", ("tensors", "autograd", "model"))
    hostile.plant(folder, "autograd", "backward_twice", hostile.EXIT)
    hostile.plant(folder, "autograd", "sgd_step", hostile.SEGFAULT)
    session, rows = _grade(folder, ("tensors", "autograd", "model"), tmp_path)
    try:
        assert session.sandboxes == 1
        assert all(r.status is Status.PASSED for e in ("tensors", "model") for r in rows[e])
        autograd = {r.name: r for r in rows["autograd"]}
        assert len(autograd) == len(checks_for("autograd"))
        crashed = [r for r in autograd.values() if r.status is not Status.PASSED]
        assert {r.name for r in crashed} == {"backward_twice", "sgd_step"}, autograd
        messages = " ".join(r.message.en for r in crashed)
        assert "exit status 3" in messages and "exit status -11" in messages
    finally:
        session.close()

    folder = hostile.solutions(tmp_path / "looper", ("tensors", "model"))
    hostile.plant(folder, "tensors", "gram", hostile.IDLE_LOOP)
    session, rows = _grade(folder, ("tensors", "model"), tmp_path, timeout=LOOPER_TIMEOUT)
    try:
        assert session.sandboxes == 2  # the time-out killed the first
        assert any("time limit" in (r.message.en if r.message else "") for r in rows["tensors"])
        assert all(r.status is Status.PASSED for r in rows["model"])
    finally:
        session.close()
    assert hostile.leftovers(str(tmp_path / "scratch")) == []


LEAVE = """
import os as _os, subprocess as _subprocess, sys as _sys
_subprocess.Popen([_sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "{marker}"],
                  start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
open(_os.path.join(_os.path.expanduser("~"), "{marker}"), "w").write("left behind")
import ctypes as _ctypes
_libc = _ctypes.CDLL(None, use_errno=True)
if _libc.mq_open(b"/{marker}", _os.O_CREAT | _os.O_RDWR, 0o600, None) < 0:  # a POSIX message queue
    raise RuntimeError("mq_open failed: errno " + str(_ctypes.get_errno()))
"""
FIND = """
import ctypes as _ctypes, os as _os
if _os.path.exists(_os.path.join(_os.path.expanduser("~"), "{marker}")):
    raise RuntimeError("a file of an earlier exercise is still here")
if _ctypes.CDLL(None, use_errno=True).mq_open(b"/{marker}", _os.O_RDONLY) >= 0:
    raise RuntimeError("a message queue of an earlier exercise is still here")
"""


def test_the_next_exercise_finds_nothing_of_the_last_one(tmp_path):
    """autograd's code leaves a process in a session of its own, a file in the tmpfs and a POSIX
    message queue; the worker kills the one and removes the others before model's child starts, in
    the same sandbox."""
    assert isolation_available()["bwrap"]
    marker = f"blitz-left-{uuid.uuid4().hex[:10]}"
    folder = hostile.solutions(tmp_path / "student", ("autograd", "model"))
    for exercise, code in (("autograd", LEAVE), ("model", FIND)):
        path = folder / f"{exercise}.py"
        path.write_text(path.read_text(encoding="utf-8") + code.format(marker=marker), encoding="utf-8")
    options = Options(exercises=("autograd", "model"), timeout=TIMEOUT, memory_bytes=2 << 30)
    target = Target("student", str(folder))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    session, ctx = submission_sandbox(target, options, scratch, threads=1)
    try:
        rows = grade_exercise(target, "autograd", options, session, ctx)
        assert all(r.status is Status.PASSED for r in rows)
        assert kit.marked_processes(marker) == {}  # gone while its sandbox still runs
        assert session.alive()
        rows = grade_exercise(target, "model", options, session, ctx)
        assert [r.status for r in rows] == [Status.PASSED] * len(rows), [r.message for r in rows]
        assert session.sandboxes == 1
    finally:
        session.close()


TAMPER = """
import ctypes as _ctypes
_outcome = []
try:
    open("/proc/1/mem", "rb").close()
    _outcome.append("mem: opened")
except OSError as _exc:
    _outcome.append(f"mem: {type(_exc).__name__}")
_libc = _ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = _ctypes.c_long
_libc.ptrace.argtypes = [_ctypes.c_long, _ctypes.c_long, _ctypes.c_void_p, _ctypes.c_void_p]
_done = _libc.ptrace(16, 1, None, None)  # PTRACE_ATTACH to the worker, pid 1 of the sandbox
_outcome.append(f"ptrace: {'attached' if _done == 0 else 'errno ' + str(_ctypes.get_errno())}")
raise RuntimeError("tamper " + ", ".join(_outcome))
"""


def test_student_code_cannot_trace_or_read_the_worker(tmp_path):
    """The worker (pid 1) is not dumpable: its child, running student code as the same uid, can
    neither open its memory nor ptrace it (EPERM), so it cannot tamper with later exercises' children."""
    assert isolation_available()["bwrap"]
    folder = hostile.solutions(tmp_path / "student", ("tensors",))
    hostile.plant(folder, "tensors", "gram", *TAMPER.strip().splitlines())
    session, rows = _grade(folder, ("tensors",), tmp_path)
    session.close()
    gram = next(r for r in rows["tensors"] if r.name == "gram")
    assert gram.status is not Status.PASSED and "tamper " in gram.message.en, gram.message
    assert "mem: PermissionError" in gram.message.en and "ptrace: errno 1" in gram.message.en, gram.message.en
    assert all(r.status is Status.PASSED for r in rows["tensors"] if r.name != "gram")


INJECT = """
import os as _os, pickle as _pickle, struct as _struct, sys as _sys
class _Payload:
    def __reduce__(self):
        return (exec, ("open('/tmp/blitz-pwned', 'w').write('the worker ran my pickle')",))
_data = _pickle.dumps(_Payload())
_fd = _os.open(f"/proc/self/fd/{_sys.argv[1]}", _os.O_WRONLY)  # the worker's request pipe, reopened
_os.write(_fd, _struct.pack(">Q", len(_data)) + _data)
_os._exit(0)  # the worker reads the pipe next, once it has reaped this child
"""
PWNED = """
import os as _os
if _os.path.exists("/tmp/blitz-pwned"):
    raise RuntimeError("pwned: " + open("/tmp/blitz-pwned").read())
"""


def test_student_code_cannot_write_into_the_workers_request_pipe(tmp_path):
    """A child tries to reopen the worker's request pipe for writing through /proc/self/fd, to hand
    it a pickle that would run code: the pipe is the grader's (EACCES). (Were it written, the worker
    would not run it either: it compares frames with its one request and never unpickles them.) The
    exercise's next child finds nothing the payload would have written."""
    assert isolation_available()["bwrap"]
    folder = hostile.solutions(tmp_path / "student", ("tensors",))
    hostile.plant(folder, "tensors", "stack", *INJECT.strip().splitlines())
    hostile.plant(folder, "tensors", "double_in_place", *PWNED.strip().splitlines())
    session, rows = _grade(folder, ("tensors",), tmp_path)
    session.close()
    result = {r.name: r for r in rows["tensors"]}
    assert result["stack"].status is not Status.PASSED
    assert "PermissionError: [Errno 13] Permission denied: '/proc/self/fd/" in result["stack"].message.en
    assert result["double_in_place"].status is Status.PASSED, result["double_in_place"].message
    assert all(r.status is Status.PASSED for n, r in result.items() if n != "stack")


def test_the_data_check_reads_the_private_copy_with_its_shuffled_test_labels(tmp_path):
    """The sandbox covers the true test labels for every exercise (the capstone shares it): the data
    check compares the test split with the shuffled labels its child sees, so the reference passes
    and a load_mnist that ignores `train` still fails."""
    assert isolation_available()["bwrap"]
    data = os.environ.get("BLITZ_DATA", "")
    for name, patch, expected in (("reference", None, Status.PASSED), ("wrong_split", "load_ignores_train", None)):
        folder = mutants.build(tmp_path / name, mutants.by_name(patch) if patch else None, only=("data",))
        options = Options(exercises=("data",), timeout=60, data_root=data, memory_bytes=2 << 30)
        target = Target(name, str(folder))
        scratch = tmp_path / f"scratch-{name}"
        scratch.mkdir()
        session, ctx = submission_sandbox(target, options, scratch, threads=1)
        try:
            assert ctx.capstone is not None  # the private copy, its labels shuffled
            rows = {r.name: r for r in grade_exercise(target, "data", options, session, ctx)}
        finally:
            session.close()
        if expected is Status.PASSED:
            assert all(r.status is Status.PASSED for r in rows.values()), rows
        else:
            assert rows["load_mnist"].status is Status.FAILED
            assert "train=False loads the test split" in rows["load_mnist"].message.en
            assert all(r.status is Status.PASSED for n, r in rows.items() if n != "load_mnist"), rows


def test_the_grader_keeps_its_share_of_cores(tmp_path, monkeypatch):
    """The trusted process's own torch work runs on the grading worker's share of the cores (more threads
    only spin on cores the sandboxes need)."""
    import torch

    from blitz.grading import runner

    target = Target("s", str(hostile.solutions(tmp_path / "s", ("tensors",))))
    asked = []
    monkeypatch.setattr(torch, "set_num_threads", asked.append)
    rows = runner.grade_in_sandbox(target, Options(exercises=("tensors",), threads=1, timeout=TIMEOUT))
    assert asked == [1]
    assert all(r.status is Status.PASSED for r in rows["tensors"])
