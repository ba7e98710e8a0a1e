"""torch.fx.experimental.symbolic_shapes, imported for real only when something uses more of it than
eager code does.

In eager code, ``tensor.backward(gradient)`` and ``torch.autograd.grad(..., grad_outputs)`` import it to
compare each gradient's size with its output's (``expect_true(sym_eq(a, b))``), ``torch._check`` to
call ``expect_true(cond)``, and ``Tensor.dim_order`` to call ``guard_or_false``. For plain ints and bools
these are ``==`` and the bool itself; the symbolic sizes they are written for exist only under a compiler
or fake tensors. Yet the import (sympy with it) costs about 0.4 s of CPU in every process that computes
a gradient against a given one: each grading sandbox and each trusted process that grades autograd.

:func:`defer` puts a stand-in (:mod:`blitz.engine.deferred`) in its place whose four functions answer
plain values as torch's own do and hand anything else (a SymInt, a SymBool, a value torch's functions
reject) to the real module; any other name makes the stand-in real.
"""

from __future__ import annotations

from blitz.engine import deferred

SHAPES = "torch.fx.experimental.symbolic_shapes"


def _plain_equal(x, y) -> bool | None:
    """``x == y`` for ints, and element by element for lists and tuples (a torch.Size) of them, nested
    alike; None where anything else is met (a SymInt, an int beside a list), which torch's own answers."""
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        if len(x) != len(y):
            return False  # as torch's own: whatever the elements
        answers = [_plain_equal(a, b) for a, b in zip(x, y)]
        return None if None in answers else all(answers)
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    return None


def sym_eq(x, y):
    """``==`` for ints, and element by element for lists and tuples of them (torch's own for the rest)."""
    answer = _plain_equal(x, y)
    return deferred.real(SHAPES).sym_eq(x, y) if answer is None else answer


def expect_true(a, skip: int = 0) -> bool:
    """A bool as it is (torch's own for the rest; `skip` counts frames, so it is one more here)."""
    if type(a) is bool:
        return a
    return deferred.real(SHAPES).expect_true(a, skip + 1)


def guard_or_false(a) -> bool:
    """A bool as it is (torch's own for the rest)."""
    return a if type(a) is bool else deferred.real(SHAPES).guard_or_false(a)


def guard_or_true(a) -> bool:
    """A bool as it is (torch's own for the rest)."""
    return a if type(a) is bool else deferred.real(SHAPES).guard_or_true(a)


def defer() -> bool:
    """Put the stand-in in place of the module, unless it is imported already (or this torch has no such
    module). Call after ``import torch``. True when the stand-in is in place."""
    return deferred.defer(SHAPES, {f.__name__: f for f in (sym_eq, expect_true, guard_or_false, guard_or_true)})
