"""The capstone's partial credit (issue 23.7): a documented curve from chance to the bar, a check that
earns a share of its points (CheckResult.credit), and every report showing fractional points."""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET

import mutants
import pytest
import torch
from mutants import RIGHT_WEIGHTS

from blitz.course import mnist
from blitz.course.i18n import Msg
from blitz.course.text import points
from blitz.engine.check import CheckFailure, fail
from blitz.engine.results import CheckResult, ExerciseResult, Status, SubmissionResult, by_exercise
from blitz.exercises.pipeline import checks as pipeline
from blitz.exercises.pipeline.checks import true_test_labels
from blitz.grading import reports

TITLE = Msg("标题", "title")


def test_the_curve_runs_from_chance_to_the_bar():
    assert pipeline.CHANCE == 0.10 and pipeline.BAR == 0.91
    assert pipeline.curve(0.10) == 0.0 and pipeline.curve(0.05) == 0.0
    assert pipeline.curve(0.91) == 1.0 and pipeline.curve(0.99) == 1.0
    assert pipeline.curve(0.505) == pytest.approx(0.5)
    assert pipeline.curve(0.758) == pytest.approx((0.758 - 0.10) / 0.81)
    assert pipeline.curve(math.nan) == 0.0


def test_a_failure_can_carry_credit():
    with pytest.raises(CheckFailure) as raised:
        fail(Msg("甲", "a"), credit=0.25)
    assert raised.value.credit == 0.25
    with pytest.raises(CheckFailure) as plain:
        fail(Msg("甲", "a"))
    assert plain.value.credit == 0.0


def test_a_check_result_with_credit_scores_its_share_and_round_trips():
    row = CheckResult("pipeline", "mnist_accuracy", TITLE, Status.FAILED, 15.0, Msg("x", "x"), credit=0.8123)
    assert row.score == 12.18 and not row.passed
    back = CheckResult.from_json(row.to_json())
    assert back.score == 12.18 and back.credit == pytest.approx(0.8123)
    assert row.to_json()["score"] == 12.18
    # A pass earns everything; a credit outside 0..1 (or NaN) is clamped.
    assert CheckResult("p", "c", TITLE, Status.PASSED, 15.0, credit=0.3).score == 15.0
    assert CheckResult("p", "c", TITLE, Status.FAILED, 15.0, credit=7).score == 15.0
    assert CheckResult("p", "c", TITLE, Status.FAILED, 15.0, credit=-1).score == 0.0
    assert CheckResult("p", "c", TITLE, Status.FAILED, 15.0, credit=math.nan).score == 0.0
    # No credit, no key: the JSON of every other check is as before.
    assert "credit" not in CheckResult("p", "c", TITLE, Status.FAILED, 15.0).to_json()


def _record() -> SubmissionResult:
    rows = [
        CheckResult("tensors", "a", TITLE, Status.PASSED, 5.0),
        CheckResult("pipeline", "mnist_accuracy", TITLE, Status.FAILED, 15.0, Msg("低", "low"), credit=0.8123),
    ]
    exercises = by_exercise(rows, ["tensors", "pipeline"])
    return SubmissionResult("ada", "/x/ada", "f", Status.GRADED, exercises)


def test_every_report_shows_fractional_points():
    record = _record()
    assert record.score == 17.18 and record.exercises["pipeline"].score == 12.18
    data = reports.results_json(record)
    assert data["score"] == 17.18
    assert [t["score"] for t in data["tests"]] == [5.0, 12.18]
    assert SubmissionResult.from_json(record.to_json()).score == 17.18  # a resumed batch keeps the credit
    rows = list(csv.reader(io.StringIO(reports.grades_csv([record]))))
    assert "17.18" in rows[1] and "12.18" in rows[1], rows
    suite = ET.fromstring(reports.junit_xml([record]).split("\n", 1)[1]).find("testsuite")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["score"] == "17.18"
    assert "17.18" in reports.summary_table([record]) and "12.18" in reports.summary_table([record])
    assert ExerciseResult("pipeline", record.exercises["pipeline"].checks).score == 12.18
    assert points(12.18) == "12.18" and points(15.0) == "15" and points(12.1) == "12.1"


@pytest.fixture(scope="module")
def labels():
    return true_test_labels(str(mnist.require()))


def predictions_at(labels: torch.Tensor, accuracy: float) -> torch.Tensor:
    """Predictions that get exactly round(accuracy * 10,000) test images right (the first 50 right)."""
    wrong = len(labels) - round(accuracy * len(labels))
    out = labels.clone()
    out[len(labels) - wrong :] = (labels[len(labels) - wrong :] + 1) % 10
    return out


@pytest.mark.parametrize("accuracy", [0.758, 0.435, 0.103])
def test_below_the_bar_earns_points_on_the_curve(labels, accuracy):
    """The issue's 75.8%, 43.5% and 10.3%, which all scored 0: now their share of the curve, said in both languages."""
    guesses = predictions_at(labels, accuracy)
    answer = {"weights": RIGHT_WEIGHTS, "subset_predictions": guesses[:50].clone(), "student_subset_accuracy": 1.0}
    result = mutants.run_canned_capstone(answer, guesses)
    measured = (guesses == labels).float().mean().item()
    assert result.status == "failed" and not result.passed
    assert result.score == round(15 * pipeline.curve(measured), 2) > 0
    for lang in ("en", "zh"):
        text = result.message.render(lang)
        assert f"{measured:.2%}" in text and "91%" in text and "10%" in text, text
        assert points(result.score) in text and "15" in text, text


def test_a_wrong_evaluation_costs_its_share_only(labels):
    """Every prediction right, the student's evaluate.accuracy wrong: the capstone keeps 80% of its points."""
    answer = {"weights": RIGHT_WEIGHTS, "subset_predictions": labels[:50].clone(), "student_subset_accuracy": 0.5}
    result = mutants.run_canned_capstone(answer, labels)
    assert result.status == "failed" and result.score == 12.0
    assert "costs 20%" in result.message.render("en") and "12 of 15" in result.message.render("en")
    assert "扣掉 20%" in result.message.render("zh")


def test_a_model_that_sent_back_other_weights_earns_nothing(labels):
    """The worker's model and the weights it sent back disagree: nothing it says is believed, no credit."""
    guesses = predictions_at(labels, 0.758)
    answer = {"weights": RIGHT_WEIGHTS, "subset_predictions": torch.zeros(50, dtype=labels.dtype)}
    result = mutants.run_canned_capstone(answer, guesses)
    assert result.status == "failed" and result.score == 0


def test_a_pass_says_the_accuracy_the_bar_and_the_points(labels):
    answer = {"weights": RIGHT_WEIGHTS, "subset_predictions": labels[:50].clone(), "student_subset_accuracy": 1.0}
    result = mutants.run_canned_capstone(answer, labels)
    assert result.passed and result.score == 15
    assert "100.00%" in result.note.render("en") and "91%" in result.note.render("en")
    assert "15 of 15" in result.note.render("en") and "15 / 15" in result.note.render("zh")


def test_a_model_failing_its_checks_is_replaced_by_the_course_cnn(labels):
    """A CNN whose outputs are not the course's: the capstone asks the worker to train the course's CNN
    in its place (no cascade), scores it, and says so in both languages."""
    asked = {}

    class Watching(mutants.Canned):
        def probe(self, name, *args, **kwargs):
            if name == "pipeline":
                asked.update(kwargs)
            return super().probe(name, *args, **kwargs)

    from unittest import mock

    from blitz.checks import Context, get_check, run_check

    sub = Watching(cnn="not a tensor", weights=RIGHT_WEIGHTS, subset_predictions=labels[:50].clone())
    sub.answer["student_subset_accuracy"] = 1.0
    with mock.patch.object(pipeline, "trusted_predictions", lambda w, r: (labels.clone(), [])):
        result = run_check(get_check("pipeline.mnist_accuracy"), sub, Context())
    assert asked.get("course_cnn") is True
    assert result.passed and result.score == 15
    assert "reference CNN was trained in its place" in result.note.render("en")
    assert "参考 CNN 代替它" in result.note.render("zh")
