"""nbgrader's feedback shows a student what failed, never the hidden tests, their seeds or the grader's paths.

Driven with the real nbgrader command line, as in test_nbgrader_e2e.py (whose helpers it reuses): one
student solves the tensors notebook but gets `stack` wrong (a visible check fails) and writes a `gram`
that is right only on the inputs they can see (the hidden run fails).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbcourse import released_course
from test_nbgrader_e2e import ASSIGNMENT, BIN, NAMES, cell, cell_scores, sh, solution_code

from blitz.authoring.notebooks import HIDDEN_SEED
from blitz.course import registry
from blitz.frontends.notebook import GRADED_FAILED, GRADED_PASSED

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
]

WRONG_STACK = "import torch\n\ndef stack(tensors, dim=0):\n    return torch.cat(tensors, dim)"
# Right on the inputs of the visible run (seed 0), wrong on any other: only the hidden run can tell.
SEED_GRAM = (
    "import torch\n\ndef gram(t):\n    if torch.initial_seed() != 0:\n        return t.T @ t\n    return t @ t.T"
)


@pytest.fixture(scope="module")
def feedback(tmp_path_factory) -> tuple[Path, str]:
    root = released_course(tmp_path_factory, tmp_path_factory.mktemp("course") / "course", 60)
    source = nbformat.read(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    nb = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for name in NAMES:
        cell(nb, name).source = solution_code(source, name)
    cell(nb, "stack").source = WRONG_STACK
    cell(nb, "gram").source = SEED_GRAM
    folder = root / "submitted" / "student" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    (folder / "timestamp.txt").write_text("2030-01-01 10:00:00.000000 UTC")
    graded = sh([str(BIN / "nbgrader"), "autograde", ASSIGNMENT], root)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    fed = sh([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT, "--force"], root)
    assert fed.returncode == 0, fed.stdout + fed.stderr
    page = root / "feedback" / "student" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    return root, page.read_text(encoding="utf-8")


def test_the_two_failures_cost_their_points(feedback):
    root, _ = feedback
    lost = sorted(name for name, score in cell_scores(root, "student").items() if score == 0)
    assert lost == ["test_gram", "test_stack"]


def test_feedback_says_what_failed(feedback):
    _, page = feedback
    assert "tensors.stack" in page and "expected: shape (2, 2, 2)" in page  # the visible check's own message
    assert GRADED_FAILED.en.split(" (")[0] in page  # the hidden run, explained in one line
    assert GRADED_PASSED.en in page  # a passing hidden run says what it was


def test_feedback_shows_no_hidden_test_seed_or_path(feedback):
    root, page = feedback
    assert "HIDDEN TESTS" not in page and "seed=" not in page and "initial_seed" in page  # the student's own code
    seeds = [str(HIDDEN_SEED + i) for i in range(len(NAMES) + 1)]
    assert not re.findall(r"(?<![0-9A-Za-z])(" + "|".join(seeds) + r")(?![0-9A-Za-z])", page)
    for path in {str(registry.ROOT), str(root), sys.prefix, str(Path(sys.executable).resolve().parent)}:
        assert path not in page, path
    assert (
        "site-packages" not in page
        and "blitz/frontends" not in page
        and "Traceback (most recent call last)" not in page
    )
    assert 'File "/' not in page and "Cell In[" not in page
