"""Evidence, not claims: every probe forged with the most plausible lie gains at most what SECURITY.md says.

A probe runs in the student's process, so its answer is what the student's code says. The most plausible
lie is the answer a correct solution would give, from code that is wrong: every *fact* the probe reports
about the student's process (a flag, a count, a type name, an order of items, a recorded loss) is the
reference's, while every *value* the student's code computed (the fields declared ``ANY``, and every
tensor that crosses: parameters, outputs, batches) is wrong (shifted by one, a flag flipped, text
changed). A check that believes facts passes such an answer; one that judges evidence fails it.

The checks that still pass are the claims SECURITY.md lists (its table "Claims a forged probe can still
make"); their points must add up to at most FORGED_CLAIMS_POINTS, the figure SECURITY.md states.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import torch

from blitz.checks import Context, all_checks, run_check
from blitz.course import mnist, registry
from blitz.engine.answers import ANY, Either, ListOf, Maybe, Omittable, Record, Value, declared
from blitz.engine.results import Status
from blitz.probes.local import LocalSubmission

SECURITY = registry.ROOT / "SECURITY.md"
HONEST: dict[tuple[str, int], Any] = {}


def wrong(value: Any) -> Any:
    """A value of the same form that is not the right one."""
    if isinstance(value, torch.Tensor):
        if value.dtype == torch.bool:
            return ~value
        return value + 1
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, torch.dtype):
        return torch.float16 if value != torch.float16 else torch.float32
    if isinstance(value, torch.device):
        return torch.device("meta")
    if isinstance(value, dict):
        return {k: wrong(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)([wrong(v) for v in value]) if type(value) is not tuple else tuple(wrong(v) for v in value)
    return value


def tensors_wrong(value: Any) -> Any:
    """Facts kept, every tensor in them wrong (tensors are evidence: outputs, parameters, batches)."""
    if isinstance(value, torch.Tensor):
        return wrong(value)
    if isinstance(value, dict):
        return {k: tensors_wrong(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(tensors_wrong(v) for v in value)
    return value


def lie_as(spec: Any, value: Any) -> Any:
    """`value`, declared `spec`: the student's values (``ANY``) and tensors wrong, the facts kept."""
    if spec is ANY or isinstance(spec, Value):  # the student's value, or a form the probe made of it
        return wrong(value)
    if isinstance(spec, (Maybe, Omittable)):
        return value if value is None else lie_as(spec.inner, value)
    if isinstance(spec, ListOf) and type(value) in (list, tuple):
        return type(value)(lie_as(spec.item, v) for v in value)
    if isinstance(spec, Record) and isinstance(value, dict):
        return {k: lie_as(spec.fields[k], v) if k in spec.fields else v for k, v in value.items()}
    if isinstance(spec, Either) and isinstance(value, dict):
        for option in spec.options:
            if isinstance(option, Record) and set(value) <= set(option.fields):
                return lie_as(option, value)
    return tensors_wrong(value)  # facts (Plain, Exactly), a fixture's state (FromRequest): tensors wrong


def lie(name: str, answer: Any) -> Any:
    """The reference's facts with the student's values wrong."""
    return lie_as(declared()[name].answer, answer)


class Liar(LocalSubmission):
    """The reference solutions' answers, every value wrong, every claim the reference's."""

    def __init__(self, key: str, forge: bool):
        super().__init__(registry.ROOT / "solutions")
        self.key, self.forge, self.calls = key, forge, 0

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        slot = (self.key, self.calls)
        self.calls += 1
        if slot not in HONEST:
            HONEST[slot] = super().probe(name, *args, **kwargs)
        answer = copy.deepcopy(HONEST[slot])
        return lie(name, answer) if self.forge else answer


def stated() -> tuple[float, dict[str, float]]:
    """SECURITY.md's figure and its table of claims (check key -> points)."""
    text = SECURITY.read_text(encoding="utf-8")
    total = re.search(r"FORGED_CLAIMS_POINTS = ([0-9.]+)", text)
    assert total, "SECURITY.md states no FORGED_CLAIMS_POINTS"
    section = text.split("### Claims a forged probe can still make", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|.*\| ([0-9.]+) \|$", section, flags=re.M)
    return float(total.group(1)), {key: float(points) for key, points in rows}


CHECKS = all_checks()
GAINED: dict[str, float] = {}


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(data_root=str(mnist.require()))


@pytest.mark.parametrize("entry", CHECKS, ids=lambda c: c.key)
def test_a_lie_passes_only_the_claims_security_md_lists(entry, ctx):
    honest = run_check(entry, Liar(entry.key, False), ctx)
    assert honest.status is Status.PASSED, honest.message.render("en") if honest.message else honest.status
    forged = run_check(entry, Liar(entry.key, True), ctx)
    _, table = stated()
    if forged.status is Status.PASSED:
        GAINED[entry.key] = entry.max_score
        assert entry.key in table, f"{entry.key} passes on claims alone: derive its facts or list it in SECURITY.md"
        assert table[entry.key] == pytest.approx(entry.max_score), f"SECURITY.md gives {entry.key} other points"
    else:
        assert entry.key not in table, f"{entry.key} no longer passes on claims: take it out of SECURITY.md"


def test_the_total_gained_is_at_most_what_security_md_states():
    total, table = stated()
    assert round(sum(table.values()), 2) == total, "the table's rows do not add up to FORGED_CLAIMS_POINTS"
    assert total <= 5, "aim: at most 5 of 100 points rest on claims"


def test_the_lie_keeps_claims_and_breaks_values():
    answer = {"value": torch.ones(2), "n": 3}
    forged = lie("from_numpy_shares", {"value": torch.ones(2), "sees_change": True})
    assert forged["sees_change"] is True and torch.equal(forged["value"], torch.full((2,), 2.0))
    assert wrong(answer)["n"] == 4 and wrong(True) is False and wrong("a") == "a?"
