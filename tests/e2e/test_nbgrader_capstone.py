"""The nbgrader course covers the whole course: the capstone has a notebook (the student's pipeline,
blitz/authoring/capstone_notebook.py) worth its 15 points, so the real gradebook totals 100, and the
reference pipeline handed in scores those 15 through `blitz course-autograde` (the kit's trusted
capstone check, in the sandbox)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from blitz.authoring.nbgrader import nbgrader_env
from blitz.course import registry

BIN = Path(sys.executable).parent
CAPSTONE = registry.CAPSTONE.id

pytestmark = [
    pytest.mark.slow,  # a real nbgrader course: scheduled first under xdist (tests/conftest.py)
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
]


def sh(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True, timeout=900)


# `nbgrader generate_assignment ID` for every assignment, through nbgrader's own API (what the command
# runs) in one process: the course's nbgrader_config.py, the real gradebook; one start instead of eight.
GENERATE_ALL = """
import sys
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(CourseDirectory(config=config), config=config)
for assignment in sys.argv[1:]:
    result = api.generate_assignment(assignment)
    if not result["success"]:
        sys.exit(assignment + ": " + result.get("error", "") + result.get("log", ""))
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("capstone")
    made = sh([str(BIN / "blitz"), "course", str(root), "--timeout", "60"], root)
    assert made.returncode == 0, made.stderr
    ids = sorted(p.name for p in (root / "source").iterdir())
    generated = sh([sys.executable, "-c", GENERATE_ALL, *ids], root)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert {p.name for p in (root / "release").iterdir()} == set(ids)
    source = nbformat.read(root / "source" / CAPSTONE / f"{CAPSTONE}.ipynb", as_version=4)
    for student, nb in {"reference": source, "untouched": None}.items():
        nb = nb or nbformat.read(root / "release" / CAPSTONE / f"{CAPSTONE}.ipynb", as_version=4)
        folder = root / "submitted" / student / CAPSTONE
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{CAPSTONE}.ipynb")
        (folder / "timestamp.txt").write_text("2030-01-01 10:00:00.000000 UTC")
    graded = sh([str(BIN / "blitz"), "course-autograde", ".", CAPSTONE], root)
    export = sh([str(BIN / "nbgrader"), "export", "--to", "grades.csv"], root)
    assert export.returncode == 0, export.stderr
    with open(root / "grades.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f)]
    return root, ids, graded, rows


def test_every_exercise_has_an_assignment_the_capstone_included(course):
    _, ids, _, _ = course
    assert set(ids) == {e.id for e in registry.EXERCISES}


def test_the_course_totals_100_in_the_real_gradebook(course):
    _, _, _, rows = course
    maxima = {r["assignment"]: float(r["max_score"]) for r in rows}
    assert maxima[CAPSTONE] == registry.CAPSTONE.points == 15
    assert sum(maxima.values()) == 100.0, maxima


def test_the_reference_pipeline_scores_the_capstones_points(course):
    _, _, graded, rows = course
    assert graded.returncode == 0, graded.stdout + graded.stderr
    scores = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == CAPSTONE}
    assert scores == {"reference": 15.0, "untouched": 0.0}, (scores, graded.stdout)
