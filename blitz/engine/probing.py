"""How probes call student code: name what was called, label what it raised, describe arguments briefly.

Shared by every probe (blitz/probes/) and by the checks, which quote the same call lines in their messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from blitz.engine.student_code import StudentError, StudentModules, announce

# The attribute that says, on a student's exception, what was being called (read by StudentError.from_exception).
LABEL = "__blitz_call__"


def short(value: Any) -> str:
    """A short description of an argument for failure messages: tensors by shape and dtype."""
    if isinstance(value, torch.Tensor):
        return f"tensor(shape={tuple(value.shape)}, dtype={str(value.dtype).removeprefix('torch.')}, device={value.device})"
    if isinstance(value, np.ndarray):
        return f"np.array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (torch.Tensor, np.ndarray)) for v in value):
        inner = ", ".join(short(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, nn.Module):
        return type(value).__name__ + "()"
    if isinstance(value, torch.utils.data.DataLoader):  # its repr is only a memory address
        return f"DataLoader(batch_size={value.batch_size})"
    if isinstance(value, torch.optim.Optimizer):  # its repr spans many lines
        return type(value).__name__ + "(...)"
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, type):  # not the address
        return getattr(value, "__name__", "function")
    return brief(repr(value), 80)


def brief(text: str, limit: int) -> str:
    """A repr on one line (runs of whitespace become one space), cut before a word, never inside one."""
    text = " ".join(text.split()).replace("( ", "(").replace(" )", ")")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    at = cut.rfind(" ")
    return (cut[:at] if at > limit // 2 else cut).rstrip(" ,(") + "…"


def describe_call(exercise: str, fn: str, args: tuple = (), kwargs: dict | None = None) -> str:
    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in (kwargs or {}).items()]
    return f"{exercise}.{fn}({', '.join(parts)})"


def function(mods: StudentModules, exercise: str, name: str):
    module = mods[exercise]
    func = getattr(module, name, None)
    if func is None:
        raise StudentError(
            "AttributeError", f"{exercise}.py defines no {name!r}", call=f"{exercise}.{name}", kind="missing"
        )
    return func


def label_exception(exc: BaseException, call_text: str) -> None:
    """Say on a student's exception what was being called, for the message; the innermost label stays."""
    if getattr(exc, LABEL, ""):
        return
    try:
        setattr(exc, LABEL, call_text)
    except Exception:  # noqa: BLE001 - some exception types refuse new attributes
        pass


class labelled:
    """Label an exception raised by student code outside :func:`invoke` (a returned transform applied
    to an image, a returned dataset indexed) with what was being done, so the message can say it."""

    def __init__(self, call_text: str):
        self.call_text = call_text

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:  # the exception, labelled, goes on
        if exc is not None:
            label_exception(exc, self.call_text)


def invoke(mods: StudentModules, exercise: str, fn: str, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function, labelling any exception with what was called."""
    func = function(mods, exercise, fn)
    announce(f"{exercise}.{fn}")
    try:
        return func(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001
        label_exception(exc, describe_call(exercise, fn, args, kwargs))  # formatted only when something went wrong
        raise
    finally:
        announce("")


def plain_number(value: Any) -> int | float | None:
    """`value` as a plain int or float when it is a number of any numeric type (int, float, a numpy scalar,
    a one-element tensor that records no graph); None otherwise (a bool, text, a tensor holding a graph).
    Converted here, in the student's process, so the trusted side validates and compares a plain value,
    never the student's object (no __eq__ of theirs runs there)."""
    try:
        if isinstance(value, bool) or isinstance(value, np.bool_):
            return None
        if isinstance(value, torch.Tensor):
            if value.numel() != 1 or value.requires_grad or value.dtype == torch.bool or value.is_complex():
                return None
            value = value.item()
        elif isinstance(value, np.generic):
            if not isinstance(value, (np.integer, np.floating)):
                return None
            value = value.item()
        if isinstance(value, int):
            return int.__int__(value)  # not the subclass's own __int__
        if isinstance(value, float):
            return float.__float__(value)
    except Exception:  # noqa: BLE001 - an object that will not convert is not a number
        return None
    return None
