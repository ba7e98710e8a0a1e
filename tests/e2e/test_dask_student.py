"""`blitz grade --dask ADDRESS --student X` on a real Dask scheduler and worker (each its own process):
the student's regrade merges into the class's outputs as a local one does.

alice and bob hand in tensors and autograd, graded locally first. bob then breaks autograd; his
regrade (--student bob) runs on the Dask worker: his autograd scores 0 and his tensors 15, alice's
results are untouched (not regraded, not rewritten), and every whole-class output (grades.csv,
junit.xml, checks.csv, the class report) still lists both, with bob's new score.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import kit
import mutants
import pytest
from test_grading import dask_cluster  # noqa: F401 - a real scheduler and worker (a fixture)


def load(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))


def rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}


@pytest.mark.slow
def test_a_student_regraded_on_dask_merges_into_the_class(tmp_path, dask_cluster):  # noqa: F811 - the fixture
    subs, out = tmp_path / "class", tmp_path / "out"
    for name in ("alice", "bob"):
        mutants.build(subs / name, only=("tensors", "autograd"))
    env = {"DASK_TEMPORARY_DIRECTORY": str(tmp_path / "dask-tmp")}
    # The class's first grading, in the grader's own process (--workers 1: no pool of interpreters, each
    # importing torch, for two students); the regrade below is the Dask one.
    first = kit.blitz(
        "grade", str(subs), "--out", str(out), "--exercises", "tensors,autograd", "--workers", "1", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    assert {s: r["total"] for s, r in rows(out / "grades.csv").items()} == {"alice": "25", "bob": "25"}
    alice_before = (out / "alice" / "results.json").read_bytes()
    (subs / "bob" / "autograd.py").write_text("raise SystemExit('broken')\n", encoding="utf-8")
    one = kit.blitz(
        "grade", str(subs), "--out", str(out), "--exercises", "tensors,autograd", "--student", "bob",
        "--dask", dask_cluster, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert one.returncode == 0, one.stderr + (tmp_path / "dask.log").read_text()[-3000:]
    assert "Dask" in one.stderr and "1 graded, 0 kept" in one.stdout, one.stdout + one.stderr
    bob = load(out, "bob")
    assert {t["tags"][0] for t in bob["tests"]} == {"tensors", "autograd"}
    assert bob["score"] == 15 and all(t["score"] == 0 for t in bob["tests"] if t["tags"][0] == "autograd")
    assert (out / "alice" / "results.json").read_bytes() == alice_before
    table = rows(out / "grades.csv")
    assert set(table) == {"alice", "bob"} and table["alice"]["total"] == "25" and table["bob"]["autograd"] == "0"
    assert {s.get("name") for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")} == {"alice", "bob"}
    assert sorted(r[0] for r in list(csv.reader((out / "checks.csv").open(encoding="utf-8")))[2:]) == ["alice", "bob"]
    scores = rows(out / "class_report" / "scores.csv")
    assert {s: r["total"] for s, r in scores.items()} == {"alice": "25", "bob": "15"}
