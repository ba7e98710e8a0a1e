"""`blitz grade` for a real course: due dates, extensions, the late penalty, manual adjustments, a roster,
regrading one student or one exercise into the class's reports, notebooks, per-student zips and an LMS's
download, and the exports (checks.csv, lms_grades.csv, feedback). Real `blitz grade`, real sandboxes,
small classes (tensors and autograd only).

The tests of the `course` fixture run in order: each runs `blitz grade` again on the same OUT.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path

import kit
import mutants
import pytest

from blitz.course import registry

EXERCISES = ("--exercises", "tensors,autograd")
POLICY = ("--late-penalty", "10")


def blitz(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return kit.blitz(*args, lang="en", cwd=cwd, timeout=600)


def stamp(folder: Path, when: str) -> None:
    moment = datetime.fromisoformat(when).astimezone().timestamp()
    for path in folder.iterdir():
        os.utime(path, (moment, moment))


def rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}


def lms(path: Path) -> dict[str, list[str]]:
    found = list(csv.reader(path.open(encoding="utf-8")))
    assert found[1][0] == "Points Possible"
    return {r[0]: r for r in found[2:]}


def load(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """alice on time; bob two days late (file times); carol late but extended; dan hands in a notebook
    only; zed is on the roster and handed in nothing. OUT/adjustments.csv: alice -2 on tensors, bob -5."""
    root = tmp_path_factory.mktemp("course")
    subs = root / "class"
    for name in ("alice", "bob", "carol"):
        mutants.build(subs / name, only=("tensors", "autograd"))
    (subs / "dan").mkdir()
    shutil.copy(registry.ROOT / "notebooks" / "tensors.ipynb", subs / "dan" / "tensors.ipynb")
    stamp(subs / "alice", "2026-12-01T10:00")
    stamp(subs / "bob", "2026-12-03T10:00")
    stamp(subs / "carol", "2026-12-03T10:00")
    stamp(subs / "dan", "2026-12-01T10:00")
    (root / "ext.csv").write_text("student,due\ncarol,2026-12-05T00:00\n", encoding="utf-8")
    (root / "roster.csv").write_text("student\nalice\nbob\ncarol\ndan\nzed\n", encoding="utf-8")
    out = root / "out"
    out.mkdir()
    (out / "adjustments.csv").write_text(
        "student,target,points,comment\nalice,tensors,-2,style of tensors\nbob,,-5,late form\n", encoding="utf-8"
    )
    run = blitz(
        "grade", str(subs), "--out", str(out), *EXERCISES, *POLICY, "--due", "2026-12-02T00:00",
        "--extensions", str(root / "ext.csv"), "--roster", str(root / "roster.csv"), "--workers", "2", cwd=root,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return root, subs, out, run


@pytest.mark.slow
def test_policy_is_shown_alike_in_every_export(course):
    root, subs, out, run = course
    # alice: 25 - 2 (adjustment) = 23; bob: 25 - 5 = 20, two days late: 20% off = 16; carol: extended, 25
    finals = {"alice": 23, "bob": 16, "carol": 25, "zed": 0}
    table = rows(out / "grades.csv")
    gradebook = lms(out / "lms_grades.csv")
    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")}
    for student, final in finals.items():
        assert load(out, student)["score"] == final, student
        assert table[student]["final"] == str(final), table[student]
        assert gradebook[student][1] == student and gradebook[student][5] == str(final)
        props = {p.get("name"): p.get("value") for p in suites[student].iter("property")}
        assert props["final"] == str(final)
    assert table["bob"]["total"] == "25" and table["bob"]["late_days"] == "2" and table["bob"]["penalty"] == "4"
    assert table["alice"]["adjustments"] == "-2" and table["alice"]["tensors"] == "15"
    assert table["carol"]["late_days"] == "0"
    assert load(out, "bob")["extra_data"]["policy"]["days_late"] == 2
    assert "2 day(s) late" in load(out, "bob")["output"]
    feedback = (out / "bob" / "feedback.md").read_text(encoding="utf-8")
    assert "2 day(s) late" in feedback and "late form" in feedback and "Final score: 16 / 25" in feedback
    assert "style of tensors" in (out / "alice" / "feedback.html").read_text(encoding="utf-8")
    assert table["zed"]["status"] == "missing" and "No submission from zed" in table["zed"]["notes"]
    head = run.stdout.splitlines()[0].split()
    assert head[:3] == ["student", "total", "final"]
    checks = list(csv.reader((out / "checks.csv").open(encoding="utf-8")))
    assert checks[0][0] == "student" and "tensors.from_data" in checks[0] and checks[1][0] == "(max)"


@pytest.mark.slow
def test_a_notebook_only_submission_is_graded(course):
    root, subs, out, run = course
    dan = rows(out / "grades.csv")["dan"]
    assert dan["status"] == "graded" and dan["tensors"] == "15", dan
    assert "tensors is graded from the code cells of tensors.ipynb" in run.stderr


@pytest.mark.slow
def test_another_due_date_regrades_nothing_and_changes_the_penalty(course):
    root, subs, out, _ = course
    again = blitz("grade", str(subs), "--out", str(out), *EXERCISES, *POLICY, "--due", "2026-12-03T00:00", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "0 graded, 4 kept" in again.stdout
    # bob: one day late now; carol has no extension any more: one day late too (25 - 2.5)
    assert load(out, "bob")["score"] == 18 and rows(out / "grades.csv")["bob"]["late_days"] == "1"
    assert load(out, "carol")["score"] == 22.5 and lms(out / "lms_grades.csv")["carol"][5] == "22.5"
    assert "zed" in rows(out / "grades.csv")  # kept in OUT: the class's reports still list them


@pytest.mark.slow
def test_student_regrade_keeps_the_rest_of_the_class(course):
    root, subs, out, _ = course
    (subs / "bob" / "autograd.py").write_text("raise SystemExit('broken')\n", encoding="utf-8")
    one = blitz("grade", str(subs), "--out", str(out), *EXERCISES, "--student", "bob", cwd=root)
    assert one.returncode == 0, one.stderr
    assert "1 graded, 0 kept" in one.stdout
    table = rows(out / "grades.csv")
    assert set(table) == {"alice", "bob", "carol", "dan", "zed"}
    assert table["bob"]["autograd"] == "0" and table["alice"]["autograd"] == "10"
    suites = {s.get("name") for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")}
    assert suites == set(table)
    assert set(lms(out / "lms_grades.csv")) == set(table)
    nobody = blitz("grade", str(subs), "--out", str(out), *EXERCISES, "--student", "nobody", cwd=root)
    assert nobody.returncode == 2 and "--student: no nobody in the class" in nobody.stderr


@pytest.mark.slow
def test_one_exercise_regraded_keeps_the_others(course):
    root, subs, out, _ = course
    run = blitz("grade", str(subs), "--out", str(out), "--exercises", "autograd", "--student", "alice", cwd=root)
    assert run.returncode == 0 and "1 graded" in run.stdout, run.stderr
    alice = load(out, "alice")
    assert {t["tags"][0] for t in alice["tests"]} == {"tensors", "autograd"}
    table = rows(out / "grades.csv")
    assert table["alice"]["tensors"] == "15" and table["alice"]["autograd"] == "10"
    assert table["alice"]["final"] == "23"  # the adjustment file in OUT still applies


@pytest.mark.slow
def test_a_student_removed_from_the_class_folder_is_no_longer_reported(tmp_path):
    """alice, bob and carol graded; carol's folder removed: the regrade grades nobody and reports alice
    and bob only (grades, JUnit, exports, class report), says so, and keeps carol's results on disk. A
    roster naming carol lists her as missing, her old results unreported."""
    subs, out = tmp_path / "class", tmp_path / "out"
    for name in ("alice", "bob", "carol"):
        mutants.build(subs / name, only=("tensors",))
    # --workers 1: graded in the grader's own process, as --student regrades are (a pool would start an
    # interpreter per worker, each importing torch, for a class of three; the regrades below grade nobody).
    first = blitz("grade", str(subs), "--out", str(out), "--exercises", "tensors", "--workers", "1", cwd=tmp_path)
    assert first.returncode == 0 and set(rows(out / "grades.csv")) == {"alice", "bob", "carol"}, first.stderr
    shutil.move(subs / "carol", tmp_path / "carol-gone")
    again = blitz("grade", str(subs), "--out", str(out), "--exercises", "tensors", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 graded, 2 kept" in again.stdout
    assert "carol: no longer in the class folder (nor on the roster)" in again.stderr, again.stderr
    assert set(rows(out / "grades.csv")) == {"alice", "bob"}
    assert {s.get("name") for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")} == {"alice", "bob"}
    assert set(lms(out / "lms_grades.csv")) == {"alice", "bob"}
    assert [r[0] for r in csv.reader((out / "checks.csv").open(encoding="utf-8"))][2:] == ["alice", "bob"]
    scores = csv.DictReader((out / "class_report" / "scores.csv").open(encoding="utf-8"))
    assert [r["student"] for r in scores] == ["alice", "bob"]
    assert load(out, "carol")["score"] == 15  # kept on disk, reported nowhere
    (tmp_path / "roster.csv").write_text("student\nalice\nbob\ncarol\n", encoding="utf-8")
    roster = ("--roster", str(tmp_path / "roster.csv"))
    listed = blitz("grade", str(subs), "--out", str(out), "--exercises", "tensors", *roster, cwd=tmp_path)
    assert listed.returncode == 0 and "no longer in the class folder" not in listed.stderr, listed.stderr
    table = rows(out / "grades.csv")
    assert set(table) == {"alice", "bob", "carol"} and table["carol"]["status"] == "missing", table["carol"]
    assert load(out, "carol")["score"] == 15  # her earlier results still on disk


def test_bad_policy_input_exits_two_naming_the_file_and_line(tmp_path):
    bad = tmp_path / "adj.csv"
    bad.write_text("student,target,points,comment\nalice,tensors,lots,?\n", encoding="utf-8")
    (tmp_path / "alice").mkdir()
    run = blitz(
        "grade", str(tmp_path / "alice"), "--out", str(tmp_path / "out"), "--adjustments", str(bad), cwd=tmp_path
    )
    assert run.returncode == 2 and f"{bad} line 2" in run.stderr and "not a number" in run.stderr
    due = blitz("grade", str(tmp_path / "alice"), "--out", str(tmp_path / "out"), "--due", "friday", cwd=tmp_path)
    assert due.returncode == 2 and "--due: cannot read the time 'friday'" in due.stderr
    cap = blitz("grade", str(tmp_path / "alice"), "--out", str(tmp_path / "out"), "--late-cap", "150", cwd=tmp_path)
    assert cap.returncode == 2 and "--late-cap must be at least 0 and at most 100" in cap.stderr


def bad_chars(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf")})


HOSTILE = "eve\u202egnp.exe\u200b\x1b[2J"


@pytest.fixture(scope="module")
def lms_class(tmp_path_factory):
    """One `blitz grade` of three inputs: a Canvas download (smithjane, marked late by Canvas), a folder of
    per-student zips (eve, two days late by the LMS's times) and a class folder holding a hostile folder
    name whose code raises an error message full of escapes, with an adjustment comment full of them too
    (OUT/adjustments.csv). tensors only, the late penalty, a due date and an assignment name."""
    from blitz.grading.names import student_id

    root = tmp_path_factory.mktemp("lms")
    solution = registry.get("tensors").solution_path.read_bytes()
    canvas = root / "canvas"
    canvas.mkdir()
    (canvas / "smithjane_LATE_111_222_tensors.py").write_bytes(solution)
    zips = root / "zips"
    zips.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("eve_hw/tensors.py", solution)
    (zips / "eve.zip").write_bytes(buffer.getvalue())
    folder = mutants.build(root / "class" / HOSTILE, only=("tensors",))
    with (folder / "tensors.py").open("a", encoding="utf-8") as f:
        f.write("\ndef from_data(values):\n    raise ValueError('\\x1b[31m\\u202e=cmd|calc!A0 forged')\n")
    out = root / "out"
    out.mkdir()
    who = student_id(HOSTILE)
    (out / "adjustments.csv").write_text(f"{who},,1,\x1b[31mred\u202e\n", encoding="utf-8")
    times = root / "times.csv"  # the LMS's export of submission times: eve two days late
    times.write_text("student,submitted\neve,2026-12-02T12:00\n", encoding="utf-8")
    # --workers 1: graded in the grader's own process (no pool of interpreters, each importing torch, for three).
    run = blitz(
        "grade", str(canvas), str(zips), str(root / "class"), "--out", str(out), "--exercises", "tensors", *POLICY,
        "--due", "2026-12-01T00:00", "--times", str(times), "--assignment", "Lab 1", "--workers", "1", cwd=root,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return out, who


@pytest.mark.slow
def test_canvas_download_and_per_student_zips(lms_class):
    out, who = lms_class
    table = rows(out / "grades.csv")
    assert set(table) == {"smithjane_111", "eve", who}, table
    assert table["eve"]["total"] == "15" and table["eve"]["final"] == "12" and table["eve"]["late_days"] == "2"
    # Canvas marked smithjane late (no time known): one day, 10%
    assert table["smithjane_111"]["total"] == "15" and table["smithjane_111"]["final"] == "13.5"
    header = next(csv.reader((out / "lms_grades.csv").open(encoding="utf-8")))
    assert header[-1] == "Lab 1"
    assert lms(out / "lms_grades.csv")["smithjane_111"][1] == "111"
    assert "marked late by the LMS" in (out / "smithjane_111" / "feedback.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_exports_hold_no_control_or_bidi_character(lms_class):
    """A hostile folder name and error message, and an adjustment comment with escapes: the new exports
    (feedback, checks.csv, lms_grades.csv) are cleaned as every report is."""
    out, who = lms_class
    feedback = (out / who / "feedback.md").read_text(encoding="utf-8")
    assert "forged" in feedback and "red" in feedback  # the texts reached the feedback: the test means something
    for path in (out / who / "feedback.md", out / who / "feedback.html", out / "checks.csv", out / "lms_grades.csv"):
        assert bad_chars(path.read_text(encoding="utf-8")) == [], path.name


def test_an_adjustment_naming_nothing_is_said(tmp_path):
    """A typo in the adjustments file moves no points silently: the run names it (an empty submission
    keeps this test free of sandboxes)."""
    (tmp_path / "alice").mkdir()
    adjustments = tmp_path / "adj.csv"
    adjustments.write_text("alice,tensors.nosuch,1,x\nghost,,1,y\n", encoding="utf-8")
    run = blitz(
        "grade", str(tmp_path / "alice"), "--out", str(tmp_path / "out"), "--exercises", "tensors",
        "--adjustments", str(adjustments), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "adjustment target 'tensors.nosuch' is no exercise or check of this grading" in run.stderr
    assert "adjustment for 'ghost': no such student in this class" in run.stderr
    assert rows(tmp_path / "out" / "grades.csv")["alice"]["status"] == "empty"
