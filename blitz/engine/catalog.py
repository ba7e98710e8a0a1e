"""What checks there are and what a check may vary, without importing torch.

The front ends that only name checks and pass settings to the warm worker (pytest's collection of
`pytest autograder`) read this; running a check needs :mod:`blitz.checks`, whose modules import
torch. The list itself is read from the checks' own declarations, the ``@check(exercise, tr(title),
weight=...)`` lines of ``blitz/exercises/<id>/checks.py``, as source text (:func:`declared_checks`):
nothing is imported and nothing generated, so the list cannot go stale.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.course import registry
from blitz.course.i18n import Msg, tr_again
from blitz.engine.results import CheckResult, Status

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class CapstoneData:
    """What the grading runner hands the capstone's check: the MNIST folder its sandboxed worker
    sees, and the test labels there (shuffled by a secret permutation, so a submission that reads
    them from disk learns nothing)."""

    worker_data_root: str
    labels_seen: torch.Tensor


@dataclass
class Context:
    """What a check may vary: the device, the data, the seeds, the training budget."""

    device: str = "cpu"
    seed: int = 0
    data_root: str | None = None
    epochs: int | None = None  # None: the calibrated default of the MNIST check
    capstone: CapstoneData | None = None  # None: the worker sees data_root and its true labels


def split_points(points: float, weights: list[int]) -> list[float]:
    """Share `points` among checks by weight in whole cents, so that every share has at most two
    decimals and the shares add up to the points exactly (10 over three checks: 3.34, 3.33, 3.33).

    Each check gets the floor of its exact share; the cents left over go to the largest remainders,
    the earlier check first on a tie. Shares are sums of cents divided once by 100, so they print as
    at most two decimals and their sum rounds to the points (the reports round to two decimals)."""
    cents = round(points * 100)
    total = sum(weights)
    exact = [cents * w / total for w in weights]
    shares = [int(e) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: cents - sum(shares)]:
        shares[i] += 1
    return [c / 100 for c in shares]


@dataclass(frozen=True)
class CheckRef:
    """A check by name: its exercise, name, title and weight (what :class:`blitz.engine.check.Check`
    says of itself, without its function)."""

    exercise: str
    name: str
    title: Msg
    weight: int = 1

    @property
    def key(self) -> str:
        return f"{self.exercise}.{self.name}"

    def siblings(self) -> Sequence[CheckRef]:
        """Every check of this one's exercise, in order (here: as declared in its checks.py)."""
        return check_refs(self.exercise)

    @property
    def max_score(self) -> float:
        """This check's share of its exercise's points, in whole cents (see :func:`split_points`)."""
        siblings = self.siblings()
        shares = split_points(registry.get(self.exercise).points, [c.weight for c in siblings])
        return shares[[c.name for c in siblings].index(self.name)]

    def result(
        self, status: Status, message: Msg | None = None, seconds: float = 0.0, note: Msg | None = None
    ) -> CheckResult:
        return CheckResult(self.exercise, self.name, self.title, status, self.max_score, message, seconds, note)


EXERCISES_DIR = Path(__file__).resolve().parents[1] / "exercises"


def _title(node: ast.expr) -> str:
    """The English template of a check's title, written ``tr("...")`` (its Chinese is in the catalog)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr" and len(node.args) == 1:
        return ast.literal_eval(node.args[0])
    raise ValueError(f'a check\'s title is tr("..."), not {ast.unparse(node)}')


def _declaration(node: ast.stmt) -> tuple[str, str, str, int] | None:
    """(exercise, name, title, weight) of a function decorated ``@check(exercise, tr(title), weight=w)``."""
    if not isinstance(node, ast.FunctionDef):
        return None
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name) and decorator.func.id == "check":
            exercise, title, *rest = decorator.args
            kwargs = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
            weight = ast.literal_eval(rest[0]) if rest else kwargs.get("weight", 1)
            return ast.literal_eval(exercise), node.name.removeprefix("check_"), _title(title), weight
    return None


@functools.cache
def declared_checks(exercise_id: str) -> tuple[tuple[str, str, int], ...]:
    """(name, English title, weight) of each check of an exercise, in order, read from its checks.py's source."""
    path = EXERCISES_DIR / exercise_id / "checks.py"
    if not path.is_file():
        return ()
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        declared = _declaration(node)
        if declared is not None:
            if declared[0] != exercise_id:
                raise ValueError(f"{path}: check_{declared[1]} is declared for {declared[0]!r}, not {exercise_id!r}")
            found.append(declared[1:])
    return tuple(found)


def check_refs(exercise_id: str) -> list[CheckRef]:
    """The checks of an exercise, in their order, as :func:`blitz.checks.checks_for` has them."""
    registry.get(exercise_id)  # a clear error for an unknown id
    return [
        CheckRef(exercise_id, name, tr_again(title), weight) for name, title, weight in declared_checks(exercise_id)
    ]
