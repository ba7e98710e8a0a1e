"""course-autograde's records file (blitz/grading/notebook/classrun.py): a student whose folder left
submitted/ is kept under "left_out", reported nowhere, and stays there across later runs."""

from __future__ import annotations

import json

from blitz.engine.results import Status, SubmissionResult
from blitz.grading.notebook import classrun


def record(student: str) -> SubmissionResult:
    return SubmissionResult(student, f"/course/submitted/{student}", "f" * 64, Status.GRADED, {})


def test_a_student_gone_from_submitted_is_kept_under_left_out(tmp_path):
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    previous = {"alice": record("alice"), "bob": record("bob")}
    gone = classrun.left_out(tmp_path, "tensors", previous)
    assert set(gone) == {"bob"}
    classrun.save(tmp_path, "tensors", {"alice": record("alice")}, {"alice": "p", "bob": "q"}, gone)
    data = json.loads(classrun.records_path(tmp_path, "tensors").read_text(encoding="utf-8"))
    assert [r["student"] for r in data["records"]] == ["alice"] and data["fingerprints"] == {"alice": "p"}
    assert [r["student"] for r in data["left_out"]] == ["bob"]
    records, _ = classrun.load_previous(tmp_path, "tensors")
    assert set(records) == {"alice"}  # bob is not part of the class any more
    assert set(classrun.left_out(tmp_path, "tensors", records)) == {"bob"}  # kept on the next run too
    (tmp_path / "submitted" / "bob").mkdir()  # back: graded as anyone, no longer left out
    assert classrun.left_out(tmp_path, "tensors", records) == {}
