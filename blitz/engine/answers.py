"""Typed probes: each probe declares the form of its answer, and the trusted side checks every answer
against it before a check sees it.

A probe module declares ``@probe(Record(value=ANY, same_object=Bool))`` over the function that runs
next to the student's code; the decorator returns a :class:`Probe`, the handle the checks call:
``in_place(sub, "zero_column", t, col)``. The handle sends the request through the submission's
one door (:meth:`blitz.engine.submission.Submission.probe`, by the probe's name: the worker looks the
function up in :data:`blitz.probes.PROBES`), then validates what came back: exactly the declared
fields, each of the declared type, lists of the declared length (which may depend on the request:
one output per input), tensors of the declared dtype and shape. Whatever the student's process sent
back is a claim: a missing, extra, short, long or wrongly typed item fails the check with a message
that says which, and no check ever compares a silently shorter list.

``ANY`` marks the student's own return value, which the check judges itself (``expect_tensor``...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from blitz.course.i18n import Msg, tr
from blitz.engine.submission import Submission

# How many items a list holds: a number, a function of the probe's request (its arguments after the
# student's modules) that returns one, or the name of an int field beside the list in its record.
Count = int | str | Callable[..., int] | None
Request = tuple[tuple, dict]


class AnswerMismatch(Exception):
    """An answer that does not have its probe's declared form: where, what was declared, what came."""

    def __init__(self, where: str, expected: str, got: str):
        super().__init__(f"{where}: expected {expected}, got {got}")
        self.where, self.expected, self.got = where, expected, got

    def msg(self, probe: str) -> Msg:
        return tr(
            "What came back from your code's side does not have the form the probe {probe} declares: at {self_where}, expected {self_expected}, got {self_got}. Did your code change the kit's modules or the values they return?",
            probe=probe,
            self_where=self.where,
            self_expected=self.expected,
            self_got=self.got,
        )


def _got(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor(shape={tuple(value.shape)}, dtype={str(value.dtype).removeprefix('torch.')})"
    if type(value) in (list, tuple):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


class Spec:
    """The declared form of (part of) an answer."""

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class _Any(Spec):
    """The student's own value: the check judges it."""

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        return None


ANY = _Any()


@dataclass(frozen=True)
class Plain(Spec):
    """A value of exactly this type (a bool is not an int here, an int not a float)."""

    kind: type

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        if type(value) is not self.kind:
            raise AnswerMismatch(where, self.kind.__name__, _got(value))


Bool, Int, Float, Str = Plain(bool), Plain(int), Plain(float), Plain(str)


@dataclass(frozen=True)
class Value(Spec):
    """The student's own value in a form the probe made of it (a plain number): like ``ANY``, the check
    judges it, but its form is declared and checked here."""

    inner: Spec

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        self.inner.check(value, where, request, siblings)


@dataclass(frozen=True)
class Maybe(Spec):
    """None, or a value of `inner`'s form."""

    inner: Spec

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        if value is not None:
            self.inner.check(value, where, request, siblings)


@dataclass(frozen=True)
class Tensor(Spec):
    """A plain torch.Tensor; `dtype` and `shape` (a tuple, None for any, or a function of the request)
    when the probe fixes them."""

    dtype: torch.dtype | Callable[..., torch.dtype] | None = None
    shape: tuple | Callable[..., tuple] | None = None

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        if type(value) is not torch.Tensor:
            raise AnswerMismatch(where, "torch.Tensor", _got(value))
        dtype = self.dtype(*request[0], **request[1]) if callable(self.dtype) else self.dtype
        if dtype is not None and value.dtype != dtype:
            raise AnswerMismatch(where, f"dtype {dtype}", _got(value))
        shape = self.shape(*request[0], **request[1]) if callable(self.shape) else self.shape
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise AnswerMismatch(where, f"shape {tuple(shape)}", _got(value))


def _count(count: Count, request: Request, siblings: dict | None) -> int | None:
    if isinstance(count, str):
        return (siblings or {}).get(count) if type((siblings or {}).get(count)) is int else None
    return count(*request[0], **request[1]) if callable(count) else count


@dataclass(frozen=True)
class ListOf(Spec):
    """A list (or tuple) of items of one form; `count` items when it says how many."""

    item: Spec
    count: Count = None

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        if type(value) not in (list, tuple):
            raise AnswerMismatch(where, "a list", _got(value))
        count = _count(self.count, request, siblings)
        if count is not None and len(value) != count:
            raise AnswerMismatch(where, f"a list of {count}", f"a list of {len(value)}")
        for i, item in enumerate(value):
            self.item.check(item, f"{where}[{i}]", request)


@dataclass(frozen=True)
class Omittable(Spec):
    """In a :class:`Record`: a key the probe may leave out; when present, of `inner`'s form."""

    inner: Spec

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        self.inner.check(value, where, request, siblings)


@dataclass(frozen=True)
class Exactly(Spec):
    """A value the trusted side knows from the request (how many batches its own fixture makes)."""

    expected: Callable[..., Any]

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        with torch.random.fork_rng(devices=[]):  # a fixture that seeds leaves the check's random numbers alone
            want = self.expected(*request[0], **request[1])
        if type(value) is not type(want) or value != want:
            raise AnswerMismatch(where, repr(want), _got(value) if type(value) is not type(want) else repr(value)[:40])


@dataclass(frozen=True)
class FromRequest(Spec):
    """A form that depends on the request: `make(*request)` returns it (a fixture's state_dict, by seed)."""

    make: Callable[..., Spec]

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        with torch.random.fork_rng(devices=[]):  # a fixture that seeds leaves the check's random numbers alone
            spec = self.make(*request[0], **request[1])
        spec.check(value, where, request, siblings)


class Record(Spec):
    """A dict with exactly these keys (less the :class:`Omittable` ones it leaves out), each of its form."""

    def __init__(self, **fields: Spec):
        self.fields = fields

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        if type(value) is not dict:
            raise AnswerMismatch(where, "a dict", _got(value))
        missing = [k for k, spec in self.fields.items() if k not in value and not isinstance(spec, Omittable)]
        extra = [str(k)[:40] for k in value if k not in self.fields]
        if missing or extra:
            said = ", ".join([f"no {k!r}" for k in missing] + [f"an extra {k!r}" for k in extra])
            raise AnswerMismatch(where, f"the keys {', '.join(self.fields)}", said)
        for key, spec in self.fields.items():
            if key in value:
                spec.check(value[key], f"{where}[{key!r}]", request, value)


class Either(Spec):
    """One of these forms (a probe that reports early, e.g. "not a module", sends a shorter record)."""

    def __init__(self, *options: Spec):
        self.options = options

    def check(self, value: Any, where: str, request: Request, siblings: dict | None = None) -> None:
        first = None
        for option in self.options:
            try:
                option.check(value, where, request, siblings)
                return
            except AnswerMismatch as mismatch:
                first = first or mismatch
        if first is not None:
            raise first


@dataclass(frozen=True)
class Probe:
    """A probe's handle: call it with the submission and the request; get the validated answer."""

    name: str
    func: Callable
    answer: Spec

    def __call__(self, sub: Submission, *args: Any, **kwargs: Any) -> Any:
        from blitz.engine.check import CheckFailure

        value = sub.probe(self.name, *args, **kwargs)
        try:
            self.answer.check(value, "answer", (args, kwargs))
        except AnswerMismatch as mismatch:
            raise CheckFailure(mismatch.msg(self.name)) from None
        return value


_PROBES: dict[str, Probe] = {}


def probe(answer: Spec) -> Callable[[Callable], Probe]:
    """Declare a probe and the form of its answer; the function keeps its name, which must be unique."""

    def declare(func: Callable) -> Probe:
        handle = Probe(func.__name__, func, answer)
        known = _PROBES.get(handle.name)
        if known is not None and known.func.__module__ != func.__module__:  # a reload replaces its own
            raise ValueError(f"two probes named {handle.name!r}: in {known.func.__module__} and {func.__module__}")
        _PROBES[handle.name] = handle
        return handle

    return declare


def declared() -> dict[str, Probe]:
    """Every probe declared so far, by name (blitz.probes imports the modules that declare them)."""
    return dict(_PROBES)


# A student's value as a plain number (int or float), made in the probe by blitz.engine.probing.plain_number;
# None when it is no number.
NUMBER = Value(Either(Plain(type(None)), Int, Float))
