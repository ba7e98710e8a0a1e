"""A plain `nbgrader autograde` in a `blitz course` directory: no false checksum warning, a real one kept.

Every test cell of blitz's notebooks runs its check once more inside `### BEGIN HIDDEN TESTS`.
nbgrader keeps in its gradebook the checksum of the cell *before* the hidden tests were cleared, so
its stock OverwriteCells reports "Attribute 'checksum' for cell test_... has changed!" for every
test cell of an untouched notebook (nbgrader issue #1961). The course's config swaps in
blitz.authoring.nbgrader_cells.OverwriteCells. Three students of `tensors` (12 test cells):

    untouched  the released notebook as handed out         no warning
    answered   every answer cell filled in                 no warning
    tampered   answered, two test cells edited              exactly those two cells reported

and the control: the same untouched notebook graded with nbgrader's stock preprocessors warns 12 times.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import kit
import nbformat
import pytest
from nbcourse import released_course

from blitz.authoring.nbgrader import nbgrader_env
from blitz.checks import checks_for

BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
NAMES = [c.name for c in checks_for(ASSIGNMENT)]
CHANGED = re.compile(r"Attribute 'checksum' for cell (\S+) has changed!")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
]


def sh(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True, timeout=600)


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def notebooks(release: Path, source: Path) -> dict[str, nbformat.NotebookNode]:
    src = nbformat.read(source, as_version=4)

    def answered():
        nb = nbformat.read(release, as_version=4)
        for name in NAMES:
            lines = cell(src, name).source.splitlines()
            cell(nb, name).source = "\n".join(line for line in lines if "SOLUTION" not in line)
        return nb

    books = {"untouched": nbformat.read(release, as_version=4), "answered": answered(), "tampered": answered()}
    cell(books["tampered"], "test_gram").source = "pass"
    cell(books["tampered"], "test_stack").source += "\nprint('the student added a line')"
    return books


def per_student(log: str) -> dict[str, str]:
    """nbgrader's log cut at each "Sanitizing .../submitted/<student>/..." line."""
    parts = re.split(r"^.*Sanitizing \S*/submitted/([^/]+)/.*$", log, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = released_course(tmp_path_factory, tmp_path_factory.mktemp("course") / "course", 60)
    books = notebooks(
        root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    )
    for student, nb in books.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    # Plain nbgrader, as an instructor types it in the course directory.
    result = sh([str(BIN / "nbgrader"), "autograde", ASSIGNMENT], root)
    assert result.returncode == 0, result.stdout + result.stderr
    logs = per_student(result.stdout + result.stderr)
    assert set(logs) == set(books), logs.keys()
    return root, logs


def hidden_runs(root: Path, student: str) -> int:
    text = (root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    return text.count("seed=79")


def test_an_untouched_notebook_raises_no_checksum_warning(graded):
    root, logs = graded
    assert CHANGED.findall(logs["untouched"]) == [], logs["untouched"]
    assert hidden_runs(root, "untouched") == len(NAMES)  # the hidden tests were put back all the same
    assert kit.gradebook_scores(root)["untouched"] == 0.0


def test_an_answered_notebook_raises_no_checksum_warning(graded):
    root, logs = graded
    assert CHANGED.findall(logs["answered"]) == [], logs["answered"]
    assert hidden_runs(root, "answered") == len(NAMES)
    assert kit.gradebook_scores(root)["answered"] == 15.0


def test_a_tampered_test_cell_is_still_reported_and_overwritten(graded):
    root, logs = graded
    assert sorted(CHANGED.findall(logs["tampered"])) == ["test_gram", "test_stack"], logs["tampered"]
    nb = nbformat.read(root / "autograded" / "tampered" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert cell(nb, "test_gram").source.startswith("from blitz.frontends.notebook import check")
    assert "the student added a line" not in cell(nb, "test_stack").source
    assert hidden_runs(root, "tampered") == len(NAMES)
    assert kit.gradebook_scores(root)["tampered"] == 15.0


def test_without_the_fix_nbgrader_warns_for_every_test_cell(graded, tmp_path):
    """The control: the same course with nbgrader's stock sanitize preprocessors (the cause, not a guess)."""
    root, _ = graded
    copy = tmp_path / "stock"
    shutil.copytree(root, copy)
    config = copy / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    assert "c.Autograde.sanitize_preprocessors = sanitize_preprocessors()" in text
    config.write_text(text.replace("c.Autograde.sanitize_preprocessors = sanitize_preprocessors()", ""), "utf-8")
    result = sh([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--student=untouched", "--force"], copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(CHANGED.findall(result.stdout + result.stderr)) == sorted(f"test_{n}" for n in NAMES)
