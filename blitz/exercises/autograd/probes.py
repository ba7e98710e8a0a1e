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


class _Tilt(torch.autograd.Function):
    """The identity forward; backward scales the gradient by k. Autograd through it gives a gradient that
    a formula or a finite difference of the forward values would not: only a real backward finds it."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None


def kit_function(coeffs: torch.Tensor):
    """A function f(a, b) the check hands in, made from 5 coefficients drawn from its seed; the student
    is never told its gradients. The trusted side makes the same one to compute them with autograd."""
    c0, c1, c2, c3, k = (float(v) for v in coeffs)

    def f(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return c0 * torch.sin(c1 * a) + c2 * a * b - c3 * _Tilt.apply(b, k) ** 2

    f.__name__ = f.__qualname__ = "f"
    return f


def _shape_of(name: str):
    return lambda fn, a, b, coeffs=None: tuple((a if name == "a" else b).shape)


@probe(Record(value=ANY, a_grad=Maybe(Tensor(shape=_shape_of("a"))), b_grad=Maybe(Tensor(shape=_shape_of("b")))))
def grads_probe(
    mods: StudentModules, fn: str, a: torch.Tensor, b: torch.Tensor, coeffs: torch.Tensor | None = None
) -> dict:
    a = a.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    handed = () if coeffs is None else (kit_function(coeffs),)
    result = invoke(mods, "autograd", fn, a, b, *handed)
    return {
        "value": result,
        "a_grad": None if a.grad is None else a.grad.detach(),
        "b_grad": None if b.grad is None else b.grad.detach(),
    }
