"""`blitz course-autograde` looks at ``submitted/<student>/`` with lstat before nbgrader copies it
(issue 21, item 6): real nbgrader, real gradebook. Students of `tensors`:

    reference   the reference code                                              15
    copier      its notebook is a symlink to the reference's notebook            refused
    leaker      its notebook is a symlink to the course's source/ (answers)      refused
    dirlink     submitted/dirlink itself is a symlink to the reference's folder  refused
    piper       the stub notebook plus a FIFO (nbgrader's copy would hang on it) refused
    hoarder     the stub notebook plus a 100 MiB file (nbgrader would copy it)     refused
    bloater     the stub notebook plus five 60 MiB files (300 MiB in all)         refused

(The large files are sparse: their size is what lstat says, and no test writes that many bytes.)

Each refused student is named, with the offending entries, in the score table and in the kit's
records (0 points, status refused); nbgrader never copied their folder (no autograded/ for them,
no link under autograded/), and the run exits 0.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: kit and the nbgrader helpers

import kit  # noqa: E402
from nbcourse import released_course  # noqa: E402
from test_nbgrader_sandbox import ASSIGNMENT, BIN, NAMES, sh, solve  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the course server grades as root (uid drop, cgroups)"),
]
REFUSED = {
    "copier": "tensors.ipynb (a symlink)",
    "leaker": "tensors.ipynb (a symlink)",
    "dirlink": "submitted/dirlink is a symlink",
    "piper": "notes.txt (a FIFO)",
    "hoarder": "data.bin (a file of 100 MiB, over 64 MiB)",
    "bloater": "tensors/ holds 300 MiB, over 256 MiB",
}


def sparse(path: Path, mib: int) -> None:
    with open(path, "wb") as f:
        f.truncate(mib << 20)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("nblinks")
    root = base / "course"
    for folder in (base, *base.parents):
        if folder != Path("/"):
            folder.chmod(folder.stat().st_mode | 0o005)
    released_course(tmp_path_factory, root, 10)
    release, source = (root / d / ASSIGNMENT / f"{ASSIGNMENT}.ipynb" for d in ("release", "source"))
    sub = root / "submitted"
    name = f"{ASSIGNMENT}.ipynb"
    for student in ("reference", "copier", "leaker", "piper", "hoarder", "bloater"):
        (sub / student / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(solve(release, source, NAMES), sub / "reference" / ASSIGNMENT / name)
    (sub / "copier" / ASSIGNMENT / name).symlink_to(sub / "reference" / ASSIGNMENT / name)
    (sub / "leaker" / ASSIGNMENT / name).symlink_to(source)
    (sub / "dirlink").symlink_to(sub / "reference")
    nbformat.write(solve(release, source, []), sub / "piper" / ASSIGNMENT / name)
    os.mkfifo(sub / "piper" / ASSIGNMENT / "notes.txt")
    for student in ("hoarder", "bloater"):
        nbformat.write(solve(release, source, []), sub / student / ASSIGNMENT / name)
    sparse(sub / "hoarder" / ASSIGNMENT / "data.bin", 100)
    for i in range(5):
        sparse(sub / "bloater" / ASSIGNMENT / f"part{i}.bin", 60)
    result = sh([str(BIN / "blitz"), "course-autograde", ".", ASSIGNMENT], root)
    return root, result, source


def test_the_refused_are_named_and_score_nothing(course):
    root, result, _ = course
    assert result.returncode == 0, result.stdout + result.stderr
    assert kit.gradebook_scores(root) == pytest.approx({"reference": 15.0}), result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()}
    for student, why in REFUSED.items():
        assert "refused" in lines[student] and why in lines[student], (student, lines.get(student))
    data = json.loads((root / f"blitz-records-{ASSIGNMENT}.json").read_text(encoding="utf-8"))
    records = {r["student"]: r for r in data["records"]}
    assert records["reference"]["score"] == 15
    for student, why in REFUSED.items():
        assert records[student]["score"] == 0 and records[student]["status"] == "refused", records[student]
        assert why in json.dumps(records[student], ensure_ascii=False), records[student]


def test_nbgrader_never_copied_a_refused_folder(course):
    root, _, _ = course
    graded = {p.name for p in (root / "autograded").iterdir()}
    assert graded == {"reference"}, graded
    for path in (root / "autograded").rglob("*"):
        assert not path.is_symlink(), path
    assert os.path.islink(root / "submitted" / "dirlink")  # the class's own folders are untouched
    assert (root / "submitted" / "piper" / ASSIGNMENT / "notes.txt").exists()
