"""The class report (blitz/grading/class_report.py): from a real `blitz grade` of a small class, and from
records built here for the cases a real batch cannot make on demand (a grader error, many messages).

The class (tensors and autograd only, to stay fast): the reference; the untouched stubs; a syntax error
in autograd.py; two students whose from_data keeps float32 (the same failure); the one of them with a
hostile folder name also has gram raise an exception whose text holds escapes and a formula; a folder
holding a symlink (refused: not graded).
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct

import kit
import mutants
import pytest

from blitz.course import figures
from blitz.course.figures import png_metadata
from blitz.course.i18n import Msg
from blitz.engine.results import CheckResult, ExerciseResult, Status, SubmissionResult
from blitz.grading import batch, class_report
from blitz.grading.class_report import common_failures, pattern, write_class_report

EXERCISES = "tensors,autograd"
FLOAT_FROM_DATA = mutants.by_name("from_data_float_tensor")
HOSTILE_FOLDER = '=HYPERLINK("x")\x1b[31m\nforged'
HOSTILE_ID = '=HYPERLINK("x")%1B[31m%0Aforged'  # names.student_id: ESC and newline escaped %XX (injective)
HOSTILE_RAISE = (
    "def gram(m):\n    raise ValueError('\\x1b]0;pwned\\x07\\x1b[2J=cmd|calc!A0\\r\\nforged: all tests passed')\n"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FILES = {
    "pass_rate.csv",
    "pass_rate.png",
    "scores.csv",
    "score_histogram.png",
    "exercise_time.csv",
    "exercise_time.png",
    "common_failures.csv",
}


def rows(path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8", newline="")))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("classreport")
    subs = root / "class"
    only = tuple(EXERCISES.split(","))
    mutants.build(subs / "ref", only=only)
    mutants.stubs(subs / "stub")
    for extra in (subs / "stub").glob("*.py"):
        if extra.stem not in only:
            extra.unlink()
    mutants.build(subs / "broken", only=only)
    (subs / "broken" / "autograd.py").write_text("def oops(:\n", encoding="utf-8")
    mutants.build(subs / "bob", FLOAT_FROM_DATA, only=only)
    hostile = mutants.build(subs / HOSTILE_FOLDER, FLOAT_FROM_DATA, only=only)
    with (hostile / "tensors.py").open("a", encoding="utf-8") as f:
        f.write("\n\n" + HOSTILE_RAISE)
    mutants.build(subs / "linked", only=only)
    (subs / "linked" / "notes.py").symlink_to("/dev/zero")
    out = root / "out"
    # --workers 1: graded in the grader's own process (a pool would start an interpreter per worker, each importing
    # torch, for five small gradings); the report is written from the records alike.
    args = ("grade", str(subs), "--out", str(out), "--exercises", EXERCISES, "--workers", "1", "--no-progress")
    run = kit.blitz(*args, lang="en", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    return root, out, run, args


# ---------------------------------------------------------------------------------------------- real class


@pytest.mark.slow
def test_every_file_is_written_and_the_terminal_says_where(graded):
    _, out, run, _ = graded
    folder = out / "class_report"
    assert {p.name for p in folder.iterdir()} == FILES
    assert f"class report: {folder}/" in run.stdout
    assert not list(out.rglob("*.tmp")), "a temporary file of an atomic write was left behind"


@pytest.mark.slow
def test_pass_rates_count_the_ungraded_as_not_passing(graded):
    _, out, _, _ = graded
    table = {r["check"]: r for r in rows(out / "class_report" / "pass_rate.csv")}
    keys = list(table)
    assert keys[0] == "tensors.from_data" and keys[-1] == "autograd.sgd_step"  # the course's order
    assert len(keys) == 15 and keys.index("tensors.double_in_place") == 11
    from_data = table["tensors.from_data"]
    counts = {k: from_data[k] for k in ("students", "passed", "failed", "not_done", "error", "not_graded")}
    assert counts == {"students": "6", "passed": "2", "failed": "2", "not_done": "1", "error": "0", "not_graded": "1"}
    assert (from_data["pass_rate"], from_data["pass_rate_graded"]) == ("0.3333", "0.4000")
    gram = table["tensors.gram"]
    assert (gram["passed"], gram["error"], gram["pass_rate"]) == ("3", "1", "0.5000")
    for key in ("autograd.cubic_minus_square_grads", "autograd.backward_twice", "autograd.sgd_step"):
        assert (table[key]["passed"], table[key]["error"], table[key]["not_graded"]) == ("3", "1", "1")
    assert all(int(r["students"]) == sum(int(r[c]) for c in class_report.CATEGORIES) for r in table.values())


@pytest.mark.slow
def test_scores_are_the_totals_and_the_refused_are_not_graded(graded):
    _, out, _, _ = graded
    table = {r["student"]: r for r in rows(out / "class_report" / "scores.csv")}
    totals = {s: (r["total"], r["max_total"], r["graded"]) for s, r in table.items()}
    assert totals == {
        "'" + HOSTILE_ID: ("22.5", "25", "yes"),
        "bob": ("23.75", "25", "yes"),
        "broken": ("15", "25", "yes"),
        "linked": ("0", "25", "no"),
        "ref": ("25", "25", "yes"),
        "stub": ("0", "25", "yes"),
    }
    assert table["linked"]["status"] == "refused"
    meta = png_metadata(out / "class_report" / "score_histogram.png")
    assert json.loads(meta["blitz:bins"])[-1] == 25
    assert json.loads(meta["blitz:graded"]) == [1, 0, 0, 0, 0, 0, 1, 0, 0, 3]  # 0 | 15 | 22.5, 23.75, 25
    assert json.loads(meta["blitz:not_graded"]) == 1


@pytest.mark.slow
def test_the_commonest_failure_is_the_shared_one_with_its_counts(graded):
    _, out, run, _ = graded
    failures = rows(out / "class_report" / "common_failures.csv")
    first = failures[0]
    assert (first["rank"], first["students"], first["occurrences"], first["checks"]) == (
        "1",
        "2",
        "2",
        "tensors.from_data",
    )
    assert "float32" in first["example_en"] and "int64" in first["pattern"]
    second = failures[1]  # the syntax error: one student, every autograd check
    assert (second["students"], second["occurrences"]) == ("1", "3") and "SyntaxError" in second["example_en"]
    assert "line #" in second["pattern"]
    assert [f["checks"] for f in failures[2:]] == ["tensors.gram"]  # stubs are not failures here
    printed = run.stdout.splitlines()
    at = printed.index("  1. 2 × 2  tensors.from_data")
    assert printed[at + 1].strip().startswith("Called tensors.from_data(")
    assert "returned: dtype torch.float32 expected: dtype torch.int64" in printed[at + 1]


@pytest.mark.slow
def test_pngs_are_real_pngs_that_matplotlib_wrote(graded):
    from PIL import Image

    _, out, _, _ = graded
    folder = out / "class_report"
    for name in ("pass_rate.png", "score_histogram.png", "exercise_time.png"):
        data = (folder / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE
        width, height = struct.unpack(">II", data[16:24])
        with Image.open(folder / name) as image:
            image.verify()
        meta = png_metadata(folder / name)
        assert meta["Software"].startswith("Matplotlib") and meta["blitz:kind"] == name.removesuffix(".png")
        assert width >= 600 and height >= 400, (name, width, height)
    drawn = json.loads(png_metadata(folder / "pass_rate.png")["blitz:checks"])
    table = {r["check"]: r for r in rows(folder / "pass_rate.csv")}
    assert drawn == [[k, int(r["passed"]), int(r["students"])] for k, r in table.items()]
    timed = json.loads(png_metadata(folder / "exercise_time.png")["blitz:exercises"])
    assert [(e, n) for e, n, _, _, _ in timed] == [("tensors", 5), ("autograd", 5)]
    times = {r["exercise"]: r for r in rows(folder / "exercise_time.csv")}
    assert all(0 < float(times[e]["median_s"]) <= float(times[e]["max_s"]) for e in times)


@pytest.mark.slow
def test_hostile_names_and_messages_inject_nothing(graded):
    _, out, run, _ = graded
    folder = out / "class_report"
    for name in ("pass_rate.csv", "scores.csv", "exercise_time.csv", "common_failures.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text, name
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), (name, row)
    gram = next(r for r in rows(folder / "common_failures.csv") if r["checks"] == "tensors.gram")
    # The escapes are gone (the title-setting OSC with its text), the forged line is joined to the rest.
    assert "raised: ValueError: =cmd|calc!A0 forged: all tests passed" in gram["example_en"]
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    for name in ("pass_rate.png", "score_histogram.png", "exercise_time.png"):  # no student text drawn
        assert not any("HYPERLINK" in v or "calc" in v for v in png_metadata(folder / name).values())
    assert not any(line.startswith("forged") for line in run.stdout.splitlines())


@pytest.mark.slow
def test_a_resumed_batch_writes_the_report_again_with_the_kept_records(graded):
    root, out, _, args = graded
    before = {n: (out / "class_report" / n).read_bytes() for n in FILES if n.endswith(".csv")}
    stamp = (out / "class_report" / "pass_rate.png").stat().st_mtime_ns
    again = kit.blitz(*args, lang="en", cwd=root)
    assert again.returncode == 0 and "0 graded, 6 kept" in again.stdout, again.stdout
    assert (out / "class_report" / "pass_rate.png").stat().st_mtime_ns != stamp
    for name, data in before.items():
        assert (out / "class_report" / name).read_bytes() == data, name
    assert "class report:" in again.stdout


# ---------------------------------------------------------------------------------------------- built records


def check(exercise: str, name: str, status: Status, message: str | None = None, seconds: float = 1.0, points=5.0):
    text = None if message is None else Msg(f"中：{message}", message)
    return CheckResult(exercise, name, Msg(name, name), status, points, text, seconds)


def record(student: str, checks: list[CheckResult], status: Status = Status.GRADED) -> SubmissionResult:
    exercises: dict[str, ExerciseResult] = {}
    for c in checks:
        exercises.setdefault(c.exercise, ExerciseResult(c.exercise)).checks.append(c)
    return SubmissionResult(student, f"/class/{student}", "f" * 64, status, exercises)


def test_a_grader_error_counts_as_not_graded_never_as_a_pass(tmp_path):
    ok = record("ok", [check("model", "a", Status.PASSED), check("model", "b", Status.PASSED)])
    # What blitz.grading.runner.zero_record makes when the grader fails: every check an error, one message.
    failed = record(
        "crashed_grader",
        [check("model", n, Status.ERROR, "The grader failed (not the student's code)") for n in "ab"],
        Status.ERROR,
    )
    paths = write_class_report([ok, failed], tmp_path, "en")
    table = {r["check"]: r for r in rows(paths["pass_rate.csv"])}
    assert (table["model.a"]["passed"], table["model.a"]["error"], table["model.a"]["not_graded"]) == ("1", "0", "1")
    assert (table["model.a"]["pass_rate"], table["model.a"]["pass_rate_graded"]) == ("0.5000", "1.0000")
    assert rows(paths["common_failures.csv"]) == []  # the grader's failure is not the class's
    assert rows(paths["exercise_time.csv"])[0]["students"] == "1"
    assert [r["graded"] for r in rows(paths["scores.csv"])] == ["yes", "no"]


def test_messages_that_differ_only_in_numbers_are_one_message():
    assert pattern("shape (3, 4) expected (4, 3); largest difference 0.25 at [2, 1]") == (
        "shape (#, #) expected (#, #); largest difference # at [#, #]"
    )
    assert pattern("nn.Conv2d made float32, took 1e-05 s, line 12") == "nn.Conv2d made float32, took # s, line #"
    records = [
        record(f"s{i}", [check("tensors", "gram", Status.FAILED, f"returned shape ({i}, {i + 1})")]) for i in range(3)
    ]
    records.append(record("t", [check("tensors", "gram", Status.FAILED, "returned dtype torch.float64")]))
    found = common_failures(records)
    assert [(f.pattern, len(f.students), f.occurrences) for f in found] == [
        ("returned shape (#, #)", 3, 3),
        ("returned dtype torch.float64", 1, 1),
    ]
    assert found[0].example.en.startswith("returned shape (")


def test_ten_commonest_ranked_by_students_then_times(tmp_path):
    records = []
    for i in range(12):  # message i reaches i + 1 students
        for s in range(i + 1):
            records.append(record(f"m{i}s{s}", [check("model", "a", Status.FAILED, f"failure kind {'x' * i}")]))
    records.append(record("stub", [check("model", "a", Status.NOT_DONE, "not implemented yet")]))
    paths = write_class_report(records, tmp_path, "en")
    got = rows(paths["common_failures.csv"])
    assert [int(r["students"]) for r in got] == list(range(12, 2, -1))
    assert all("not implemented" not in r["pattern"] for r in got)


def test_formulas_and_escapes_in_messages_stay_text(tmp_path):
    bad = "=1+2\x1b[2J\r\nforged"
    records = [record("@evil", [check("model", "a", Status.FAILED, bad)])]
    paths = write_class_report(records, tmp_path, "both")
    failure = rows(paths["common_failures.csv"])[0]
    assert failure["example_en"] == "'=1+2 forged" and failure["pattern"] == "'=#+# forged"
    assert rows(paths["scores.csv"])[0]["student"] == "'@evil"
    printed = class_report.summary_text(records, "both")
    assert "\x1b" not in printed and "\r" not in printed and "\nforged" not in printed


def test_an_empty_class_still_gets_every_file(tmp_path):
    paths = write_class_report([], tmp_path, "zh")
    assert set(paths) == FILES
    assert rows(paths["pass_rate.csv"]) == [] and rows(paths["scores.csv"]) == []
    for name in ("pass_rate.png", "score_histogram.png", "exercise_time.png"):
        assert paths[name].read_bytes()[:8] == PNG_SIGNATURE
        assert png_metadata(paths[name])["blitz:lang"] in ("zh", "en")


def test_a_report_that_cannot_be_drawn_loses_no_grades(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("no matplotlib backend")

    monkeypatch.setattr(class_report, "write_class_report", broken)
    result = batch.BatchResult(records=[record("ok", [check("model", "a", Status.PASSED)])])
    batch._write_class_report(result, tmp_path, "en")
    assert result.class_report == {} and result.class_report_error == "RuntimeError: no matplotlib backend"


@pytest.mark.parametrize("font", [True, False])
def test_the_figures_speak_chinese_only_with_a_chinese_font(tmp_path, monkeypatch, font):
    if font and figures.cjk_font() is None:
        pytest.skip("no CJK font installed here (Debian/Ubuntu: apt-get install fonts-noto-cjk)")
    if not font:
        monkeypatch.setattr(figures, "cjk_font", lambda: None)
    records = [record("s", [check("model", "a", Status.PASSED)])]
    paths = write_class_report(records, tmp_path, "zh")
    for name in ("pass_rate.png", "score_histogram.png", "exercise_time.png"):
        meta = png_metadata(paths[name])
        assert meta["blitz:lang"] == ("zh" if font else "en")
        assert bool(re.search(r"[\u4e00-\u9fff]", meta["blitz:title"])) == font, meta["blitz:title"]
