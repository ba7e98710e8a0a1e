"""Checks for exercises/autograd.py: gradients against the analytic ones."""

from __future__ import annotations

import torch

from blitz.course.i18n import tr
from blitz.engine.check import check, fail
from blitz.engine.compare import expect_sequence, expect_tensor, kind_of
from blitz.engine.probing import describe_call
from blitz.exercises.autograd import probes


def inputs():
    yield torch.tensor([2.0, 3.0]), torch.tensor([6.0, 4.0])  # the course's own numbers
    for shape in [(5,), (2, 3)]:
        yield torch.randn(shape), torch.randn(shape)
    yield torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)


HANDED = tr("(f is a function the check hands in: only backward finds its gradients)")


def handed_cases():
    """Inputs with a function f drawn from the seed (coefficients; the probe makes f next to the student's
    code), and the gradients autograd gives through it, computed here: (a, b, coeffs, Q, a.grad, b.grad)."""
    for shape in [(4,), (2, 3)]:
        a, b = torch.randn(shape), torch.randn(shape)
        coeffs = torch.cat([torch.rand(4) * 2 + 0.5, torch.rand(1) + 1.5])
        a_, b_ = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
        q = probes.kit_function(coeffs)(a_, b_)
        q.backward(torch.ones_like(q))  # (not the answer's spelling: the release ships this file)
        yield a, b, coeffs, q.detach(), a_.grad, b_.grad


@check("autograd", tr("gradients of Q = 3a³ − b²"))
def check_cubic_minus_square_grads(sub, ctx):
    for a, b in inputs():
        call = describe_call("autograd", "cubic_minus_square_grads", (a, b))
        result = probes.grads_probe(sub, "cubic_minus_square_grads", a, b)
        expect_sequence(result["value"], 3, call)
        q, a_grad, b_grad = result["value"]
        expect_tensor(q, 3 * a**3 - b**2, call, what="[0] (Q)")
        if result["a_grad"] is None or result["b_grad"] is None:
            fail(
                call=call,
                observed=tr("afterwards a.grad or b.grad is still None: backward never ran."),
            )
        expect_tensor(a_grad, 9 * a**2, call, what="[1] (a.grad = 9a²)")
        expect_tensor(b_grad, -2 * b, call, what="[2] (b.grad = −2b)")
        expect_tensor(result["a_grad"], 9 * a**2, call, what="(a.grad)")
    for a, b, coeffs, q, a_grad, b_grad in handed_cases():
        call = describe_call("autograd", "cubic_minus_square_grads", (a, b, probes.kit_function(coeffs)))
        result = probes.grads_probe(sub, "cubic_minus_square_grads", a, b, coeffs)
        expect_sequence(result["value"], 3, call)
        expect_tensor(result["value"][0], q, call, what=tr("[0] (Q = f(a, b))"), hint=HANDED)
        expect_tensor(result["value"][1], a_grad, call, what="[1] (a.grad)", hint=HANDED)
        expect_tensor(result["value"][2], b_grad, call, what="[2] (b.grad)", hint=HANDED)
        expect_tensor(result["a_grad"], a_grad, call, what="(a.grad)", hint=HANDED)


@check("autograd", tr("retain_graph: two backward passes accumulate"))
def check_backward_twice(sub, ctx):
    for a, b in inputs():
        call = describe_call("autograd", "backward_twice", (a, b))
        result = probes.grads_probe(sub, "backward_twice", a, b)
        expect_sequence(result["value"], 2, call)
        a_grad, b_grad = result["value"]
        expect_tensor(a_grad, 2 * 9 * a**2, call, what="[0] (a.grad = 2 × 9a²)")
        expect_tensor(b_grad, 2 * -2 * b, call, what="[1] (b.grad = 2 × −2b)")
    for a, b, coeffs, _, a_grad, b_grad in handed_cases():
        call = describe_call("autograd", "backward_twice", (a, b, probes.kit_function(coeffs)))
        result = probes.grads_probe(sub, "backward_twice", a, b, coeffs)
        expect_sequence(result["value"], 2, call)
        expect_tensor(result["value"][0], 2 * a_grad, call, what="[0] (a.grad)", hint=HANDED)
        expect_tensor(result["value"][1], 2 * b_grad, call, what="[1] (b.grad)", hint=HANDED)


@check("autograd", tr("the update rule w ← w − lr·grad"))
def check_sgd_step(sub, ctx):
    for lr in (0.1, 0.01):
        values = [torch.randn(3, 2), torch.randn(4)]
        grads = [torch.randn(3, 2), torch.randn(4)]
        call = describe_call("autograd", "sgd_step", (values, lr))
        result = probes.sgd(sub, values, grads, lr)
        if result["returned"] is not None:
            fail(
                call=call,
                returned=kind_of(result["returned"]),
                expected=tr("None (update the parameters in place)"),
            )
        for i, (value, grad) in enumerate(zip(values, grads)):
            what = tr("(params[{i}] afterwards)", i=i)
            expect_tensor(result["values_after"][i], value - lr * grad, call, what=what)
            if not result["still_leaf"][i]:
                fail(
                    call=call,
                    observed=tr(
                        "afterwards params[{i}] is no longer a leaf that requires grad: the update was recorded.", i=i
                    ),
                    expected=tr("an in-place update inside torch.no_grad()."),
                )
            grad_after = result["grads_after"][i]
            # "== 0" everywhere, not "sum > 0": a gradient of NaN is not a cleared one.
            if grad_after is not None and (
                not isinstance(grad_after, torch.Tensor) or not bool((grad_after == 0).all())
            ):
                fail(
                    call=call,
                    observed=tr("afterwards params[{i}].grad still holds the old gradient.", i=i),
                    expected=tr("clear the gradients after the update (p.grad = None or p.grad.zero_())."),
                )
