"""Due dates, extensions, the late penalty and manual adjustments (blitz/grading/policy.py): every step
from the checks' score to the final one, and bad input named by file and line."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from blitz.grading.policy import (
    Adjustment,
    LatePolicy,
    Policy,
    PolicyError,
    apply,
    newest_file_time,
    parse_time,
    read_adjustments,
    read_times,
    unknown_targets,
)

UTC = timezone.utc
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)


def test_on_time_late_and_capped():
    policy = Policy(due=DUE, late=LatePolicy(percent_per_day=10, cap_percent=30))
    on_time = apply(policy, "alice", 80, 100, submitted=DUE - timedelta(minutes=1))
    assert (on_time.days_late, on_time.penalty, on_time.final) == (0, 0, 80)
    one_day = apply(policy, "bob", 80, 100, submitted=DUE + timedelta(minutes=1))
    assert (one_day.days_late, one_day.penalty_percent, one_day.penalty, one_day.final) == (1, 10, 8, 72)
    five_days = apply(policy, "carol", 80, 100, submitted=DUE + timedelta(days=4, hours=1))
    assert (five_days.days_late, five_days.penalty_percent, five_days.final) == (5, 30, 56)
    assert any("day(s) late" in line.en and "迟交" in line.zh for line in five_days.lines())


def test_grace_extensions_and_lms_times():
    policy = Policy(
        due=DUE,
        late=LatePolicy(percent_per_day=50, grace=timedelta(minutes=10)),
        extensions={"dave": DUE + timedelta(days=2)},
        times={"erin": DUE - timedelta(hours=1)},
    )
    assert apply(policy, "x", 10, 10, submitted=DUE + timedelta(minutes=9)).final == 10
    assert apply(policy, "dave", 10, 10, submitted=DUE + timedelta(days=1)).final == 10
    # the LMS's own time wins over a file's modification time
    assert apply(policy, "erin", 10, 10, submitted=DUE + timedelta(days=3)).final == 10
    # a submission the LMS marked late, with no time known: one day
    marked = apply(policy, "frank", 10, 10, marked_late=True)
    assert (marked.days_late, marked.final) == (1, 5)
    assert apply(Policy(), "frank", 10, 10, marked_late=True).final == 10  # no due date, no penalty


def test_adjustments_stay_within_their_part_and_the_total():
    policy = Policy(
        adjustments=[
            Adjustment("alice", "tensors", 5, "regraded by hand"),
            Adjustment("alice", "model.cnn_function", -3, ""),
            Adjustment("alice", "", 1.5, "participation"),
            Adjustment("bob", "", 500, "too much"),
            Adjustment("carol", "", -500, ""),
        ]
    )
    parts = {"tensors": (13.0, 15.0), "model.cnn_function": (2.0, 6.0)}
    alice = apply(policy, "alice", 60, 100, parts)
    # tensors goes 13 -> 15 (not 18), the check 2 -> 0 (not -1), the total +1.5
    assert alice.adjusted == 60 + 2 - 2 + 1.5 and alice.final == 61.5
    assert [line.en for line in alice.lines()][0] == "adjustment to tensors: +5: regraded by hand"
    assert apply(policy, "bob", 60, 100).final == 100
    assert apply(policy, "carol", 60, 100).final == 0
    assert apply(policy, "dave", 60, 100).adjustments == ()
    late = Policy(due=DUE, late=LatePolicy(percent_per_day=10), adjustments=[Adjustment("erin", "", 10, "")])
    erin = apply(late, "erin", 50, 100, submitted=DUE + timedelta(hours=1))
    assert (erin.adjusted, erin.penalty, erin.final) == (60, 6, 54)  # the penalty is of the adjusted score
    assert erin.to_json()["final"] == 54 and erin.to_json()["days_late"] == 1


def test_files_are_read_and_bad_rows_named(tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("student,submitted\nalice,2026-12-01T22:00:00+00:00\n\n# a comment\nbob,2026-12-02 08:00Z\n")
    read = read_times(times)
    assert read["alice"] == datetime(2026, 12, 1, 22, tzinfo=UTC) and read["bob"].hour == 8
    adjustments = tmp_path / "adjustments.csv"
    adjustments.write_text('student,target,points,comment\nalice,tensors,+2,"late, but fair"\nbob,,-1\n')
    assert read_adjustments(adjustments) == [
        Adjustment("alice", "tensors", 2.0, "late, but fair"),
        Adjustment("bob", "", -1.0, ""),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("student,target,points\nalice,tensors,lots\n")
    with pytest.raises(PolicyError) as error:
        read_adjustments(bad)
    assert "line 2" in error.value.msg.en and "'lots' is not a number" in error.value.msg.en
    assert "第 2 行" in error.value.msg.zh and "line" not in error.value.msg.zh
    bad.write_text("alice,yesterday\n")
    with pytest.raises(PolicyError) as error:
        read_times(bad)
    assert "line 1" in error.value.msg.en and "ISO 8601" in error.value.msg.en
    with pytest.raises(PolicyError):
        read_times(tmp_path / "missing.csv")
    nan = tmp_path / "nan.csv"
    nan.write_text("alice,,nan\n")
    with pytest.raises(PolicyError):
        read_adjustments(nan)


def test_times_without_offset_are_local_and_typos_are_named():
    assert parse_time("2026-12-01T23:59").tzinfo is not None
    problems = unknown_targets(
        [Adjustment("alice", "tensor", 1), Adjustment("zed", "", 1)], {"tensors", "tensors.from_data"}, {"alice"}
    )
    texts = " ".join(p.en for p in problems)
    assert "'tensor' is no exercise or check" in texts and "'zed': no such student" in texts


def test_newest_file_time_is_by_lstat(tmp_path):
    (tmp_path / "tensors.py").write_text("x")
    os.utime(tmp_path / "tensors.py", (1_700_000_000, 1_700_000_000))
    (tmp_path / "link.py").symlink_to("/etc/hostname")
    assert newest_file_time(tmp_path) == datetime.fromtimestamp(1_700_000_000).astimezone()
    assert newest_file_time(tmp_path / "nowhere") is None
