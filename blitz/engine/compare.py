"""Comparisons that explain themselves: shape, dtype, device, the largest difference and where."""

from __future__ import annotations

import math
import re
import reprlib
from typing import Any

import torch

from blitz.course.error_stories import NONE_RETURNED, method_not_called
from blitz.course.i18n import Msg, tr
from blitz.engine.check import compared, fail
from blitz.engine.feedback import Text
from blitz.engine.wire import Opaque


def kind_of(value: Any) -> str:
    if isinstance(value, Opaque):
        return value.type_name
    if isinstance(value, torch.Tensor):
        return f"tensor(shape={tuple(value.shape)}, dtype={str(value.dtype).removeprefix('torch.')}, device={value.device})"
    return f"{type(value).__name__} {_short_repr(value)}"[:200]


def wrong_kind(value: Any) -> Msg | None:
    """The kit's words for a value of the wrong kind: a method handed back in place of its result
    (``t.size`` for ``t.size()``), or None (a function that forgot ``return``); None for any other value."""
    if value is None:
        return NONE_RETURNED
    if isinstance(value, Opaque) and value.type_name in ("builtin_function_or_method", "method", "method-wrapper"):
        named = re.match(r"<(?:built-in|bound) method (?:\w+\.)*(\w+) of ", value.text[:200])  # a claim: a name only
        return method_not_called(named.group(1) if named else "")
    return None


def _short_repr(value: Any, depth: int = 0) -> str:
    """repr with floats to 7 significant digits: the digits beyond say nothing to a student, and they
    differ between float32 and float64 arithmetic (the same answer would read differently on a GPU).
    Only small, shallow lists and tuples are walked (a value the student's code made can be nested at will)."""
    if type(value) is float:
        return f"{value:.7g}"
    if type(value) in (list, tuple) and len(value) <= 50 and depth < 3:
        inner = ", ".join(_short_repr(v, depth + 1) for v in value)
        return f"[{inner}]" if type(value) is list else f"({inner}{',' if len(value) == 1 else ''})"
    return reprlib.repr(value)


def non_finite(value: Any) -> bool:
    """A float or tensor holding NaN or ±inf: checked before any tolerance, which NaN slips past
    (abs(nan - x) > tol is False)."""
    if type(value) is float:
        return not math.isfinite(value)
    if isinstance(value, torch.Tensor) and (value.is_floating_point() or value.is_complex()):
        return not bool(torch.isfinite(value.detach()).all())
    if isinstance(value, (list, tuple)):
        return any(non_finite(v) for v in value)
    return False


NON_FINITE = tr("returned NaN/inf where a finite number was expected")


def expect_finite(got: Any, call: str, *, what: Text = "") -> None:
    """Fail when got holds NaN or inf where a finite number was expected (before any tolerance:
    abs(nan - x) > tol is False, so a NaN would pass every tolerance test)."""
    compared()
    if non_finite(got):
        fail(call=call, what=what, returned=kind_of(got), observed=NON_FINITE)


def expect_close(got: Any, expected: float, call: str, *, tol: float, expected_text: Msg) -> None:
    """got must be a finite float within tol of expected; expected_text says what was expected."""
    compared()
    if isinstance(got, float):
        expect_finite(got, call)
    if not isinstance(got, float) or abs(got - expected) > tol:
        fail(call=call, returned=kind_of(got), expected=expected_text, hint=wrong_kind(got))


def expect_tensor(
    got: Any,
    expected: torch.Tensor,
    call: str,
    *,
    what: Text = "",
    atol: float = 1e-5,
    rtol: float = 1e-4,
    check_dtype: bool = True,
    hint: Text | None = None,
) -> None:
    """got must be a plain torch.Tensor equal to expected; the message locates the worst difference."""
    compared()
    said: dict[str, Any] = {"call": call, "what": what, "hint": hint}
    if not isinstance(got, torch.Tensor):
        fail(
            returned=kind_of(got),
            expected=tr("a torch.Tensor, {kind_of_expected}", kind_of_expected=kind_of(expected)),
            **(said | {"hint": hint if hint is not None else wrong_kind(got)}),
        )
    if tuple(got.shape) != tuple(expected.shape):
        shapes = [tr("shape {tuple_t_shape}", tuple_t_shape=tuple(t.shape)) for t in (got, expected)]
        fail(returned=shapes[0], expected=shapes[1], **said)
    if check_dtype and got.dtype != expected.dtype:
        fail(returned=f"dtype {got.dtype}", expected=f"dtype {expected.dtype}", **said)
    a = got.detach().cpu()
    b = expected.detach().cpu()
    if (a.is_floating_point() or a.is_complex()) and bool((~torch.isfinite(a) & torch.isfinite(b)).any()):
        expect_finite(got, call, what=what)
    if a.dtype == torch.bool or b.dtype == torch.bool:
        diff = (a != b).to(torch.float64)  # booleans differ or not: 1 where they do
        close = not bool(diff.any())
    elif not (a.is_floating_point() or b.is_floating_point() or a.is_complex() or b.is_complex()):
        # integers: the true difference (as float64, which holds any int64 difference's size)
        diff = (a.to(torch.float64) - b.to(torch.float64)).abs()
        close = not bool((a.to(torch.int64) != b.to(torch.int64)).any())
    else:
        a64, b64 = a.to(torch.float64), b.to(torch.float64)
        diff = (a64 - b64).abs()
        close = bool(torch.allclose(a64, b64, atol=atol, rtol=rtol, equal_nan=True))
    if not close:
        flat = int(torch.nan_to_num(diff, nan=float("inf")).reshape(-1).argmax()) if diff.numel() else 0
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else ()
        got_v, exp_v = a[index].item() if a.numel() else None, b[index].item() if b.numel() else None
        worst = diff.reshape(-1)[flat].item() if diff.numel() else 0
        same = kind_of(got) == kind_of(expected)  # then only the values differ: say so, not the same line twice
        fail(
            returned=tr("{kind_of_got}, with other values", kind_of_got=kind_of(got)) if same else kind_of(got),
            expected=kind_of(expected),
            detail=tr(
                "largest difference {worst:.4g} at index {index}: got {got_v}, expected {exp_v}",
                worst=worst,
                index=index,
                got_v=got_v,
                exp_v=exp_v,
            ),
            **said,
        )


def expect_equal(got: Any, expected: Any, call: str, *, what: Text = "") -> None:
    """Plain values (ints, sizes, dtypes, devices); the exact type matters, so __eq__ tricks fail."""
    compared()
    if type(got) is not type(expected) or got != expected:
        fail(call=call, what=what, returned=kind_of(got), expected=kind_of(expected), hint=wrong_kind(got))


def expect_number(
    got: Any,
    number: int | float | None,
    expected: float,
    call: str,
    *,
    tol: float = 0.0,
    what: Text = "",
    expected_text: Text | None = None,
) -> None:
    """A number of any numeric type whose value is right: `number` is what the probe made of the student's
    value `got` (:func:`blitz.engine.probing.plain_number`, None when it is no number); validated here."""
    compared()
    if type(number) is float and not math.isfinite(number):
        fail(call=call, what=what, returned=kind_of(got), observed=NON_FINITE)
    if not isinstance(number, (int, float)) or type(number) not in (int, float) or abs(number - expected) > tol:
        fail(
            call=call,
            what=what,
            returned=kind_of(got),
            expected=expected_text if expected_text is not None else kind_of(expected),
            hint=wrong_kind(got),
        )


def expect_sequence(got: Any, length: int, call: str) -> None:
    compared()
    if not isinstance(got, (tuple, list)) or len(got) != length:
        fail(
            call=call,
            returned=kind_of(got),
            expected=tr("a tuple of {length} values", length=length),
            hint=wrong_kind(got),
        )
