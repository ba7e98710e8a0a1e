"""`blitz grade`: discovery, the report formats, resuming, bad input, missing data, Dask, and the
sandbox layers it relies on. Hostile submissions are in tests/corpora/test_adversarial.py.

The CLI runs in a subprocess, as an instructor runs it. Most batches grade only the `model`
exercise (the cheapest to start) to keep the suite fast; test_adversarial.py grades the others.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import kit
import mutants
import pytest
import torch

from blitz.course import mnist, registry
from blitz.course.progress import SubmissionsProgress
from blitz.execution.sandbox.process import Sandbox, SandboxPolicy, isolation_available
from blitz.execution.sandbox.view import essentials
from blitz.grading.discover import Target, discover
from blitz.grading.runner import MNIST_TEST_LABELS, Options, fingerprint, private_mnist, sandbox_view

ISO = isolation_available()
ESSENTIALS = tuple(essentials())
needs_mounts = pytest.mark.skipif(
    not (ISO["mountns"] and ISO["keep"] and ISO["readonly"]), reason="no mount namespace here: paths cannot be hidden"
)


def blitz(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """The instructor's `blitz grade ...`, messages in both languages."""
    return kit.blitz(*args, lang="both", env=env, cwd=cwd, timeout=timeout)


# model.count_parameters counts frozen parameters too: one check of four fails (3 of 15 points).
COUNT_FROZEN = mutants.by_name("count_frozen_parameters")


# ---------------------------------------------------------------------------------------------- one class


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A class folder: alice (reference), bob (one bug), carol (empty folder); plus a path that is not there."""
    root = tmp_path_factory.mktemp("grading")
    subs = root / "class"
    mutants.build(subs / "alice")
    mutants.build(subs / "bob", COUNT_FROZEN, only=("model", "tensors"))
    (subs / "carol").mkdir()
    (subs / "__pycache__").mkdir()  # not a student
    out = root / "out"
    # --workers 1: graded in the grader's own process (a pool would start an interpreter per worker, each importing
    # torch, for two submissions that grade in seconds; the pool is graded in test_grade_engine, test_grading_pool).
    run = blitz(
        "grade", str(subs), str(root / "dave"), "--out", str(out), "--exercises", "model", "--workers", "1", cwd=root
    )
    return root, subs, out, run


def load(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_class_folder_graded_with_exit_status_zero(klass):
    root, subs, out, run = klass
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "alice",
        "bob",
        "carol",
        "checks.csv",
        "class_report",
        "dave",
        "grades.csv",
        "junit.xml",
        "lms_grades.csv",
    ]
    assert load(out, "alice")["score"] == 15
    assert load(out, "bob")["score"] == pytest.approx(12)
    assert not list(out.rglob("*.tmp")), "a temporary file of an atomic write was left behind"


@pytest.mark.slow
def test_missing_and_empty_paths_named_and_scored_zero(klass):
    root, subs, out, run = klass
    for student, words in (("carol", "holds no exercise module"), ("dave", "does not exist")):
        results = load(out, student)
        assert results["score"] == 0
        assert str(root / student if student == "dave" else subs / student) in results["output"]
        assert words in results["output"] and any(zh in results["output"] for zh in ("没有", "不存在"))
        assert all(t["status"] == "failed" and words in t["output"] for t in results["tests"])
    assert "dave" in run.stderr and "does not exist" in run.stderr


@pytest.mark.slow
def test_results_json_is_gradescope_format(klass):
    _, _, out, _ = klass
    results = load(out, "bob")
    assert set(results) >= {
        "score",
        "execution_time",
        "output",
        "visibility",
        "stdout_visibility",
        "tests",
        "extra_data",
    }
    assert results["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    tests = results["tests"]
    assert [t["name"].split(":")[0] for t in tests] == [
        "model.conv_output_size",
        "model.cnn_structure",
        "model.cnn_function",
        "model.count_parameters",
    ]
    for t in tests:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility", "extra_data"}
        assert t["status"] in ("passed", "failed") and isinstance(t["extra_data"]["execution_time"], float)
    # Only the fields Gradescope documents (tests/gradescope_results.schema.json, as for `blitz gradescope`).
    schema = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, schema)
    # max_score per check from blitz.checks (Check.max_score): weights 1, 1, 2, 1 of 15 points
    assert [t["max_score"] for t in tests] == [3.0, 3.0, 6.0, 3.0]
    failed = [t for t in tests if t["status"] == "failed"]
    assert [t["name"].split(":")[0] for t in failed] == ["model.count_parameters"]
    assert failed[0]["score"] == 0 and "count_parameters" in failed[0]["output"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in tests))
    assert results["extra_data"]["max_score"] == 15
    assert len(results["extra_data"]["fingerprint"]) == 64


@pytest.mark.slow
def test_grades_csv_and_junit(klass):
    _, _, out, _ = klass
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert list(rows[0]) == [
        "student", "total", "max_total", "model", "status", "notes", "adjustments", "late_days", "penalty", "final"
    ]  # fmt: skip
    table = {r["student"]: r for r in rows}
    assert table["alice"]["total"] == "15" and table["bob"]["model"] == "12"  # points: no trailing zeros
    assert table["carol"]["status"] == "empty" and table["dave"]["status"] == "missing"
    assert "does not exist" in table["dave"]["notes"]
    tree = ET.parse(out / "junit.xml").getroot()
    suites = {s.get("name"): s for s in tree.findall("testsuite")}
    assert set(suites) == {"alice", "bob", "carol", "dave"}
    bob = suites["bob"]
    assert bob.get("tests") == "4" and bob.get("failures") == "1"
    failure = [c for c in bob.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failure] == ["model.count_parameters"]
    assert "count_parameters" in failure[0].find("failure").get("message")


@pytest.mark.slow
def test_summary_table_and_progress(klass):
    _, _, _, run = klass
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["student", "total", "model", "status"]
    assert any(line.split()[:3] == ["bob", "12", "12"] for line in lines)  # points: no trailing zeros
    assert "[4/4]" in run.stderr  # one progress line per submission when stderr is not a terminal


@pytest.mark.slow
def test_resume_skips_unchanged_and_regrades_changed(klass):
    root, subs, out, _ = klass
    stamp = (out / "alice" / "results.json").stat().st_mtime_ns
    again = blitz("grade", str(subs), str(root / "dave"), "--out", str(out), "--exercises", "model", cwd=root)
    assert again.returncode == 0 and "0 graded, 4 kept" in again.stdout
    assert (out / "alice" / "results.json").stat().st_mtime_ns == stamp
    # bob fixes his bug: only bob is graded again
    shutil.copyfile(registry.get("model").solution_path, subs / "bob" / "model.py")
    fixed = blitz("grade", str(subs), str(root / "dave"), "--out", str(out), "--exercises", "model", cwd=root)
    assert "1 graded, 3 kept" in fixed.stdout
    assert load(out, "bob")["score"] == 15 and (out / "alice" / "results.json").stat().st_mtime_ns == stamp
    forced = blitz("grade", str(subs / "alice"), "--out", str(out), "--exercises", "model", "--force", cwd=root)
    assert "1 graded, 0 kept" in forced.stdout
    assert (out / "alice" / "results.json").stat().st_mtime_ns != stamp


@pytest.mark.slow
def test_stopped_batch_keeps_finished_results_and_resumes(tmp_path):
    """One worker grades a, then b; stopped once a is done (b is then being graded), the batch keeps a, and
    the resumed one keeps a and grades b."""
    for name in ("a", "b"):
        mutants.build(tmp_path / "class" / name, only=("model",))
    out = tmp_path / "out"
    cmd = kit.command() + [
        "grade",
        str(tmp_path / "class"),
        "--out",
        str(out),
        "--exercises",
        "model",
        "--workers",
        "1",
        "--no-progress",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=kit.environment("en"),
    )
    deadline = time.monotonic() + 120
    while not (out / "a" / "results.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.terminate()  # as `kill` does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "resumes where it stopped" in err
    assert load(out, "a")["score"] == 15 and not list(out.rglob("*.tmp"))
    assert "a," in (out / "grades.csv").read_text()
    again = blitz("grade", str(tmp_path / "class"), "--out", str(out), "--exercises", "model", cwd=tmp_path)
    assert again.returncode == 0 and "kept from an earlier run" in again.stdout
    kept = int(again.stdout.split(" graded, ")[1].split()[0])
    assert kept >= 1 and load(out, "b")["score"] == 15


# ---------------------------------------------------------------------------------------------- bad input


def test_bad_arguments_exit_two_with_both_languages(tmp_path):
    unknown = blitz("grade", str(tmp_path), "--exercises", "tensors,nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "nope" in unknown.stderr and "未知" in unknown.stderr
    assert "tensors, autograd" in unknown.stderr
    workers = blitz("grade", str(tmp_path), "--workers", "0", cwd=tmp_path)
    assert workers.returncode == 2 and "--workers" in workers.stderr


def test_unwritable_out_dir_exits_two(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    run = blitz("grade", str(tmp_path), "--out", str(tmp_path / "file" / "out"), cwd=tmp_path)
    assert run.returncode == 2
    assert "cannot write to the output folder" in run.stderr and "无法写入" in run.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_refused(tmp_path):
    run = blitz("grade", str(tmp_path), "--device", "cuda", cwd=tmp_path)
    assert run.returncode == 2 and "no usable CUDA GPU" in run.stderr


def test_help_says_how_a_class_folder_is_detected():
    run = blitz("grade", "--help", cwd=registry.ROOT)
    assert "class folder" in run.stdout and "subfolder" in run.stdout


def test_discover(tmp_path):
    mutants.build(tmp_path / "one" / "x", only=("tensors",))
    (tmp_path / "one" / "y").mkdir()
    mutants.build(tmp_path / "two" / "x", only=("model",))
    (tmp_path / "file.py").write_text("")
    targets = discover(
        [str(tmp_path / "one"), str(tmp_path / "two" / "x"), str(tmp_path / "file.py"), str(tmp_path / "none")]
    )
    assert [(t.student, t.problem) for t in targets] == [  # two folders named x: both refused (issue 21)
        ("x", "collision"),
        ("y", "empty"),
        ("x%%2", "collision"),
        ("file.py", "notdir"),
        ("none", "missing"),
    ]


# ---------------------------------------------------------------------------------------------- data


@pytest.mark.slow
def test_missing_mnist_fails_only_the_checks_that_need_it(tmp_path):
    mutants.build(tmp_path / "class" / "alice", only=("data",))
    run = blitz(
        "grade",
        str(tmp_path / "class"),
        "--out",
        str(tmp_path / "out"),
        "--exercises",
        "data",
        "--data",
        str(tmp_path / "nodata"),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "no MNIST under" in run.stderr
    tests = {t["name"].split(":")[0]: t for t in load(tmp_path / "out", "alice")["tests"]}
    assert tests["data.mnist_transform"]["status"] == "passed" and tests["data.make_loaders"]["status"] == "passed"
    failed = tests["data.load_mnist"]
    assert (
        failed["status"] == "failed"
        and "MNIST is not under" in failed["output"]
        and "blitz download" in failed["output"]
    )


def test_private_mnist_shuffles_the_test_labels_only(tmp_path):
    from torchvision import datasets
    from torchvision.datasets.mnist import read_label_file

    real = mnist.require()  # no MNIST: a failure that says how to get it, never a skip
    shuffled = private_mnist(real, tmp_path / "data")
    truth = datasets.MNIST(str(real), train=False).targets
    seen = datasets.MNIST(str(tmp_path / "data"), train=False)
    assert torch.equal(seen.targets, shuffled)
    assert torch.equal(torch.sort(shuffled).values, torch.sort(truth).values)  # the same labels...
    assert (shuffled == truth).float().mean() < 0.2  # ...in an order that tells nothing
    assert torch.equal(seen.data, datasets.MNIST(str(real), train=False).data)
    train = datasets.MNIST(str(tmp_path / "data"), train=True)
    assert torch.equal(train.targets, datasets.MNIST(str(real), train=True).targets)
    assert len(read_label_file(str(tmp_path / "data" / "MNIST" / "raw" / MNIST_TEST_LABELS))) == len(truth)


def test_fingerprint_follows_files_and_options(tmp_path):
    folder = mutants.build(tmp_path / "s", only=("tensors",))
    target, options = Target("s", str(folder)), Options(exercises=("tensors",))
    first = fingerprint(target, options)
    assert fingerprint(target, options) == first
    assert fingerprint(target, Options(exercises=("tensors",), seed=1)) != first
    assert fingerprint(target, Options(exercises=("tensors",), threads=4)) == first  # not decisive
    (folder / "tensors.py").write_text((folder / "tensors.py").read_text() + "\n# edited\n")
    assert fingerprint(target, options) != first


def test_progress_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = SubmissionsProgress(2, stream=stream)
    bar.advance("alice", 15, 15, "graded")
    bar.advance("bob", 12, 15, "graded", reused=True)
    text = stream.getvalue()
    assert text.startswith("\r[") and "1/2" in text and "2/2" in text and "kept" in text and text.endswith("\n")


def test_progress_off_a_terminal_is_one_line_per_submission():
    stream = io.StringIO()
    bar = SubmissionsProgress(3, stream=stream)
    bar.advance("alice", 15, 15, "graded")
    bar.advance("bob", 12, 15, "graded", reused=True)
    bar.advance("carol", 0, 15, "timeout")
    bar.close()
    lines = stream.getvalue().split("\n")
    assert lines[-1] == "" and "\r" not in stream.getvalue()
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        "[1/3] alice 15/15",
        "[2/3] bob 12/15",
        "[3/3] carol 0/15",
    ]
    assert "(kept / 沿用)" in lines[1] and "(timeout)" in lines[2] and "left)" in lines[2]
    assert bar.graded == 2 and bar.bar.tqdm.initial == 1  # the kept one is left out of the time per submission


def test_no_progress_writes_nothing():
    stream = io.StringIO()
    bar = SubmissionsProgress(1, stream=stream, enabled=False)
    bar.advance("alice", 15, 15, "graded")
    bar.close()
    assert stream.getvalue() == "" and bar.done == 1


# ---------------------------------------------------------------------------------------------- sandbox layers


def sandboxed(code: str, workdir: Path, policy: SandboxPolicy, timeout: float = 60) -> tuple[int | None, str]:
    box = Sandbox([sys.executable, "-I", "-S", "-c", code], str(workdir), policy)
    try:
        code_ = box.wait(timeout)
        return code_, box.output()
    finally:
        box.kill()


@needs_mounts
def test_worker_sees_only_what_is_kept_and_writes_only_its_tmpfs(tmp_path):
    scratch = tmp_path / "scratch"
    mine, other, data = scratch / "mine", scratch / "other", tmp_path / "data"
    for d in (mine, other, data):
        d.mkdir(parents=True)
    (mine / "code.py").write_text("mine")
    (other / "answers.py").write_text("secret")
    (data / "images").write_text("pixels")
    (data / "labels").write_text("answers")
    hides, keeps = sandbox_view([str(scratch), str(data / "labels")], [str(data), str(mine)])
    code = f"""
import os
print("other", os.path.exists({str(other / "answers.py")!r}))
print("mine", open({str(mine / "code.py")!r}).read())
print("images", open({str(data / "images")!r}).read())
print("labels", repr(open({str(data / "labels")!r}).read()))
for p in ("new", {str(mine / "new")!r}, {str(data / "new")!r}, {str(registry.ROOT / "blitz" / "new")!r}, "/etc/new"):
    try:
        open(p, "w").write("x"); print("wrote", p)
    except OSError as e:
        print("refused", p, e.strerror)
print("home", os.path.expanduser("~"), os.getcwd(), sorted(os.listdir(".")))
"""
    status, out = sandboxed(code, mine, SandboxPolicy(hide_paths=hides, keep_paths=keeps))
    assert status == 0, out
    assert "other False" in out and "mine mine" in out and "images pixels" in out and "labels ''" in out
    assert "wrote new" in out and "home /tmp /tmp" in out, out  # its own tmpfs: relative paths work
    assert not (mine / "new").exists() and not Path("/tmp/new").exists()
    for refused in (mine / "new", data / "new", registry.ROOT / "blitz" / "new", "/etc/new"):
        assert f"refused {refused}" in out, out
        assert not Path(refused).exists()


def test_kill_reaches_an_escaped_grandchild(tmp_path):
    marker = f"blitz-escape-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}], start_new_session=True)\n"
        "print('started', flush=True)\nimport time\ntime.sleep(600)\n"
    )
    box = Sandbox([sys.executable, "-I", "-S", "-c", code], str(tmp_path), SandboxPolicy(keep_paths=ESSENTIALS))
    deadline = time.monotonic() + 30
    while "started" not in box.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    box.kill()
    time.sleep(0.5)
    alive = list(kit.marked_processes(marker))
    assert alive == []


def test_sandbox_dies_with_the_process_that_started_it(tmp_path):
    """A grader killed with SIGKILL takes its sandboxes along (PR_SET_PDEATHSIG), even without cleanup."""
    marker = f"blitz-orphaned-{uuid.uuid4().hex}"
    starter = (
        "import sys, time\n"
        "from blitz.execution.sandbox.process import Sandbox, SandboxPolicy\n"
        f"box = Sandbox([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}], {str(tmp_path)!r}, "
        f"SandboxPolicy(keep_paths={ESSENTIALS!r}))\n"
        "print(box.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()
        deadline = time.monotonic() + 30

        def sandboxed_python() -> bool:  # the worker itself, not the starter or the sandbox's shell
            return any(
                not any(w in c for w in (b"Sandbox", b"bash", b"bwrap", b"setpriv"))
                for c in kit.marked_processes(marker).values()
            )

        while not sandboxed_python():
            assert time.monotonic() < deadline, "the sandboxed process never started"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while left := [(p, c[:200]) for p, c in kit.marked_processes(marker).items()]:
            assert time.monotonic() < deadline, f"the sandbox outlived the process that started it: {left}"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()


# ---------------------------------------------------------------------------------------------- Dask


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real scheduler and a real worker, each its own process, on the loopback; torn down by pid."""
    pytest.importorskip("distributed")
    dask = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command is not installed")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "dask.log", "w")
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(tmp_path / "dask-tmp")}
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=True,
            env=env,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "dask.log").read_text()
                time.sleep(0.3)
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nthreads",
                    "2",
                    "--nworkers",
                    "1",
                    "--no-nanny",  # the worker in this process: no nanny's second interpreter importing distributed
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / "dask-worker"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
                start_new_session=True,
                env=env,
            )
        )
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in reversed(procs):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        log.close()


@pytest.mark.slow
def test_grading_on_a_dask_cluster_matches_local(tmp_path, dask_cluster):
    subs = tmp_path / "class"
    mutants.build(subs / "alice", only=("model",))
    mutants.build(subs / "bob", COUNT_FROZEN, only=("model",))
    run = blitz(
        "grade",
        str(subs),
        "--out",
        str(tmp_path / "out"),
        "--exercises",
        "model",
        "--dask",
        dask_cluster,
        cwd=tmp_path,
        env={"DASK_TEMPORARY_DIRECTORY": str(tmp_path / "dask-tmp")},
    )
    assert run.returncode == 0, run.stderr + (tmp_path / "dask.log").read_text()[-3000:]
    assert load(tmp_path / "out", "alice")["score"] == 15
    bob = load(tmp_path / "out", "bob")
    assert bob["score"] == pytest.approx(12)
    assert [t["name"].split(":")[0] for t in bob["tests"] if t["status"] == "failed"] == ["model.count_parameters"]
    assert "isolation" in bob["extra_data"]["record"] and "Dask" in run.stderr


def test_dask_scheduler_unreachable_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    mutants.build(tmp_path / "class" / "alice", only=("model",))
    run = blitz(
        "grade",
        str(tmp_path / "class"),
        "--out",
        str(tmp_path / "out"),
        "--exercises",
        "model",
        "--dask",
        f"tcp://127.0.0.1:{free_port()}",
        cwd=tmp_path,
        timeout=180,
    )
    assert run.returncode == 1 and "Cannot reach the Dask scheduler" in run.stderr


# ---------------------------------------------------------------------------------------------- GPU


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_grading_gives_the_same_scores(tmp_path):
    mutants.build(tmp_path / "class" / "alice")
    mutants.build(tmp_path / "class" / "bob", COUNT_FROZEN)
    exercises = "tensors,model,train,evaluate"
    cpu = blitz(
        "grade", str(tmp_path / "class"), "--out", str(tmp_path / "cpu"), "--exercises", exercises, cwd=tmp_path
    )
    gpu = blitz(
        "grade",
        str(tmp_path / "class"),
        "--out",
        str(tmp_path / "gpu"),
        "--exercises",
        exercises,
        "--device",
        "cuda",
        cwd=tmp_path,
    )
    assert cpu.returncode == 0 and gpu.returncode == 0, gpu.stderr
    for student in ("alice", "bob"):
        a, b = load(tmp_path / "cpu", student), load(tmp_path / "gpu", student)
        assert [t["status"] for t in a["tests"]] == [t["status"] for t in b["tests"]]
        assert a["score"] == b["score"]


def test_a_worker_that_cannot_start_is_the_graders_fault(monkeypatch, tmp_path):
    """No student code has run when the sandbox fails to start: the message blames the grader."""
    from blitz.checks import Context, get_check
    from blitz.execution.sandbox.isolated import IsolatedSubmission
    from blitz.grading.runner import judge_check

    monkeypatch.setattr("blitz.execution.sandbox.session.sys.executable", "/bin/false")
    sub = IsolatedSubmission(registry.ROOT / "solutions", "tensors", timeout=30)
    try:
        row = judge_check(get_check("tensors.from_data"), sub, Context())
    finally:
        sub.close()
    assert row.status == "error"
    assert "grader failed before running your code" in json.dumps(row.to_json(), ensure_ascii=False)
