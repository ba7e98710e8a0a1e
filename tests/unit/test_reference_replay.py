"""The recorded reference (blitz/engine/recorded.py, reference.py), in this process: what a student
release replays gives the live reference's results, and a call that was never recorded says why.

The whole release, installed into a fresh venv, is tested in test_release.py (slow).
"""

from __future__ import annotations

import importlib

import mutants
import pytest
import torch

from blitz.authoring.release import record_expected
from blitz.checks import Context, checks_for, run_check
from blitz.course import registry
from blitz.engine import reference
from blitz.probes.local import LocalSubmission

EXERCISES = ("model", "extras")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("expected")
    record_expected(folder, exercises=EXERCISES)
    return folder


@pytest.fixture
def replaying(recorded, monkeypatch):
    """The checks of EXERCISES replay the recording, as in a release."""
    import blitz.exercises.extras.checks
    import blitz.exercises.model.checks

    for module, exercise in ((blitz.exercises.model.checks, "model"), (blitz.exercises.extras.checks, "extras")):
        replay = reference._Reference(exercise)
        replay._source = reference.Replay(exercise, recorded)
        monkeypatch.setattr(module, "ref", replay)
    monkeypatch.setenv(reference.ENV, str(recorded))


def outcomes(folder, exercise: str, seed: int = 0) -> dict[str, tuple]:
    sub = LocalSubmission(folder)
    results = [run_check(c, sub, Context(seed=seed)) for c in checks_for(exercise)]
    return {r.key: (r.status, r.message.render("en") if r.message else None) for r in results}


@pytest.mark.parametrize("name", ["count_frozen_parameters", None])
def test_replay_judges_as_the_live_reference(name, tmp_path, recorded, monkeypatch, request):
    mutant = mutants.by_name(name) if name else None
    folder = mutants.build(tmp_path / "sub", mutant) if mutant else registry.ROOT / "solutions"
    exercises = (mutant.exercise,) if mutant else EXERCISES
    live = {e: outcomes(folder, e) for e in exercises}
    request.getfixturevalue("replaying")
    assert {e: outcomes(folder, e) for e in exercises} == live
    if mutant:
        assert {k for k, (s, _) in live[mutant.exercise].items() if s != "passed"} == mutant.fails


def test_a_seed_that_was_not_recorded_says_why(replaying):
    results = outcomes(registry.ROOT / "solutions", "model", seed=3)
    status, message = results["model.cnn_function"]
    assert status == "failed" and "This seed's expected values are not in the release" in message
    assert "no --seed" in message


def test_stand_ins_look_like_what_the_reference_built(replaying):
    import blitz.exercises.extras.checks as extras
    import blitz.exercises.model.checks as model

    loss = extras.ref.loss_for("multiclass")
    assert f"{type(loss).__module__}.{type(loss).__qualname__}" == "torch.nn.modules.loss.CrossEntropyLoss"
    assert loss.reduction == "mean" and not list(loss.parameters())
    # A reference call that drew random numbers (building layers) is served in the random state it had,
    # and leaves the state it left: here the one the check sets up, its seed's.
    torch.manual_seed(0)
    net = model.ref.CNN()
    assert [tuple(p.shape) for p in net.parameters()][0] == (16, 1, 5, 5)
    assert sum(p.numel() for p in net.parameters()) == model.REFERENCE_PARAMETERS
    after = torch.get_rng_state()
    torch.manual_seed(0)
    live = importlib.import_module("solutions.model").CNN()
    assert torch.equal(after, torch.get_rng_state())  # the same random numbers drawn as the real CNN()
    assert [p.shape for p in live.parameters()] == [p.shape for p in net.parameters()]
    torch.manual_seed(1)
    with pytest.raises(AssertionError, match="not in the release"):
        model.ref.CNN()  # never built in another random state
