"""Exact points, end to end: the reference, graded by `blitz grade` (every exercise, the capstone on real
MNIST), scores exactly 100 of 100 in results.json, grades.csv and JUnit (the arithmetic of the points:
tests/unit/test_points.py)."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import kit
import mutants
import pytest

from blitz.checks import all_checks
from blitz.course import registry

# ---------------------------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def reference_graded(tmp_path_factory):
    """One `blitz grade` of the whole reference, every exercise and the capstone on real MNIST."""
    root = tmp_path_factory.mktemp("exact")
    mutants.build(root / "class" / "reference")
    out = root / "out"
    run = kit.blitz("grade", str(root / "class"), "--out", str(out), "--no-progress", lang="en", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _cents(value: float) -> bool:
    return abs(value * 100 - round(value * 100)) < 1e-9


@pytest.mark.slow
def test_the_reference_scores_exactly_100_in_results_json(reference_graded):
    results = json.loads((reference_graded / "reference" / "results.json").read_text(encoding="utf-8"))
    tests = results["tests"]
    assert len(tests) == len(all_checks()) and all(t["status"] == "passed" for t in tests), [
        t["output"] for t in tests if t["status"] != "passed"
    ]
    assert results["score"] == 100 and results["extra_data"]["max_score"] == 100
    # Exactly, as Gradescope adds them up: no 99.99999999999999.
    assert sum(t["score"] for t in tests) == 100 and sum(t["max_score"] for t in tests) == 100
    assert all(_cents(t["score"]) and t["score"] == t["max_score"] for t in tests)
    record = results["extra_data"]["record"]
    assert {e: s["score"] for e, s in record["exercises"].items()} == {e.id: e.points for e in registry.EXERCISES}
    assert '"score": 100.0,' in (reference_graded / "reference" / "results.json").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_reference_scores_exactly_100_in_grades_csv(reference_graded):
    rows = list(csv.DictReader((reference_graded / "grades.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == 1
    row = rows[0]
    assert (row["total"], row["max_total"]) == ("100", "100")  # as written: not 100.00, 99.99 or 100.00000001
    assert {e.id: row[e.id] for e in registry.EXERCISES} == {e.id: str(e.points) for e in registry.EXERCISES}
    scores = list(csv.DictReader((reference_graded / "class_report" / "scores.csv").open(encoding="utf-8")))
    assert [(r["total"], r["max_total"], r["percent"]) for r in scores] == [("100", "100", "100.0")]


@pytest.mark.slow
def test_the_reference_scores_exactly_100_in_junit(reference_graded):
    tree = ET.parse(reference_graded / "junit.xml").getroot()
    assert (tree.get("tests"), tree.get("failures"), tree.get("errors")) == (str(len(all_checks())), "0", "0")
    (suite,) = tree.findall("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["score"], props["max_score"]) == ("100", "100")
    assert len(suite.findall("testcase")) == len(all_checks())
    assert not suite.findall("testcase/failure") and not suite.findall("testcase/error")
