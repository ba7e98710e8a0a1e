"""The one ordered list of exercises: id, title, points and what is special about each (each exercise's
code, checks and hints: blitz/exercises/<id>/).

Everything else is derived from it: stubs, notebooks, the autograder's report keys, the nbgrader
course, the student's `blitz list`. The order is the course's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blitz.course.i18n import Msg, tr


def _root() -> Path:
    """The kit's checkout; for an installed student release (no checkout around the package), the
    folder the student works in: the release's exercises/, autograder/ and data/ are there."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "autograder").is_dir() else Path.cwd()


ROOT = _root()


@dataclass(frozen=True)
class Exercise:
    id: str
    title: Msg
    points: int
    # False for the capstone, which has no file of its own: it runs the code of its `inputs`.
    has_module: bool = True
    optional: bool = False
    # The exercises whose code it runs together, in the order it uses them (the capstone); () for an
    # exercise that runs its own module.
    inputs: tuple[str, ...] = ()
    # Some of its checks read MNIST (a grading sandbox then gets the private copy of it).
    reads_mnist: bool = False
    # None of its checks can run without MNIST (the grader says so once instead of per check).
    needs_mnist: bool = False
    # At least this many seconds per run when graded (it trains a CNN on MNIST); None: the grader's timeout.
    budget: float | None = None

    @property
    def modules(self) -> tuple[str, ...]:
        """The students' modules its checks run: its own, or its inputs'."""
        return self.inputs if self.inputs else (self.id,)

    @property
    def chapter(self) -> Msg:
        """The course chapter's short name: the title's words before its colon ("Training")."""
        return Msg(self.title.zh.split("：", 1)[0], self.title.en.split(":", 1)[0])

    @property
    def stub_path(self) -> Path:
        return ROOT / "exercises" / f"{self.id}.py"

    @property
    def solution_path(self) -> Path:
        return ROOT / "solutions" / f"{self.id}.py"

    @property
    def notebook_path(self) -> Path:
        return ROOT / "notebooks" / f"{self.id}.ipynb"


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        id="tensors",
        title=tr("Tensors: creation, attributes, indexing, joining, products"),
        points=15,
    ),
    Exercise(
        id="autograd",
        title=tr("Autograd: backward, external gradients, retain_graph, the update rule"),
        points=10,
    ),
    Exercise(
        id="data",
        title=tr("Data: MNIST with torchvision, ToTensor/Normalize, DataLoader"),
        points=10,
        reads_mnist=True,
    ),
    Exercise(
        id="model",
        title=tr("Model: a CNN of two conv blocks and a linear layer"),
        points=15,
    ),
    Exercise(
        id="train",
        title=tr("Training: Adam, cross-entropy and the training loop"),
        points=15,
    ),
    Exercise(
        id="evaluate",
        title=tr("Evaluation: predicted classes and test accuracy"),
        points=10,
    ),
    Exercise(
        id="pipeline",
        title=tr("End to end: your data, model, training and evaluation on real MNIST"),
        points=15,
        has_module=False,
        inputs=("data", "model", "train", "evaluate"),
        reads_mnist=True,
        needs_mnist=True,
        budget=300.0,
    ),
    Exercise(
        id="extras",
        title=tr("Extras: conv and recurrent layers, view/permute, the loss table"),
        points=10,
        optional=True,
    ),
)

BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
MODULE_EXERCISES: tuple[Exercise, ...] = tuple(e for e in EXERCISES if e.has_module)
# The exercise that runs the others' code together (the end-to-end run on MNIST that `blitz report` trains).
CAPSTONE: Exercise = next(e for e in EXERCISES if e.inputs)
TOTAL_POINTS = sum(exercise.points for exercise in EXERCISES)


def get(exercise_id: str) -> Exercise:
    try:
        return BY_ID[exercise_id]
    except KeyError:
        choices = ", ".join(BY_ID)
        raise KeyError(f"unknown exercise {exercise_id!r}; choose one of: {choices}") from None
