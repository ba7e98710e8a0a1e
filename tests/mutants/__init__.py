"""Broken and alternative submissions, each written as one exact text patch on the reference.

A patch is (old → new) on ``solutions/<exercise>.py``. :func:`build` copies the reference into a
folder and applies it, refusing a patch whose ``old`` text is not there exactly once: a mutant
whose target text moved must fail loudly, never silently become the reference again.

Used by tests/corpora/test_mutants.py (each broken submission fails exactly the checks it should; each
alternative passes everything) and by benchmarks/calibrate_bar.py (the MNIST bar against broken
training loops and models). Also the submission helpers the other tests and benchmarks share:
:func:`stubs` (a student's untouched folder) and :class:`Recording` (a local submission that keeps
what its probes returned).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from blitz.course.registry import MODULE_EXERCISES, ROOT
from blitz.engine.submission import Submission
from blitz.probes.local import LocalSubmission

SOLUTIONS = ROOT / "solutions"

# The reference CNN's layers and forward (solutions/model.py, from the layers to the return): the
# text that model mutants and alternatives replace.
CNN_BODY = '''        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) → (N, 10) logits."""
        # BEGIN SOLUTION
        x = self.conv2(self.conv1(x))
        return self.out(x.flatten(1))
'''


@dataclass(frozen=True)
class Mutant:
    """One realistic student bug: the patch, the checks it must fail (pipeline aside), the bug in words."""

    name: str
    exercise: str
    old: str
    new: str
    fails: frozenset[str]
    bug: str
    # words the first failure message must contain (the hint this bug deserves), in English and in Chinese
    says: str | tuple[str, ...] = ""
    says_zh: str | tuple[str, ...] = ""


@dataclass(frozen=True)
class Alternative:
    """A correct submission written differently from the reference: it must pass every check."""

    name: str
    exercise: str
    old: str
    new: str
    why: str


def patched(source: str, old: str, new: str, label: str) -> str:
    count = source.count(old)
    if count != 1:
        raise AssertionError(f"{label}: the text to replace occurs {count} times (must be exactly once):\n{old}")
    return source.replace(old, new)


def build(folder: Path, patch: Mutant | Alternative | None = None, only: tuple[str, ...] | None = None) -> Path:
    """A submission folder: the reference exercise files (those of the exercises in `only`, if given),
    with the patch applied to one of them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS.glob("*.py"):
        if path.name != "__init__.py" and (only is None or path.stem in only):
            shutil.copy(path, folder / path.name)
    if patch is not None:
        target = folder / f"{patch.exercise}.py"
        target.write_text(
            patched(target.read_text(encoding="utf-8"), patch.old, patch.new, patch.name), encoding="utf-8"
        )
    return folder


def by_name(name: str) -> Mutant | Alternative:
    from mutants.alternatives import ALTERNATIVES
    from mutants.broken import MUTANTS, STOPPED

    for entry in (*MUTANTS, *STOPPED, *ALTERNATIVES):
        if entry.name == name:
            return entry
    raise KeyError(name)


def run_stopped(mutant: Mutant, folder: Path) -> dict:
    """The exercise's checks on a submission that never ends (mutants.broken.STOPPED), in a worker under the
    time limit STOPPED_LIMIT: by check key, each CheckResult."""
    import os
    from unittest import mock

    from blitz.execution.local import Engine
    from mutants.broken import STOPPED_LIMIT

    submission = build(folder, mutant)
    with mock.patch.dict(os.environ, {"BLITZ_TIME_LIMIT": STOPPED_LIMIT}), Engine(label=str(submission)) as engine:
        outcome = engine.run_exercise(submission, mutant.exercise)
    return {r.key: r for r in outcome.results}


def stubs(folder: Path) -> Path:
    """A fresh student folder: the generated exercise stubs, as a student gets them."""
    from blitz.authoring.markers import stub_source

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for exercise in MODULE_EXERCISES:
        (folder / f"{exercise.id}.py").write_text(stub_source(exercise), encoding="utf-8")
    return folder


class Recording(LocalSubmission):
    """A local submission that keeps what its probes returned (``returned`` by probe name, and the
    ``last``), so a test or benchmark can measure the result itself."""

    def __init__(self, folder: Path | str):
        super().__init__(folder)
        self.returned: dict = {}
        self.last = None

    def probe(self, name, *args, **kwargs):
        self.last = self.returned[name] = super().probe(name, *args, **kwargs)
        return self.last


class KeptPredictions:
    """While in use, the capstone check's own trusted predictions (pipeline.checks.trusted_predictions) are kept
    by the weights they scored: a test that measures the accuracy of the weights the check scored reads them
    (`predictions`) instead of running the reference CNN over the 10,000 test images again (1 s of CPU)."""

    def __init__(self):
        from blitz.exercises.pipeline import checks

        self.checks, self.original, self.kept = checks, checks.trusted_predictions, []

    def __enter__(self) -> KeptPredictions:
        def keeping(weights, root):
            out = self.original(weights, root)
            self.kept.append((weights, root, out))
            return out

        self.checks.trusted_predictions = keeping
        return self

    def __exit__(self, *exc) -> None:
        self.checks.trusted_predictions = self.original

    def predictions(self, weights, root: str):
        """trusted_predictions(weights, root): the check's own answer when it scored these very weights."""
        for seen, seen_root, out in self.kept:
            if seen is weights and seen_root == root:
                return out
        return self.original(weights, root)


# Weights the trusted side scores as predicting every test label right (see run_canned_capstone).
RIGHT_WEIGHTS: list = []


def course_cnn_outputs(weights, inputs) -> dict:
    """The cnn probe's answer for a model that computes the course's CNN (its declared form, whole)."""
    from blitz.engine.fixtures import assign_by_shape
    from solutions.model import CNN

    net = CNN().eval()
    assign_by_shape(net, weights)
    with torch.no_grad():
        outputs = [net(x) for x in inputs]
    params = [p.detach().clone() for p in net.parameters() if p.requires_grad]
    return {"is_module": True, "params": params, "assign_problems": [], "outputs": outputs}


class Canned(Submission):
    """A submission whose capstone probes answer what a broken capstone would, without training: its
    model computes the course's CNN (unless answer["cnn"] says otherwise) and its weights are untrained
    (unless answer["weights"] says otherwise)."""

    def __init__(self, **answer):
        self.answer = dict(answer)

    def probe(self, name, *args, **kwargs):
        if name == "cnn":
            out = course_cnn_outputs(*args)
            if "cnn" in self.answer:  # what each of the model's outputs is instead
                out["outputs"] = [self.answer["cnn"]] * len(out["outputs"])
            return out
        assert name == "pipeline", name
        from solutions.model import CNN

        untrained = [p.detach().clone() for p in CNN().parameters()]
        answer = {k: v for k, v in self.answer.items() if k != "cnn"}
        full = {
            "train_size": 5000,
            "loaded_train_size": 5000,
            "losses": [2.3, 2.2],
            "subset": 50,
            "weights": untrained,
            "subset_predictions": torch.zeros(50, dtype=torch.int64),
            "student_subset_accuracy": 0.1,
            "fastpath": {},
        }
        return full | answer  # the probe's whole declared form, with the broken parts


def run_canned_capstone(answer: dict, labels, ctx=None):
    """The capstone's check on a canned answer. Scoring trained weights needs a trained network; here
    weights that are RIGHT_WEIGHTS are scored as predicting `labels`, any others for real."""
    from unittest import mock

    from blitz.checks import Context, get_check, run_check
    from blitz.exercises.pipeline import checks as pipeline

    real = pipeline.trusted_predictions

    def trusted(weights, root):
        return (labels.clone(), []) if weights is RIGHT_WEIGHTS else real(weights, root)

    with mock.patch.object(pipeline, "trusted_predictions", trusted):
        return run_check(get_check("pipeline.mnist_accuracy"), Canned(**answer), ctx or Context())
