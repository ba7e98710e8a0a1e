"""The capstone's grading budget follows the reference's time measured at the start of `blitz grade`
(issue 23.6; blitz/grading/capstone_budget.py): a multiple of it with a floor, said in the run's
output, and a looping capstone is stopped at that budget, not at a fixed 300 s."""

from __future__ import annotations

import json
import time

import kit
import mutants
import pytest

from blitz.course import mnist, registry
from blitz.grading import capstone_budget as timing
from blitz.grading.runner import Options


def test_the_budget_is_a_multiple_of_the_measurement_with_a_floor():
    assert timing.budget_for(1.0) == timing.MIN_BUDGET == 30
    assert timing.budget_for(10.0) == 60 == timing.BUDGET_MULTIPLE * 10
    assert Options(capstone_budget=42.0).budget(registry.CAPSTONE.id) == 42.0
    assert Options(capstone_budget=42.0).budget("tensors") == 60.0  # the other exercises keep --timeout
    assert Options().budget(registry.CAPSTONE.id) == registry.CAPSTONE.budget  # no measurement: the registry's
    # A measurement never changes a grade's fingerprint (a resumed batch measures again).
    assert Options(capstone_budget=42.0).decisive() == Options().decisive()


def test_an_injected_measurement_is_taken_as_is(monkeypatch):
    monkeypatch.setenv(timing.ENV, "12.5")
    budget = timing.measure("/nowhere")
    assert (budget.reference_seconds, budget.seconds, budget.measured) == (12.5, 75.0, False)
    assert "75 s" in budget.text() and "12.5 s" in budget.text() and timing.ENV in budget.text()


@pytest.mark.slow
def test_the_reference_is_measured_on_this_machine():
    budget = timing.measure(str(mnist.require()), threads=1)
    assert budget.measured and 0 < budget.reference_seconds < 600
    assert budget.seconds == timing.budget_for(budget.reference_seconds)


LOOPING_FIT = mutants.Mutant(
    "looping_fit",
    "train",
    "    model.to(device)\n    optimizer = torch.optim.Adam(",
    "    model.to(device)\n    while True:\n        print('step', flush=True)\n    optimizer = torch.optim.Adam(",
    frozenset(),
    "a training loop that never ends, printing at every step",
)


@pytest.mark.slow
def test_a_looping_capstone_is_stopped_at_the_measured_budget(tmp_path):
    mutants.build(tmp_path / "class" / "looper", LOOPING_FIT)
    out = tmp_path / "out"
    env = {timing.ENV: "1"}  # the reference "took" 1 s: the budget is the floor, 30 s
    started = time.monotonic()
    run = kit.blitz(
        "grade", str(tmp_path / "class"), "--out", str(out), "--exercises", "pipeline", "--no-progress",
        lang="en", env=env, cwd=tmp_path,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    said = run.stdout + run.stderr
    assert "capstone budget 30 s" in said and "1.0 s" in said, said
    results = json.loads((out / "looper" / "results.json").read_text(encoding="utf-8"))
    (test,) = [t for t in results["tests"] if "pipeline" in t["name"]]
    assert test["score"] == 0
    record = results["extra_data"]["record"]
    (check,) = record["checks"]
    assert check["status"] == "timeout" and 29 <= check["seconds"] < 120, check
    assert "time limit of 30 s" in check["message"]["en"], check["message"]["en"]
    # It printed at every step: the message shows it and says why that is slow (issue 22.4).
    assert "step" in check["message"]["en"] and "Printing at every step is slow" in check["message"]["en"]
    assert "每一步都打印很慢" in check["message"]["zh"]
    assert elapsed < 240, f"the batch took {elapsed:.0f} s: not stopped at the 30 s budget"


def test_the_options_take_the_measured_budget_once_at_the_start(monkeypatch):
    """What `blitz grade` and the Gradescope run call at their start: only when the capstone is graded."""
    from blitz.grading.capstone_budget import measured_options

    monkeypatch.setenv(timing.ENV, "20")
    root = str(mnist.require())
    options, said = measured_options(Options(exercises=("tensors", "pipeline"), data_root=root))
    assert options.capstone_budget == 120.0 and options.budget("pipeline") == 120.0
    assert said is not None and "capstone budget 120 s" in said.en and "120 秒" in said.zh
    untouched, nothing = measured_options(Options(exercises=("tensors",), data_root=root))
    assert untouched.capstone_budget == 0.0 and nothing is None
