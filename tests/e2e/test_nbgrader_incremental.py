"""`blitz course-autograde` on a class of 3 with the real nbgrader and its gradebook: parallel,
incremental, by student, and with nbgrader's late penalty applied to the kit's scores.

    solved     everything right, submitted a day after the due date   15 raw, 7.5 after the penalty
    half       the first 6 functions (then 7, after a resubmission)   7.5, then 8.75
    untouched  the release notebook                                    0

The course's late policy is an nbgrader LateSubmissionPlugin of its own (half the score off), in
nbgrader_config.py. Runs: (1) --workers 2; (2) nothing changed: nobody regraded, and it says so;
(3) half resubmits: only half regraded; (4) --student solved --student half --force --workers 1: those
two only, in one nbgrader process for both (untouched left out of it), the same gradebook as (3) and
the class's records kept whole; then --student half --force --dask on a real scheduler and worker: half
only, the same gradebook again, merged into the class's records and class report. Each run grades only
the students whose grading shows something new (seven notebooks in all).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbcourse import released_course
from test_grading import dask_cluster  # noqa: F401 - a real scheduler and worker (a fixture)

from blitz.authoring.nbgrader import nbgrader_env
from blitz.checks import checks_for

BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
NAMES = [c.name for c in checks_for(ASSIGNMENT)]
LATE_POLICY = """
from nbgrader.plugins import LateSubmissionPlugin  # noqa: E402


class HalfOff(LateSubmissionPlugin):
    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return score / 2


c.AssignLatePenalties.plugin_class = HalfOff
"""

pytestmark = [
    pytest.mark.slow,  # real nbgrader courses: scheduled first under xdist (tests/conftest.py)
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
]


def sh(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True, timeout=900)


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def solve(release: Path, source: Path, names: list[str]):
    src = nbformat.read(source, as_version=4)
    nb = nbformat.read(release, as_version=4)
    for name in names:
        code = cell(src, name).source.splitlines()
        cell(nb, name).source = "\n".join(line for line in code if "### " not in line)
    return nb


def gradebook(root: Path) -> dict[str, dict[str, float]]:
    """Every test cell's auto score of every student, from the real gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            for nb in sub.notebooks:
                out[sub.student_id] = {g.name: g.auto_score or 0.0 for g in nb.grades}
    return out


def autograde(root: Path, *options: str) -> subprocess.CompletedProcess:
    result = sh([str(BIN / "blitz"), "course-autograde", ".", ASSIGNMENT, *options], root)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def states(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(solved|half|untouched)\s+(graded|repaired)$", out, re.M))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    root = released_course(tmp_path_factory, tmp_path_factory.mktemp("incremental") / "course", 10)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(LATE_POLICY)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime(2030, 1, 1, 12, 0, 0))
    release = root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    books = {"solved": solve(release, source, NAMES), "half": solve(release, source, NAMES[:6]), "untouched": None}
    books["untouched"] = solve(release, source, [])
    stamps = {"solved": "2030-01-02 12:00:00.000000 UTC"}
    for student, nb in books.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text(stamps.get(student, "2030-01-01 10:00:00.000000 UTC"))
    runs, books_at = {}, {}
    runs["first"] = autograde(root, "--workers", "2")
    books_at["first"] = gradebook(root)
    runs["again"] = autograde(root, "--workers", "2")
    nbformat.write(solve(release, source, NAMES[:7]), root / "submitted" / "half" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    runs["changed"] = autograde(root, "--workers", "2")
    books_at["changed"] = gradebook(root)
    runs["forced"] = autograde(root, "--student", "solved", "--student", "half", "--force", "--workers", "1")
    books_at["forced"] = gradebook(root)
    export = sh([str(BIN / "nbgrader"), "export", "--to", "grades.csv"], root)
    assert export.returncode == 0, export.stderr
    with open(root / "grades.csv", newline="") as f:
        exported = {r["student_id"]: r for r in csv.DictReader(f)}
    return root, runs, books_at, exported


def totals(book: dict[str, dict[str, float]]) -> dict[str, float]:
    return {s: sum(cells.values()) for s, cells in book.items()}


def test_the_first_run_grades_everyone_in_parallel(course):
    _, runs, books_at, _ = course
    assert states(runs["first"].stdout) == dict.fromkeys(("solved", "half", "untouched"), "graded")
    assert "nbgrader: 3 students, 2 at a time (a process each)" in runs["first"].stdout, runs["first"].stdout
    assert "at a time" not in runs["forced"].stdout  # --workers 1: one nbgrader process, as before
    assert totals(books_at["first"]) == {"solved": 15.0, "half": 7.5, "untouched": 0.0}


def test_a_second_run_regrades_nobody_and_says_so(course):
    _, runs, _, _ = course
    out = runs["again"].stdout
    assert states(out) == {}, out
    assert "3 student(s) unchanged since the last autograde, not regraded" in out, out
    assert re.search(r"^half\s+.*unchanged, not regraded", out, re.M), out


def test_a_changed_notebook_regrades_only_that_student(course):
    _, runs, books_at, _ = course
    out = runs["changed"].stdout
    assert states(out) == {"half": "graded"}, out
    assert "2 student(s) unchanged" in out, out
    assert totals(books_at["changed"]) == {"solved": 15.0, "half": 8.75, "untouched": 0.0}


def test_one_worker_gives_the_same_gradebook_as_two(course):
    _, runs, books_at, _ = course
    assert states(runs["forced"].stdout) == dict.fromkeys(("solved", "half"), "graded"), runs["forced"].stdout
    assert books_at["forced"] == books_at["changed"]


def test_student_grades_those_students_only_and_keeps_the_class(course):
    root, runs, _, _ = course
    out = runs["forced"].stdout
    assert states(out) == {"solved": "graded", "half": "graded"}, out  # --force, yet untouched is not regraded
    assert "1 student(s) unchanged since the last autograde, not regraded" in out, out
    data = json.loads((root / f"blitz-records-{ASSIGNMENT}.json").read_text(encoding="utf-8"))
    assert {r["student"]: r["score"] for r in data["records"]} == {"solved": 15.0, "half": 8.75, "untouched": 0.0}
    assert set(data["fingerprints"]) == {"solved", "half", "untouched"}


def test_the_export_subtracts_the_late_penalty_of_the_kits_score(course):
    _, _, _, exported = course
    late = exported["solved"]
    assert float(late["raw_score"]) == 15.0 and float(late["late_submission_penalty"]) == 7.5, late
    assert float(late["score"]) == 7.5, late
    on_time = exported["half"]
    assert float(on_time["score"]) == 8.75 and float(on_time["late_submission_penalty"] or 0) == 0.0, on_time


def test_help_names_every_option_with_an_example():
    out = subprocess.run(
        [str(BIN / "blitz"), "course-autograde", "--help"], capture_output=True, text=True, timeout=120
    ).stdout
    for option in ("--student", "--force", "--workers", "--dask"):
        assert option in out and f"e.g. {option}" in out, option
    assert "examples / 例子:" in out and "blitz course-autograde . tensors --student alice" in out, out


def test_on_a_dask_cluster_the_same_gradebook(course, dask_cluster):  # noqa: F811 - the fixture
    root, _, books_at, _ = course
    one = autograde(root, "--student", "half", "--force", "--dask", dask_cluster)
    assert states(one.stdout) == {"half": "graded"}, one.stdout
    assert gradebook(root) == books_at["forced"]
    data = json.loads((root / f"blitz-records-{ASSIGNMENT}.json").read_text(encoding="utf-8"))
    assert {r["student"]: r["score"] for r in data["records"]} == {"solved": 15.0, "half": 8.75, "untouched": 0.0}
    report = (root / "blitz-reports" / ASSIGNMENT / "class_report" / "scores.csv").read_text(encoding="utf-8")
    assert sorted(line.split(",")[0] for line in report.splitlines()[1:]) == ["half", "solved", "untouched"]


def test_a_student_whose_folder_left_submitted_is_no_longer_reported(course):
    root, _, _, _ = course
    away = root / "untouched-away"
    (root / "submitted" / "untouched").rename(away)
    try:
        run = autograde(root)
    finally:
        away.rename(root / "submitted" / "untouched")
    assert "untouched: no longer in submitted/, so left out of the records and the class report" in run.stdout
    assert "2 student(s) unchanged" in run.stdout and states(run.stdout) == {}, run.stdout
    data = json.loads((root / f"blitz-records-{ASSIGNMENT}.json").read_text(encoding="utf-8"))
    assert sorted(r["student"] for r in data["records"]) == ["half", "solved"]
    assert [r["student"] for r in data["left_out"]] == ["untouched"]  # kept on disk, reported nowhere
    report = (root / "blitz-reports" / ASSIGNMENT / "class_report" / "scores.csv").read_text(encoding="utf-8")
    assert sorted(line.split(",")[0] for line in report.splitlines()[1:]) == ["half", "solved"]
