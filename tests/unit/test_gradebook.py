"""The course side of `blitz grade` in process (blitz/grading/gradebook.py, batch.merged, the policy's
columns in reports.py): the whole class from OUT, the roster, --student, the merge of kept exercises."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import datetime, timezone

import pytest

from blitz.course.i18n import Msg
from blitz.engine.results import CheckResult, ExerciseResult, Status, SubmissionResult
from blitz.grading import gradebook, reports
from blitz.grading.batch import merged
from blitz.grading.discover import Target
from blitz.grading.policy import Adjustment, Policy, PolicyError
from blitz.grading.runner import Options


def check(exercise, name, status, points=5.0):
    return CheckResult(exercise, name, Msg(name, name), status, points, None, 1.0)


def record(student, checks):
    exercises = {}
    for c in checks:
        exercises.setdefault(c.exercise, ExerciseResult(c.exercise)).checks.append(c)
    return SubmissionResult(student, f"/class/{student}", "f" * 64, Status.GRADED, exercises)


def test_whole_class_reads_out_and_adds_the_roster(tmp_path):
    alice = record("alice", [check("tensors", "a", Status.PASSED)])
    bob = record("bob", [check("tensors", "a", Status.FAILED)])
    reports.write_results(tmp_path, alice, "en")
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "results.json").write_text("{}", encoding="utf-8")  # not ours: left out
    course = gradebook.Course(roster=["alice", "bob", "zed"])
    found = gradebook.whole_class(tmp_path, [bob], course, Options(exercises=("tensors",)))
    assert [r.student for r in found] == ["bob", "alice", "zed"]
    assert found[2].status is Status.MISSING and found[2].score == 0 and found[2].max_score > 0


def test_write_all_applies_the_policy_in_every_export(tmp_path):
    alice = record("alice", [check("tensors", "a", Status.PASSED), check("tensors", "b", Status.PASSED)])
    course = gradebook.Course(policy=Policy(adjustments=[Adjustment("alice", "tensors.b", -2, "hm")]))
    applied = gradebook.write_all(tmp_path, [alice], course, "en", {"alice": "d" * 64})
    assert applied["alice"].final == 8
    data = json.loads((tmp_path / "alice" / "results.json").read_text(encoding="utf-8"))
    assert data["score"] == 8 and data["extra_data"]["record"]["score"] == 10 and "hm" in data["output"]
    assert reports.kept_files(tmp_path / "alice" / "results.json") == "d" * 64
    row = next(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text(encoding="utf-8"))))
    assert (row["total"], row["adjustments"], row["final"]) == ("10", "-2", "8")
    assert "hm" in (tmp_path / "alice" / "feedback.md").read_text(encoding="utf-8")
    assert "Final score: 8 / 10" in (tmp_path / "alice" / "feedback.html").read_text(encoding="utf-8")
    table = reports.summary_table([alice], {"alice": 8.0})
    assert table.splitlines()[0].split()[:3] == ["student", "total", "final"]
    assert table.splitlines()[2].split()[:3] == ["alice", "10", "8"]


def test_merged_keeps_the_other_exercises_of_a_kept_record():
    kept = record("alice", [check("tensors", "a", Status.PASSED), check("autograd", "x", Status.FAILED)])
    new = record("alice", [check("autograd", "x", Status.PASSED)])
    both = merged(new, kept, Options(exercises=("autograd",)))
    assert list(both.exercises) == ["tensors", "autograd"] and both.score == 10


def test_only_picks_students_and_names_the_unknown():
    targets = [Target("alice", "/c/alice"), Target("bob", "/c/bob")]
    assert gradebook.only(targets, None) == (targets, [])
    assert gradebook.only(targets, ["bob", "nobody"]) == ([targets[1]], ["nobody"])


def args(**given):
    base = dict(
        late_penalty=0.0, late_cap=100.0, grace=0.0, due=None, extensions=None, times=None, adjustments=None,
        roster=None, assignment="blitz",
    )  # fmt: skip
    return argparse.Namespace(**{**base, **given})


def test_load_reads_the_default_adjustments_and_refuses_bad_input(tmp_path):
    (tmp_path / "adjustments.csv").write_text("alice,,1,ok\n", encoding="utf-8")
    course = gradebook.load(args(due="2026-12-01T10:00+00:00"), tmp_path)
    assert course.policy.adjustments == [Adjustment("alice", "", 1.0, "ok")]
    assert course.policy.due == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    roster = tmp_path / "roster.csv"
    roster.write_text("student\nalice\n../etc\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="line 3"):
        gradebook.load(args(roster=str(roster)), tmp_path)
    with pytest.raises(PolicyError, match="--grace must be at least 0"):
        gradebook.load(args(grace=-1.0), tmp_path)
    with pytest.raises(PolicyError, match="cannot read"):
        gradebook.load(args(extensions=str(tmp_path / "none.csv")), tmp_path)
