"""Probes for exercises/autograd.py: run next to the student's code, report what it did; the checks in
blitz/exercises/autograd/checks.py judge what comes back.
"""

from __future__ import annotations

import torch

from blitz.engine.answers import ANY, Bool, ListOf, Maybe, Record, Tensor, probe
from blitz.engine.probing import invoke
from blitz.engine.student_code import StudentModules


def _each(values, grads, lr) -> int:
    return len(values)


@probe(
    Record(
        returned=ANY,
        values_after=ListOf(Tensor(), count=_each),
        grads_after=ListOf(Maybe(Tensor()), count=_each),
        still_leaf=ListOf(Bool, count=_each),
        same_objects=ListOf(Bool, count=_each),
    )
)
def sgd(mods: StudentModules, values: list[torch.Tensor], grads: list[torch.Tensor], lr: float) -> dict:
    params = [v.clone().requires_grad_(True) for v in values]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    ids = [id(p) for p in params]
    returned = invoke(mods, "autograd", "sgd_step", params, lr)
    return {
        "returned": returned,
        "values_after": [p.detach() for p in params],
        "grads_after": [None if p.grad is None else p.grad.detach() for p in params],
        "still_leaf": [bool(p.is_leaf and p.requires_grad) for p in params],
        "same_objects": [id(p) == i for p, i in zip(params, ids)],
    }


@probe(
    Record(
        value=ANY,
        a_grad=Maybe(Tensor(shape=lambda fn, a, b: tuple(a.shape))),
        b_grad=Maybe(Tensor(shape=lambda fn, a, b: tuple(b.shape))),
    )
)
def grads_probe(mods: StudentModules, fn: str, a: torch.Tensor, b: torch.Tensor) -> dict:
    a = a.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    result = invoke(mods, "autograd", fn, a, b)
    return {
        "value": result,
        "a_grad": None if a.grad is None else a.grad.detach(),
        "b_grad": None if b.grad is None else b.grad.detach(),
    }
