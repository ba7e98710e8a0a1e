"""Exact points: every check is worth whole cents, and an exercise's checks add up to its points (the
reference graded end to end to exactly 100: tests/e2e/test_points_graded.py)."""

from __future__ import annotations

import pytest

from blitz.checks import all_checks, checks_for
from blitz.course import registry
from blitz.engine.catalog import check_refs, split_points


@pytest.mark.parametrize(
    ("points", "weights", "shares"),
    [
        (10, [1, 1, 1], [3.34, 3.33, 3.33]),
        (10, [1, 2], [3.33, 6.67]),
        (15, [1, 1, 2, 1], [3.0, 3.0, 6.0, 3.0]),
        (1, [1] * 7, [0.15, 0.15, 0.14, 0.14, 0.14, 0.14, 0.14]),
        (15, [1], [15.0]),
    ],
)
def test_split_points_gives_whole_cents_that_add_up(points, weights, shares):
    got = split_points(points, weights)
    assert got == shares
    assert round(sum(got), 2) == points


def test_every_check_is_worth_at_most_two_decimals():
    for check in all_checks():
        cents = check.max_score * 100
        assert abs(cents - round(cents)) < 1e-9, f"{check.key} is worth {check.max_score!r}"


def test_each_exercise_adds_up_to_its_points_and_the_course_to_100():
    for exercise in registry.EXERCISES:
        total = sum(c.max_score for c in checks_for(exercise.id))
        assert round(total, 2) == exercise.points, exercise.id
    assert round(sum(c.max_score for c in all_checks()), 2) == 100


def test_the_torch_free_check_list_names_every_check_as_registered():
    """What pytest's process reads (blitz.engine.catalog) is what the checks register: names, titles,
    weights and points, in order."""
    for exercise in registry.EXERCISES:
        refs = [(r.key, r.title, r.weight, r.max_score) for r in check_refs(exercise.id)]
        assert refs == [(c.key, c.title, c.weight, c.max_score) for c in checks_for(exercise.id)]
