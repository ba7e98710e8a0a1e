"""Probes shared by several exercises."""

from __future__ import annotations

from blitz.engine.answers import ANY, NUMBER, Int, ListOf, Record, Str, probe
from blitz.engine.probing import describe_call, invoke, plain_number
from blitz.engine.student_code import StudentModules


@probe(
    Record(
        value=ANY,
        number=NUMBER,  # the value as a plain number, when it is one of any numeric type
        returned_arg=Int,
        args_after=ListOf(ANY, count=lambda exercise, fn, args=(), kwargs=None: len(args)),
        call=Str,
    )
)
def call(mods: StudentModules, exercise: str, fn: str, args: tuple = (), kwargs: dict | None = None) -> dict:
    """Call exercise.fn(*args): its result, which argument (if any) it returned, the arguments afterwards."""
    kwargs = kwargs or {}
    result = invoke(mods, exercise, fn, *args, **kwargs)
    returned_arg = next((i for i, a in enumerate(args) if a is result), -1)
    return {
        "value": result,
        "number": plain_number(result),
        "returned_arg": returned_arg,
        "args_after": list(args),
        "call": describe_call(exercise, fn, args, kwargs),
    }
