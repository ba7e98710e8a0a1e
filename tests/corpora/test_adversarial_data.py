"""Hostile answers, files, names and evidence, through the real `blitz grade` command.

The harness is tests/corpora/test_adversarial.py's (tests/corpora/adversarial/README.md): each adversary is a copy
of the reference solutions with hostile files appended or added, graded in ONE batch per group next
to an untouched reference, with --exercises limited to what the attacks need. This file covers what
the trusted side reads from a student: answers (the wire format: NaN, a pickle bomb, a lying tensor
header), files (a FIFO, links to /dev/zero or to a classmate), names (folders named like a report,
a spreadsheet formula, an escape sequence, a newline) and evidence (facts forged inside the
student's process; the capstone's accuracy, computed on the trusted side from trained weights, is
graded with the capstone's other adversaries in tests/corpora/test_adversarial.py).

Each case asserts: the attacker's score is exactly what the code deserves, every other student's
result is intact, the batch exits 0, no scratch file is left (the grader runs with its own TMPDIR),
and a canary file outside every submission is unchanged. The quick tests at the end drive the same
pieces (discovery, fingerprints, names) in this process.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import kit
import mutants
import pytest
import torch
from test_adversarial import HERE, World, fill

from blitz.checks import checks_for
from blitz.course import mnist, registry
from blitz.engine import compare
from blitz.engine.check import CheckFailure
from blitz.execution import files
from blitz.exercises.tensors import checks as tensor_checks
from blitz.grading import names
from blitz.grading.discover import discover
from blitz.grading.runner import Options, fingerprint

GROUPS = {
    # group: (exercises graded, extra options)
    "data": (("tensors", "evaluate"), ["--timeout", "30", "--memory", "1.5"]),
}
FULL = {"tensors": 15.0, "evaluate": 10.0}


def points(*keys: str) -> float:
    """The points of the named checks (exercise.name)."""
    table = {c.key: c.max_score for e in ("tensors", "evaluate", "pipeline") for c in checks_for(e)}
    return sum(table[k] for k in keys)


def fifo(folder: Path) -> None:
    os.mkfifo(folder / "notes.py")


def dev_zero(folder: Path) -> None:
    (folder / "notes.py").symlink_to("/dev/zero")


def classmate_link(folder: Path) -> None:
    (folder / "tensors.py").unlink()
    (folder / "tensors.py").symlink_to(folder.parent / "reference" / "tensors.py")


@dataclass(frozen=True)
class Case:
    name: str  # the submission folder's name (the student's choice)
    group: str
    scores: dict  # exercise -> the score the code deserves
    says: tuple[str, ...] = ()  # words the student's output must hold (English side)
    files: str = ""  # tests/corpora/adversarial/<files>/ to append, as in test_adversarial.py
    make: Callable[[Path], None] | None = field(default=None, compare=False)  # more hostile entries
    status: str = "graded"

    @property
    def student(self) -> str:
        return names.student_id(self.name)


ZERO = {"tensors": 0.0, "evaluate": 0.0}
CASES = (
    # ---- files: the submission is not read at all, and costs nothing else
    Case("fifo_notes", "data", ZERO, ("not graded: notes.py is a FIFO",), make=fifo, status="refused"),
    Case("dev_zero_notes", "data", ZERO, ("not graded: notes.py is a symlink",), make=dev_zero, status="refused"),
    Case("classmate_link", "data", ZERO, ("tensors.py is a symlink",), make=classmate_link, status="refused"),
    # ---- names: graded like anyone else, without touching a report or the terminal
    Case("grades.csv", "data", FULL),
    Case("junit.xml", "data", FULL),
    Case('=HYPERLINK("evil.example","click")', "data", FULL),
    Case("ansi\x1b[2J\x1b]0;pwned\x07\x1b[31mred", "data", FULL),
    Case("newline\n[9 of 9] forged 100.00 of 100.00", "data", FULL),
    # ---- answers: NaN, and bytes forged by patching the worker's writer
    Case(
        "nan_accuracy",
        "data",
        {"tensors": 15.0, "evaluate": 10 - points("evaluate.accuracy")},
        ("NaN/inf where a finite number was expected",),
        files="nan_accuracy",
    ),
    Case(
        "nan_rand",
        "data",
        {"tensors": 15 - points("tensors.ones_and_rand_like", "tensors.rand_ones_zeros"), "evaluate": 10.0},
        ("NaN/inf where a finite number was expected",),
        files="nan_rand",
    ),
    Case("pickle_bomb_answer", "data", {"tensors": 15.0, "evaluate": 0.0}, ("unreadable data",), "pickle_bomb_answer"),
    Case("lying_size_answer", "data", {"tensors": 15.0, "evaluate": 0.0}, ("unreadable data",), "lying_size_answer"),
    # ---- evidence: facts measured in the student's process can be forged; values cannot
    Case(
        "forge_facts_wrong_values",
        "data",
        {
            "tensors": 15 - points("tensors.from_numpy", "tensors.zero_column", "tensors.double_in_place"),
            "evaluate": 10.0,
        },
        ("largest difference",),
        files="forge_facts_wrong_values",
    ),
    # The remaining risk SECURITY.md states: with the right values from copies and forged facts, the
    # three in-place / shared-memory checks (3.75 points) pass. This pins it to exactly those.
    Case("forge_facts_right_values", "data", FULL, files="forge_facts_right_values"),
    # ---- the capstone's evidence (nn_without_training: accuracy computed here from the trained weights,
    # not from the worker's predictions) is graded in tests/corpora/test_adversarial.py's pipeline batch,
    # which trains the capstone anyway.
)


@dataclass
class Batch:
    rc: int
    stdout: str
    stderr: str
    out: Path
    tmp: Path
    results: dict  # student -> results.json
    canary_before: str
    canary_after: str
    members: list


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build(folder: Path, case: Case | None, world: World, subs: Path, out: Path) -> None:
    mutants.build(folder)
    if case is None:
        return
    if case.files:
        for path in sorted((HERE / case.files).glob("*.py")):
            text = fill(path.read_text(encoding="utf-8"), world, subs, out)
            target = folder / path.name.replace(".append.py", ".py")
            target.write_text(target.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    if case.make is not None:
        case.make(folder)


def grade(world: World, group: str) -> Batch:
    exercises, extra = GROUPS[group]
    if "pipeline" in exercises:
        mnist.require()  # no MNIST: a failure that says how to get it, never a skip
    base = world.root / group
    subs, out, tmp = base / "class", base / "out", base / "tmp"
    tmp.mkdir(parents=True)
    canary = base / "canary.txt"
    canary.write_text("untouched\n", encoding="utf-8")
    members = [c for c in CASES if c.group == group]
    _build(subs / "reference", None, world, subs, out)
    for case in members:
        _build(subs / case.name, case, world, subs, out)
    before = _sha(canary)
    proc = kit.grade(
        subs, out, exercises, *extra, lang="both", data=str(mnist.data_root()), env={"TMPDIR": str(tmp)}, cwd=world.root
    )
    results = {}
    for folder in sorted(out.iterdir()):
        if (folder / "results.json").is_file():
            results[folder.name] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return Batch(proc.returncode, proc.stdout, proc.stderr, out, tmp, results, before, _sha(canary), members)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("adversarial-data"), None, 0, {}, {})


@pytest.fixture(scope="module")
def graded(world):
    cache: dict[str, Batch] = {}

    def get(group: str) -> Batch:
        if group not in cache:
            cache[group] = grade(world, group)
        return cache[group]

    return get


def scratch_left(batch: Batch) -> list[str]:
    """What the batch left in its TMPDIR. torch's own compile cache (torchinductor_<user>, made when
    the grader imports torchvision.datasets to read MNIST's raw files) is torch's, not a scratch file."""
    return sorted(p.name for p in batch.tmp.iterdir() if not p.name.startswith("torchinductor_"))


def exercise_scores(results: dict) -> dict:
    return {e: s["score"] for e, s in results["extra_data"]["record"]["exercises"].items()}


def expected_others(batch: Batch, group: str, attacker: Case | None) -> dict[str, dict]:
    """Every other student's scores, as their code deserves."""
    full = {e: float(registry.get(e).points) for e in GROUPS[group][0]}
    others = {"reference": full}
    for case in batch.members:
        if case is not attacker:
            others[case.student] = case.scores
    return others


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.student)
def test_attacker_gets_what_the_code_deserves_and_no_one_else_is_touched(case, graded):
    batch = graded(case.group)
    assert batch.rc == 0, batch.stderr[-3000:]
    assert case.student in batch.results, (sorted(batch.results), batch.stderr[-3000:])
    results = batch.results[case.student]
    record = results["extra_data"]["record"]
    # results.json holds no control character (issue 21): the folder is stored through the one sanitizer
    assert record["status"] == case.status and record["folder"].endswith(names.report_text(case.name))
    assert exercise_scores(results) == pytest.approx(case.scores, abs=0.01), json.dumps(results["tests"])[:3000]
    assert results["score"] == pytest.approx(sum(case.scores.values()), abs=0.02)
    text = results["output"] + "\n" + "\n".join(t["output"] for t in results["tests"] if t["status"] == "failed")
    for words in case.says:
        assert words in text, text[:3000]
    for student, scores in expected_others(batch, case.group, case).items():
        assert exercise_scores(batch.results[student]) == pytest.approx(scores, abs=0.01), student
    assert scratch_left(batch) == [], "scratch files left behind"
    assert batch.canary_after == batch.canary_before


# ---------------------------------------------------------------------------------------------- per batch


@pytest.mark.slow
@pytest.mark.parametrize("group", list(GROUPS))
def test_reports_hold_every_student_and_nothing_else(group, graded):
    batch = graded(group)
    assert batch.rc == 0, batch.stderr[-3000:]
    students = {"reference", *(c.student for c in batch.members)}
    assert set(batch.results) == students
    # the class's exports (issue 23 item 5: per-check scores and the LMS's grade file) and nothing else
    reports = {"grades.csv", "junit.xml", "class_report", "checks.csv", "lms_grades.csv"}
    assert {p.name for p in batch.out.iterdir()} == students | reports
    rows = list(csv.DictReader((batch.out / "grades.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == len(students)
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(names.FORMULA_START), row  # no formula a spreadsheet would run
            assert names.terminal(cell) == cell, row
        student = row["student"].removeprefix("'")
        assert float(row["total"]) == pytest.approx(batch.results[student]["score"], abs=0.01)
    suites = ET.parse(batch.out / "junit.xml").getroot().findall("testsuite")
    assert {s.get("name") for s in suites} == students


@pytest.mark.slow
def test_the_terminal_gets_no_escape_and_no_forged_line(graded):
    batch = graded("data")
    for stream in (batch.stdout, batch.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
        assert not any(line.startswith("[9 of 9]") for line in stream.splitlines()), stream[-2000:]
    table = batch.stdout.splitlines()
    # ids are injective (issue 21): the newline and the escapes are written %XX, on one line (the
    # table shows the first 24 columns of an id)
    assert any(line.startswith("newline%0A[9 of 9] forge ") for line in table), batch.stdout[-2000:]
    assert any(line.startswith("ansi%1B[2J%1B]0;pwned%07 ") for line in table), batch.stdout[-2000:]


# ---------------------------------------------------------------------------------------------- in this process


def test_discovery_marks_links_fifos_and_devices_without_opening_them(tmp_path):
    subs = tmp_path / "class"
    for name, make in (("ok", None), ("fifo", fifo), ("zero", dev_zero), ("dir_link", None)):
        if name != "dir_link":
            mutants.build(subs / name)
        if make:
            make(subs / name)
    (subs / "dir_link").symlink_to(subs / "ok")
    targets = {t.student: t for t in discover([str(subs)])}
    assert targets["ok"].problem == ""
    assert targets["fifo"].problem == "unsafe" and "notes.py is a FIFO" in targets["fifo"].detail[1]
    assert targets["zero"].problem == "unsafe" and "notes.py is a symlink" in targets["zero"].detail[1]
    assert targets["dir_link"].problem == "unsafe" and "dir_link is a symlink" in targets["dir_link"].detail[1]
    message = targets["zero"].problem_message()
    assert message.en.startswith("not graded: notes.py is a symlink") and "未评分" in message.zh


def test_fingerprint_and_reads_never_block_on_a_fifo_or_follow_a_link(tmp_path):
    folder = tmp_path / "s"
    mutants.build(folder)
    fifo(folder)
    (folder / "extra.py").symlink_to("/dev/zero")
    options = Options(exercises=("tensors",))
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(fingerprint(discover([str(folder)])[0], options)))
    worker.start()
    worker.join(120)  # a hang would leave the thread running: the test then fails on `done`, not on time
    assert done and len(done[0]) == 64
    for name in ("notes.py", "extra.py"):
        with pytest.raises(files.UnsafeFile):
            files.read_regular(folder / name)
    with pytest.raises(files.UnsafeFile, match="extra.py is a symlink"):  # the first by name
        files.regular_python_files(folder)


def test_size_caps_and_the_safe_copy(tmp_path, monkeypatch):
    folder, dest = tmp_path / "s", tmp_path / "copy"
    mutants.build(folder)
    dest.mkdir()
    copied = files.copy_python_files(folder, dest)
    assert sorted(copied) == sorted(p.name for p in folder.glob("*.py"))
    assert all((dest / n).read_bytes() == (folder / n).read_bytes() for n in copied)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    with pytest.raises(files.UnsafeFile, match="more than the 100 allowed"):
        files.regular_python_files(folder)


def test_names_are_safe_everywhere():
    assert names.csv_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    for start in ("+1", "-1", "@a", "\tx", "\rx"):
        assert names.csv_cell(start).startswith("'")
    assert names.terminal("a\x1b[2Jb\x1b]0;title\x07c\nd\u202e") == "abc?d?"
    assert names.report_text("line one\nline\x00two\x1b[31m") == "line one\nline?two"
    # ids are injective (issue 21): what would name a report, hide, or break a line is escaped %XX
    assert names.student_id("grades.csv") == "%67rades.csv"
    assert names.student_id("JUNIT.XML") == "%4AUNIT.XML"
    assert names.student_id(".hidden") == "%2Ehidden"
    assert names.student_id("a\nb") == "a%0Ab"


@pytest.mark.parametrize(
    "call",
    [
        lambda: compare.expect_tensor(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]), "f(x)"),
        lambda: compare.expect_tensor(torch.tensor([float("inf")]), torch.tensor([1e30]), "f(x)", rtol=1e30),
        lambda: compare.expect_close(float("nan"), 0.5, "f(x)", tol=1e-9, expected_text=("0.5", "0.5")),
        lambda: tensor_checks.expect_uniform(torch.full((2, 3), float("nan")), (2, 3), "rand(2, 3)", "[0]"),
    ],
)
def test_non_finite_numbers_fail_before_any_tolerance(call):
    with pytest.raises(CheckFailure) as info:
        call()
    assert "NaN/inf where a finite number was expected" in info.value.msg.en
    assert "NaN/inf" in info.value.msg.zh


def test_matching_nan_in_the_reference_still_passes():
    compare.expect_tensor(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]), "f(x)")


def test_student_ids_never_name_a_report_nor_collide(tmp_path):
    subs = tmp_path / "class"
    for name in ("Alice", "alice", "grades.csv", "grades.csv-student", "=SUM(A1)", "tab\there"):
        mutants.build(subs / name)
    targets = discover([str(subs)])
    ids = [t.student for t in targets]
    # injective ids (issue 21): Alice and alice differ only in case, so both are refused, naming both
    assert ids == ["=SUM(A1)", "Alice", "alice", "%67rades.csv", "grades.csv-student", "tab%09here"]
    assert [t.problem for t in targets] == ["", "collision", "collision", "", "", ""]
    assert all("Alice, alice" in t.problem_message().en for t in targets[1:3])
    assert names.csv_cell(ids[0]) == "'=SUM(A1)"
