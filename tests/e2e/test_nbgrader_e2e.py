"""The instructor's path, end to end, with the real nbgrader command line and its sqlite gradebook.

The commands are exactly the README's; only "students submit" is done by writing notebooks into
submitted/<student>/tensors/ (what `nbgrader collect` does). Five students, one assignment
(tensors: 12 checks × 1.25 points), a 10 s cell timeout. `blitz course-autograde` runs every kernel
in a sandbox and takes the scores from the kit's checks of each notebook's code:

    solved     everything right                                   15
    untouched  the release notebook as handed out                  0
    half       the first 6 functions, and every test cell          7.5  (nbgrader restores the test cells)
               replaced by `pass`
    loop       all right, but the `gram` cell loops forever,      13.75 (the cell is interrupted; the kit
               and the test cell of `stack` deleted                      grades the code, not the cell)
    crash      all right, but the `concat` cell calls os._exit    13.75 (repaired by course-autograde)

Each bad habit rides on a student whose score shows it: a deleted or emptied test cell costs nothing
(loop loses only gram's points, half only the functions it did not write).
"""

from __future__ import annotations

import csv
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from blitz.authoring.nbgrader import nbgrader_env
from blitz.checks import Context, checks_for, run_check
from blitz.probes.local import LocalSubmission

BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
PER_CHECK = 1.25
NAMES = [c.name for c in checks_for(ASSIGNMENT)]
HALF = NAMES[:6]
EXPECTED = {
    "solved": 15.0,
    "untouched": 0.0,
    "half": 7.5,
    "loop": 13.75,
    "crash": 13.75,
}

pytestmark = [
    pytest.mark.slow,  # a real nbgrader course: scheduled first under xdist (tests/conftest.py)
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
]


def sh(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True, timeout=600)


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def solution_code(source_nb, grade_id: str) -> str:
    """The reference code of an answer cell, without nbgrader's markers: what a good student writes."""
    return "\n".join(
        line
        for line in cell(source_nb, grade_id).source.splitlines()
        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def student_notebooks(release: Path, source: Path) -> dict[str, nbformat.NotebookNode]:
    src = nbformat.read(source, as_version=4)

    def solve(names):
        nb = nbformat.read(release, as_version=4)
        for name in names:
            cell(nb, name).source = solution_code(src, name)
        return nb

    books = {"solved": solve(NAMES), "untouched": solve([]), "half": solve(HALF)}
    for name in NAMES:
        cell(books["half"], f"test_{name}").source = "pass"
    books["loop"] = solve(NAMES)
    # a loop that waits, not one that spins: the cell timeout and the kit's budget stop it alike (both wall-clock),
    # and a spin would burn a core for each of them
    cell(books["loop"], "gram").source = "import time\nwhile True:\n    time.sleep(0.05)"
    books["loop"].cells.remove(cell(books["loop"], "test_stack"))
    books["crash"] = solve(NAMES)
    cell(books["crash"], "concat").source = "import os\nos._exit(1)"
    return books


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    log = {}
    # The README's commands, in order.
    log["course"] = sh([str(BIN / "blitz"), "course", str(root), "--timeout", "10"], root)
    assert log["course"].returncode == 0, log["course"].stderr
    log["generate"] = sh([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT], root)
    assert log["generate"].returncode == 0, log["generate"].stdout + log["generate"].stderr
    release = root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    books = student_notebooks(release, root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for student, nb in books.items():  # what `nbgrader collect` leaves behind
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text("2030-01-01 10:00:00.000000 UTC")
    log["autograde"] = sh([str(BIN / "blitz"), "course-autograde", ".", ASSIGNMENT], root)
    log["feedback"] = sh([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT, "--force"], root)
    log["export"] = sh([str(BIN / "nbgrader"), "export", "--to", "grades.csv"], root)
    return root, books, log


def cell_scores(root: Path, student: str) -> dict[str, float]:
    """Per test cell auto scores from the real gradebook."""
    con = sqlite3.connect(root / "gradebook.db")
    rows = con.execute(
        """select bc.name, g.auto_score from grade g join base_cell bc on g.cell_id = bc.id
           join grade_cells gc on gc.id = bc.id join submitted_notebook sn on g.notebook_id = sn.id
           join submitted_assignment sa on sn.assignment_id = sa.id where sa.student_id = ?""",
        (student,),
    ).fetchall()
    con.close()
    return {name: score or 0.0 for name, score in rows}


def test_release_has_no_answers_and_no_hidden_tests(course):
    root, _, _ = course
    text = (root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    assert "torch.from_numpy(array)" not in text and "BEGIN SOLUTION" not in text
    assert "HIDDEN" not in text and "seed=" not in text
    assert 'check(\\"tensors.from_data\\", globals())' in text


def test_autograde_repairs_the_crash_and_grades_everyone(course):
    root, books, log = course
    out = log["autograde"].stdout
    assert log["autograde"].returncode == 0, out + log["autograde"].stderr
    assert re.search(r"^crash\s+repaired$", out, re.M), out
    for student in books:
        assert (root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file(), student
    # The student's own notebook is kept, untouched.
    original = nbformat.read(root / "submitted_original" / "crash" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert "os._exit(1)" in cell(original, "concat").source


def test_course_autograde_prints_the_gradebook_scores(course):
    """After grading, a table read back from nbgrader's gradebook: each student's score of each
    assignment, the total of the maximum, and what this run did for them."""
    _, _, log = course
    out = log["autograde"].stdout
    assert "Scores (nbgrader's gradebook, scored by the kit's checks):" in out, out
    table = out.split("Scores (nbgrader's gradebook, scored by the kit's checks):", 1)[1]
    assert re.search(r"^student\s+tensors\s+total / max$", table, re.M), table
    rows = re.findall(r"^(\w+)\s+([\d.]+)\s+([\d.]+) / ([\d.]+)\s+(\w+)$", table, re.M)
    assert {name: float(score) for name, score, *_ in rows} == EXPECTED, table
    assert all(float(total) == float(score) and float(top) == 15.0 for _, score, total, top, _ in rows), table
    assert {name: state for name, *_, state in rows} == {s: "repaired" if s == "crash" else "graded" for s in EXPECTED}


def test_exact_scores_in_the_exported_csv(course):
    root, _, log = course
    assert log["export"].returncode == 0, log["export"].stderr
    with open(root / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert {s: float(rows[s]["score"]) for s in EXPECTED} == EXPECTED
    assert {float(rows[s]["max_score"]) for s in EXPECTED} == {15.0}


def test_bad_submissions_cost_only_their_own_points(course):
    root, _, _ = course
    lost = {s: sorted(k for k, v in cell_scores(root, s).items() if v < PER_CHECK) for s in EXPECTED}
    assert lost["solved"] == []
    assert lost["loop"] == ["test_gram"]  # its deleted test cell of `stack` cost nothing
    assert lost["crash"] == ["test_concat"]
    assert lost["untouched"] == [f"test_{n}" for n in sorted(NAMES)]
    assert lost["half"] == sorted(f"test_{n}" for n in NAMES[6:])  # its emptied test cells cost nothing


def test_feedback_for_everyone(course):
    root, books, log = course
    assert log["feedback"].returncode == 0, log["feedback"].stdout + log["feedback"].stderr
    for student in books:
        page = root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert page.is_file(), student
    # ClearHiddenTests removes the hidden tests from the cells' code, and a failing check shows no
    # traceback (tests/e2e/test_release_feedback.py checks a student with failures).
    solved = (root / "feedback" / "solved" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in solved and "seed=7919" not in solved
    crash = (root / "feedback" / "crash" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "killed or hung the Python kernel" in crash


def test_validate_passes_the_solution_and_fails_the_stub(course):
    root, _, _ = course
    solved = sh([str(BIN / "nbgrader"), "validate", str(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")], root)
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout + solved.stderr
    stub = sh([str(BIN / "nbgrader"), "validate", str(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")], root)
    assert "VALIDATION FAILED ON 12 CELL(S)" in stub.stdout, stub.stdout


@pytest.mark.parametrize("student", ["solved", "untouched", "half"])
def test_same_scores_as_the_pytest_autograder(course, student, tmp_path):
    """The student's answer cells, saved as exercises/tensors.py, score the same under the kit's checks."""
    root, books, _ = course
    nb = books[student]
    code = [c.source for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")]
    (tmp_path / f"{ASSIGNMENT}.py").write_text("\n\n".join(code) + "\n", encoding="utf-8")
    sub = LocalSubmission(tmp_path)
    kit = {f"test_{c.name}": run_check(c, sub, Context()).score for c in checks_for(ASSIGNMENT)}
    assert kit == pytest.approx(cell_scores(root, student))
    assert sum(kit.values()) == pytest.approx(EXPECTED[student])
