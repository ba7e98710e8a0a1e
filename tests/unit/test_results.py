"""The typed result model (blitz/engine/results.py): its words, how checks add up, its JSON."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from blitz.checks import CapstoneData, Context, get_check
from blitz.course.i18n import Msg
from blitz.engine.results import (
    CheckResult,
    ExerciseResult,
    Standing,
    Status,
    SubmissionResult,
    by_exercise,
)
from blitz.grading.discover import Target
from blitz.grading.runner import Options, make_record, zero_record

TITLE = Msg("标题", "title")
WHY = Msg("原因", "why")


def result(status: Status | str, exercise: str = "tensors", name: str = "a", max_score: float = 2.5) -> CheckResult:
    message = None if status == "passed" else WHY
    return CheckResult(exercise, name, TITLE, status, max_score, message, seconds=0.25)


def exercise(*statuses: str) -> ExerciseResult:
    return ExerciseResult("tensors", [result(s, name=f"c{i}") for i, s in enumerate(statuses)])


# --- the words --------------------------------------------------------------------------------


def test_status_is_its_string_in_json_formats_and_dicts():
    assert Status("not_done") is Status.NOT_DONE
    assert Status.NOT_DONE == "not_done" and f"{Status.NOT_DONE}" == "not_done" and str(Status.ERROR) == "error"
    assert f"{Status.PASSED:>8}" == "  passed"
    assert json.dumps({"s": Status.TIMEOUT, "t": Standing.DONE}) == '{"s": "timeout", "t": "done"}'
    assert {Standing.DONE: 1}["done"] == 1 and {"failed": 1}[Status.FAILED] == 1
    with pytest.raises(ValueError):
        Status("finished")


def test_errors_are_crashes_timeouts_and_errors():
    assert {s for s in Status if s.is_error} == {Status.CRASHED, Status.TIMEOUT, Status.ERROR}


def test_a_string_status_becomes_the_enum():
    r = result("failed")
    assert r.status is Status.FAILED and not r.passed and r.score == 0.0
    assert ExerciseResult("x", given="missing").given is Standing.MISSING


# --- one check --------------------------------------------------------------------------------


def test_a_check_scores_its_maximum_only_when_it_passed():
    passed, failed = result("passed"), result("error")
    assert passed.passed and passed.score == 2.5 and passed.key == "tensors.a"
    assert not failed.passed and failed.score == 0.0 and failed.max_score == 2.5


def test_a_registered_check_makes_its_result():
    entry = get_check("tensors.from_data")
    r = entry.result(Status.MISSING, WHY, 1.5)
    assert (r.key, r.title, r.max_score, r.status, r.message) == (
        entry.key,
        entry.title,
        entry.max_score,
        "missing",
        WHY,
    )
    assert not hasattr(entry, "hidden")


# --- an exercise: score, status (the grade's word), standing (the student's) ---------------------


def test_all_passed_is_passed_and_done():
    ex = exercise("passed", "passed")
    assert ex.status is Status.PASSED and ex.standing is Standing.DONE
    assert (ex.score, ex.max_score, ex.passed_count) == (5.0, 5.0, 2)


def test_some_passed_the_rest_failed_is_partial_and_failing():
    ex = exercise("passed", "failed", "failed")
    assert ex.status is Status.PARTIAL and ex.standing is Standing.FAILING
    assert (ex.score, ex.max_score) == (2.5, 7.5)


def test_only_failures_is_failed():
    assert exercise("failed", "failed").status is Status.FAILED


def test_stubs_are_not_done_and_not_started():
    ex = exercise("not_done", "not_done")
    assert ex.status is Status.NOT_DONE and ex.standing is Standing.NOT_STARTED


def test_a_stub_beside_a_pass_is_not_done_for_the_grade_but_failing_for_the_student():
    ex = exercise("passed", "not_done")
    assert ex.status is Status.NOT_DONE and ex.standing is Standing.FAILING


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (("failed", "not_done", "passed"), Status.NOT_DONE),
        (("not_done", "error"), Status.ERROR),
        (("error", "missing"), Status.MISSING),
        (("missing", "timeout", "error"), Status.TIMEOUT),
        (("timeout", "crashed", "not_done", "passed"), Status.CRASHED),
    ],
)
def test_the_worst_outcome_wins(statuses, worst):
    assert exercise(*statuses).status is worst


def test_a_given_standing_says_what_no_check_can():
    ex = ExerciseResult("pipeline", given=Standing.UNCHECKED, note=WHY)
    assert ex.standing is Standing.UNCHECKED and ex.score == 0.0 and ex.note == WHY
    stopped = ExerciseResult("data", [result("passed", "data")], Standing.NO_DATA, WHY)
    assert stopped.standing is Standing.NO_DATA and stopped.score == 2.5


def test_scores_are_rounded_as_the_records_were():
    thirds = ExerciseResult("autograd", [result("passed", "autograd", str(i), 10 / 3) for i in range(3)])
    assert thirds.score == 10.0 and thirds.summary() == {"score": 10.0, "max_score": 10.0, "status": "passed"}


def test_checks_are_grouped_in_the_order_asked():
    checks = [result("passed", "model"), result("failed", "tensors"), result("passed", "model", "b")]
    grouped = by_exercise(checks, ("tensors", "autograd", "model"))
    assert list(grouped) == ["tensors", "model"]  # autograd has no check: no line
    assert [c.name for c in grouped["model"].checks] == ["a", "b"]


# --- JSON round trips ---------------------------------------------------------------------------


def test_a_check_round_trips():
    for r in (result("passed"), result("timeout")):
        data = json.loads(json.dumps(r.to_json()))
        assert CheckResult.from_json(data) == r
        assert data["status"] == r.status.value and data["score"] == r.score and data["key"] == r.key
    assert result("crashed").to_json()["message"] == {"zh": "原因", "en": "why"}


def test_an_exercise_round_trips_with_its_given_standing():
    for ex in (exercise("passed", "not_done"), ExerciseResult("data", [result("passed")], Standing.NO_DATA, WHY)):
        data = json.loads(json.dumps(ex.to_json()))
        back = ExerciseResult.from_json(data)
        assert back == ex and back.standing is ex.standing and back.status is ex.status
        assert data["standing"] == ex.standing.value and data["status"] == ex.status.value


# A record as `blitz grade` wrote it before the typed model (checks still had "hidden").
OLD_RECORD = {
    "student": "ann",
    "folder": "/subs/ann",
    "fingerprint": "f" * 64,
    "status": "graded",
    "notes": "tensors: not_done",
    "message": None,
    "score": 11.25,
    "max_score": 12.5,
    "seconds": 8.925,
    "exercises": {
        "tensors": {"score": 1.25, "max_score": 2.5, "status": "not_done"},
        "autograd": {"score": 10.0, "max_score": 10.0, "status": "passed"},
    },
    "checks": [
        {
            "key": "tensors.from_data",
            "exercise": "tensors",
            "name": "from_data",
            "title": {"zh": "用数据创建张量", "en": "Tensor from data"},
            "status": "not_done",
            "score": 0.0,
            "max_score": 1.25,
            "message": {"zh": "还没有实现", "en": "is not implemented yet"},
            "seconds": 3.909,
            "hidden": False,
        },
        {
            "key": "tensors.from_numpy",
            "exercise": "tensors",
            "name": "from_numpy",
            "title": {"zh": "共享内存", "en": "shares memory"},
            "status": "passed",
            "score": 1.25,
            "max_score": 1.25,
            "message": None,
            "seconds": 0.021,
            "hidden": False,
        },
        *(
            {
                "key": f"autograd.c{i}",
                "exercise": "autograd",
                "name": f"c{i}",
                "title": {"zh": "梯度", "en": "gradients"},
                "status": "passed",
                "score": 10 / 3,
                "max_score": 10 / 3,
                "message": None,
                "seconds": 0.011,
                "hidden": False,
            }
            for i in range(3)
        ),
    ],
    "isolation": "process group, no network",
    "device": "cpu",
    "kit_version": "0.1.0",
}


def test_an_old_graded_record_reads_back_and_writes_the_same_without_hidden():
    record = SubmissionResult.from_json(copy.deepcopy(OLD_RECORD))
    assert record.status is Status.GRADED and list(record.exercises) == ["tensors", "autograd"]
    assert record.exercises["tensors"].status is Status.NOT_DONE and record.exercises["autograd"].score == 10.0
    assert (record.score, record.max_score, record.notes) == (11.25, 12.5, "tensors: not_done")
    expected = copy.deepcopy(OLD_RECORD)
    for row in expected["checks"]:
        del row["hidden"]
    assert record.to_json() == expected
    assert SubmissionResult.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_a_damaged_record_does_not_read_back():
    bad = copy.deepcopy(OLD_RECORD)
    bad["checks"][0]["status"] = "half-done"
    with pytest.raises(ValueError):
        SubmissionResult.from_json(bad)


# --- records built by the grading runner ----------------------------------------------------------


def test_a_graded_record_adds_up_its_checks():
    options = Options(exercises=("tensors", "autograd"))
    checks = [
        get_check("tensors.from_data").result(Status.PASSED, None, 0.5),
        get_check("tensors.from_numpy").result(Status.FAILED, WHY, 0.25),
        get_check("autograd.sgd_step").result(Status.CRASHED, WHY, 0.125),
    ]
    record = make_record(Target("bob", "/subs/bob"), options, checks, Status.GRADED, "d" * 64, None, 2.0, "iso")
    assert {e: ex.status for e, ex in record.exercises.items()} == {"tensors": "partial", "autograd": "crashed"}
    assert record.score == pytest.approx(checks[0].max_score) and record.notes == "autograd: crashed"
    data = json.loads(json.dumps(record.to_json()))
    assert data["status"] == "graded" and data["exercises"]["tensors"]["status"] == "partial"
    assert [c["status"] for c in data["checks"]] == ["passed", "failed", "crashed"]
    assert SubmissionResult.from_json(data) == record


def test_a_zero_record_has_one_reason_for_every_check(tmp_path):
    options = Options(exercises=("autograd",))
    record = zero_record(Target("eve", str(tmp_path), "empty"), options, WHY, Status.EMPTY)
    assert record.status is Status.EMPTY and record.score == 0 and record.max_score == 10.0
    assert {c.status for c in record.checks} == {Status.MISSING} and record.notes == "why"
    failed = zero_record(Target("eve", str(tmp_path)), options, WHY, Status.ERROR)
    assert {c.status for c in failed.checks} == {Status.ERROR}


# --- the capstone's typed inputs --------------------------------------------------------------------


class CapstoneProbe:
    """A submission whose model is the course's CNN, whose trained model predicts the true labels
    (the trusted side's predictions are faked below), and whose accuracy counts against `seen`."""

    def __init__(self, seen: torch.Tensor, true: torch.Tensor):
        self.seen, self.true, self.roots = seen, true, []

    def probe(self, name, *args):
        if name == "cnn":
            from blitz.engine.fixtures import assign_by_shape
            from solutions.model import CNN

            weights, inputs = args
            net = CNN().eval()
            assign_by_shape(net, weights)
            with torch.no_grad():
                outputs = [net(x) for x in inputs]
            return {
                "is_module": True,
                "params": [p.detach().clone() for p in net.parameters()],
                "assign_problems": [],
                "outputs": outputs,
            }
        root = args[0]
        self.roots.append(root)
        n = 50
        accuracy = (self.true[:n] == self.seen[:n]).float().mean().item()
        return {
            "train_size": 5000,
            "loaded_train_size": 60000,
            "weights": [],
            "subset_predictions": self.true[:n].clone(),
            "losses": [0.5, 0.2],
            "subset": n,
            "student_subset_accuracy": accuracy,
            "fastpath": {},
        }


def test_the_capstone_check_grades_against_the_labels_its_worker_saw(monkeypatch):
    from blitz.checks import run_check
    from blitz.course import mnist
    from blitz.exercises.pipeline import checks as pipeline
    from blitz.exercises.pipeline.checks import true_test_labels

    root = str(mnist.require())
    true = true_test_labels(root)
    # The trusted side's own predictions of the test images (from the weights) are right here.
    monkeypatch.setattr(pipeline, "trusted_predictions", lambda weights, root: (true.clone(), []))
    shuffled = true[torch.randperm(len(true), generator=torch.Generator().manual_seed(1))]
    entry = get_check("pipeline.mnist_accuracy")
    graded = CapstoneProbe(shuffled, true)
    ctx = Context(data_root=root, capstone=CapstoneData(worker_data_root="/worker/data", labels_seen=shuffled))
    assert run_check(entry, graded, ctx).status is Status.PASSED
    assert graded.roots == ["/worker/data"]
    # Without the grading runner's data the worker sees the real folder and the true labels:
    # an answer computed on the shuffled ones is then wrong.
    local = CapstoneProbe(shuffled, true)
    outcome = run_check(entry, local, Context(data_root=root))
    # (issue 23.7: a wrong evaluate.accuracy costs its share of the capstone, 20%, not all of it)
    assert outcome.status is Status.FAILED and outcome.score == 0.8 * outcome.max_score
    assert local.roots == [root]


def test_a_run_outcome_round_trips_through_json_in_each_state():
    """The local engine's outcomes are typed (RunOutcome), one JSON form each: done, failed, cancelled."""
    from blitz.engine.results import RunOutcome, RunState

    check = CheckResult("tensors", "gram", Msg("格拉姆", "Gram"), Status.TIMEOUT, 1.25, Msg("停", "stopped"), 3.0)
    done = RunOutcome(
        RunState.DONE, "tensors", [check], {"head": ["a"], "tail": [], "omitted": 0}, 3.5, Msg("停", "stopped")
    )
    for outcome in (done, RunOutcome.failed("the worker ended"), RunOutcome.cancelled()):
        data = json.loads(json.dumps(outcome.to_json()))
        again = RunOutcome.from_json(data)
        assert again.state is outcome.state and again.to_json() == outcome.to_json()
    assert RunOutcome.from_json({"cancelled": True}).state is RunState.CANCELLED
    assert RunOutcome.from_json({"failed": "x"}).why == "x"
    back = RunOutcome.from_json(done.to_json())
    assert back.results[0].status is Status.TIMEOUT and back.stopped == Msg("停", "stopped") and back.done


def test_each_level_has_its_own_words():
    """A check's status, an exercise's, a submission's state: the levels are stated, and partial or
    graded is never a check's status."""
    from blitz.engine.results import CHECK_STATUSES, EXERCISE_STATUSES, SUBMISSION_STATES

    assert Status.PARTIAL not in CHECK_STATUSES and Status.PARTIAL in EXERCISE_STATUSES
    assert {Status.GRADED, Status.EMPTY, Status.REFUSED} <= SUBMISSION_STATES
    assert not (SUBMISSION_STATES - {Status.MISSING}) & EXERCISE_STATUSES
    assert CHECK_STATUSES | EXERCISE_STATUSES | SUBMISSION_STATES == set(Status)
