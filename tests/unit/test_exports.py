"""Per-check scores, the LMS grade file and each student's feedback (blitz/grading/exports.py)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from blitz.course.i18n import Msg
from blitz.engine.results import CheckResult, ExerciseResult, Status, SubmissionResult
from blitz.grading.exports import checks_csv, feedback_html, feedback_markdown, lms_csv
from blitz.grading.policy import Adjustment, LatePolicy, Policy, apply

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)


def check(exercise, name, status, message=None, points=5.0):
    text = None if message is None else Msg(f"中：{message}", message)
    return CheckResult(exercise, name, Msg(name, name), status, points, text, 1.0)


def record(student, checks):
    exercises = {}
    for c in checks:
        exercises.setdefault(c.exercise, ExerciseResult(c.exercise)).checks.append(c)
    return SubmissionResult(student, f"/class/{student}", "f" * 64, Status.GRADED, exercises)


ALICE = record("alice", [check("tensors", "a", Status.PASSED), check("tensors", "b", Status.FAILED, "got ``` 3")])
BOB = record("=bob\x1b[31m", [check("tensors", "a", Status.FAILED, "shape (2, 3) expected (3, 2)")])


def test_checks_csv_has_a_column_per_check_and_the_max_row():
    rows = list(csv.reader(io.StringIO(checks_csv([ALICE, BOB]))))
    assert rows[0] == ["student", "tensors.a", "tensors.b"]
    assert rows[1] == ["(max)", "5", "5"]
    assert rows[2] == ["alice", "5", "0"]
    assert rows[3][0].startswith("'=") and "\x1b" not in rows[3][0] and rows[3][1:] == ["0", ""]


def test_lms_csv_carries_the_final_score_and_the_lms_id():
    policy = Policy(due=DUE, late=LatePolicy(percent_per_day=20), adjustments=[Adjustment("alice", "", 1, "")])
    applied = {"alice": apply(policy, "alice", ALICE.score, ALICE.max_score, submitted=DUE + timedelta(hours=2))}
    rows = list(csv.reader(io.StringIO(lms_csv([ALICE, BOB], applied, {"alice": "12345"}, "HW1 blitz"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW1 blitz"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "10"
    assert rows[2] == ["alice", "12345", "", "", "", "4.8"]  # (5 + 1) less 20% for a day late
    assert rows[3][1].startswith("'=") and rows[3][-1] == "0"


def test_feedback_says_every_step_and_every_failure_in_the_chosen_language():
    policy = Policy(
        due=DUE, late=LatePolicy(percent_per_day=10), adjustments=[Adjustment("alice", "tensors", 2, "fair")]
    )
    applied = apply(policy, "alice", ALICE.score, ALICE.max_score, {"tensors": (5.0, 10.0)}, DUE + timedelta(days=1))
    md = feedback_markdown(ALICE, applied, "en")
    assert md.startswith("# Feedback for alice\n")
    for line in (
        "- Checks: 5 / 10",
        "- adjustment to tensors: +2: fair",
        "- 1 day(s) late",
        "10% off, 0.7 points",
        "- Final score: 6.3 / 10",
    ):
        assert line in md, md
    assert "- ✗ `tensors.b` 0 / 5" in md and "````text\ngot ``` 3\n````" in md  # the fence outgrows the message
    zh = feedback_markdown(ALICE, applied, "zh")
    assert "中：got" in zh and "Feedback" not in zh and "最终得分 6.3 / 10" in zh
    page = feedback_html(BOB, None, "en")
    assert "\x1b" not in page
    assert (
        "<title>Feedback for =bob</title>" in page
        and "shape (2, 3) expected (3, 2)" in page
        and "Final score: 0 / 5" in page
    )
