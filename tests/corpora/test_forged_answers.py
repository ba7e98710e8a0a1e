"""Every answer is validated and nothing is vacuous: every check of the course, run against the reference
solutions whose probe answers are then forged (emptied, cut short, lengthened, given wrong types, or
replaced by an empty dict), must fail: never pass, never crash the grader.

The honest answers are computed once per check (the same probe calls, in the same order, on seed 0) and
each forgery is applied to copies of them, so the whole corpus costs about one run of every check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from forging import Honest, Rewritten

from blitz.checks import Context, all_checks, run_check
from blitz.course import mnist
from blitz.engine.results import Status

HONEST: Honest = {}


def _lists(value: Any, change: Callable[[list], list]) -> tuple[Any, bool]:
    """`value` with `change` applied to every list and tuple in it (innermost first); whether any was."""
    if isinstance(value, dict):
        out, changed = {}, False
        for key, item in value.items():
            out[key], hit = _lists(item, change)
            changed |= hit
        return out, changed
    if type(value) in (list, tuple):
        items = [_lists(v, change) for v in value]
        return type(value)(change([v for v, _ in items])), True
    return value, False


def emptied(answer: Any) -> Any:
    out, changed = _lists(answer, lambda items: [])
    return out if changed else {}


def short(answer: Any) -> Any:
    out, changed = _lists(answer, lambda items: items[:-1])
    if not changed and isinstance(answer, dict) and answer:  # no list to cut: leave out the last field
        out = dict(list(answer.items())[:-1])
    return out


def extra(answer: Any) -> Any:
    out, _ = _lists(answer, lambda items: [*items, items[-1] if items else 0])
    return {**out, "forged": True} if isinstance(out, dict) else out


def wrong_types(answer: Any) -> Any:
    """Every leaf of another type: numbers and flags as text, tensors as nested lists, text as a number."""
    if isinstance(answer, dict):
        return {k: wrong_types(v) for k, v in answer.items()}
    if type(answer) in (list, tuple):
        return type(answer)(wrong_types(v) for v in answer)
    if isinstance(answer, torch.Tensor):
        return answer.tolist()
    if isinstance(answer, str):
        return 7
    if answer is None:
        return "none"
    return str(answer)


def nothing(answer: Any) -> Any:
    return {}


FORGERIES = {f.__name__: f for f in (emptied, short, extra, wrong_types, nothing)}


def forged(key: str, forge: Callable[[Any], Any] | None) -> Rewritten:
    """The reference solutions, whose every probe answer goes through `forge` (None: the honest answer)."""
    return Rewritten(key, None if forge is None else lambda _name, answer: forge(answer), HONEST)


CHECKS = all_checks()


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(data_root=str(mnist.require()))


@pytest.mark.parametrize("entry", CHECKS, ids=lambda c: c.key)
def test_every_check_fails_every_forged_answer(entry, ctx):
    honest = run_check(entry, forged(entry.key, None), ctx)
    assert honest.status is Status.PASSED, honest.message.render("en") if honest.message else honest.status
    for name, forge in FORGERIES.items():
        result = run_check(entry, forged(entry.key, forge), ctx)  # must not raise: a forgery is a failure
        assert result.status is Status.FAILED, f"{entry.key} with a {name} answer: {result.status}"
        assert result.message is not None and result.message.zh and result.message.en


def test_the_forgeries_change_what_they_say():
    answer = {"value": [1, 2], "flag": True, "n": 3, "t": torch.zeros(2)}
    assert emptied(answer)["value"] == [] and nothing(answer) == {}
    assert short(answer)["value"] == [1] and short({"a": 1, "b": 2}) == {"a": 1}
    assert extra(answer)["value"] == [1, 2, 2] and extra(answer)["forged"] is True
    assert wrong_types(answer) == {"value": ["1", "2"], "flag": "True", "n": "3", "t": [0.0, 0.0]}
