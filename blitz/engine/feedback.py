"""Every failure message a student reads, from one template in both languages.

A failure says what was called, what came back (or was raised), what was expected, where, and a
hint. :func:`feedback` lays those parts out the same way for every check; the labels are defined
once per language, in :data:`LABELS`. What is code (a call, a repr, a shape) reads the same in both
languages and is given as a plain ``str``; words are given as a :class:`~blitz.course.i18n.Msg`.

    Called tensors.gram(tensor(shape=(4, 4), dtype=float32, device=cpu))
      returned: tensor(shape=(4, 4), dtype=float32, device=cpu)
      expected: tensor(shape=(4, 4), dtype=float32, device=cpu)
      largest difference 3.2 at index (0, 1): got 1.5, expected -1.7

:func:`student_error_message` says the same of an exception from the student's code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from blitz.course.i18n import Msg, tr
from blitz.course.pytorch_errors import explain_error
from blitz.engine.student_code import StudentError

Text = str | Msg  # a str is code (the same in both languages); a Msg is words

LABELS: dict[str, Msg] = {
    "called": tr("Called"),
    "returned": tr("returned"),
    "raised": tr("raised"),
    "expected": tr("expected"),
    "where": tr("where"),
    "hint": tr("hint"),
}
_COLON = {"zh": "：", "en": ": "}
_INDENT = "  "


def as_msg(value: Text) -> Msg:
    """Code as a message: the same text in both languages."""
    return value if isinstance(value, Msg) else Msg(str(value), str(value))


def _side(msg: Msg, lang: str) -> str:
    return msg.zh if lang == "zh" else msg.en


def _per_lang(build) -> Msg:
    return Msg(build("zh"), build("en"))


def labelled(label: str, value: Text) -> Msg:
    """One ``  label: value`` line; a value of several lines goes below its label, indented."""

    def line(lang: str) -> str:
        name, text = _side(LABELS[label], lang), _side(as_msg(value), lang)
        if "\n" in text:
            return f"{_INDENT}{name}{_COLON[lang].rstrip()}\n" + textwrap.indent(textwrap.dedent(text), _INDENT * 2)
        return f"{_INDENT}{name}{_COLON[lang]}{text}"

    return _per_lang(line)


def _lines(values: Text | Sequence[Text] | None) -> list[Msg]:
    if values is None or values == "":
        return []
    if isinstance(values, (str, Msg)):
        values = [values]
    return [_per_lang(lambda lang, v=v: textwrap.indent(_side(as_msg(v), lang), _INDENT)) for v in values]


def heading(call: Text, what: Text = "") -> Msg:
    """``Called <call> <what>``: the call is code; `what` names the part of the result looked at."""

    def line(lang: str) -> str:
        extra = _side(as_msg(what), lang)
        gap = "" if extra[:1] in ("", "（", "，") else " "  # no space before Chinese punctuation
        return f"{_side(LABELS['called'], lang)} {_side(as_msg(call), lang)}{gap}{extra}"

    return _per_lang(line)


def feedback(
    call: Text = "",
    *,
    what: Text = "",
    head: Text | None = None,
    returned: Text | None = None,
    raised: Text | None = None,
    observed: Text | Sequence[Text] | None = None,
    expected: Text | None = None,
    detail: Text | Sequence[Text] | None = None,
    where: Text | None = None,
    hint: Text | None = None,
) -> Msg:
    """A failure message, its parts in this order, each given only when it says something:

    - the first line: ``head`` if given, otherwise ``Called <call> <what>``;
    - ``returned:`` (what came back) or ``raised:`` (the exception);
    - ``observed``: what the check saw, in sentences without a label;
    - ``expected:``;
    - ``detail``: lines that locate the difference (the largest one, an index);
    - ``where:`` (e.g. the student's traceback frames) and ``hint:`` (what to try).
    """
    parts = [as_msg(head) if head is not None else heading(call, what)]
    parts += [labelled("returned", returned)] if returned is not None else []
    parts += [labelled("raised", raised)] if raised is not None else []
    parts += _lines(observed)
    parts += [labelled("expected", expected)] if expected is not None else []
    parts += _lines(detail)
    parts += [labelled("where", where)] if where else []
    parts += [labelled("hint", hint)] if hint is not None else []
    return join_lines(parts)


def join_lines(parts: Sequence[Msg]) -> Msg:
    return Msg("\n".join(p.zh for p in parts if p.zh), "\n".join(p.en for p in parts if p.en))


def with_hint(message: Msg, hint: Text) -> Msg:
    """A message with one more ``hint:`` line."""
    return join_lines([message, labelled("hint", hint)])


def student_error_message(error: StudentError, exercise_id: str) -> tuple[Msg, str]:
    """An exception from the student's code (or its absence) in words, and a status for the reports."""
    if error.said is not None and error.kind in ("timeout", "crashed"):
        return error.said, error.kind
    hint_cmd = f"`blitz hint {exercise_id}`"
    raised = f"{error.type_name}: {error.message}"
    if error.type_name == "NotImplementedError":
        name = error.call or exercise_id
        return feedback(
            head=tr("{name} is not implemented yet (NotImplementedError).", name=name),
            hint=tr("fill in the body and check again; run {hint_cmd} for a hint.", hint_cmd=hint_cmd),
        ), "not_done"
    if error.kind == "missing":
        name = error.call or exercise_id
        return feedback(head=tr("The code to check is missing: {name}.", name=name), detail=raised), "error"
    if error.kind == "import":
        return feedback(
            head=tr("Importing {exercise_id}.py failed", exercise_id=exercise_id),
            raised=raised,
            where=error.where,
            hint=tr(
                "make the file import cleanly first (python {exercise_id}.py should run without errors).",
                exercise_id=exercise_id,
            ),
        ), "error"
    if error.kind == "timeout" and error.where:  # it printed a lot: where holds its first and last lines
        return feedback(
            head=tr("Timed out: {error_message}.", error_message=error.message),
            detail=tr("What it printed:\n{error_where}", error_where=error.where),
            hint=tr(
                "your code printed a lot. Printing at every step is slow and can stall training: print once per epoch, or not at all."
            ),
        ), "timeout"
    if error.kind == "timeout":
        return feedback(
            head=tr("Timed out: {error_message}.", error_message=error.message),
            hint=tr("look for an endless loop, or training far longer than needed."),
        ), "timeout"
    if error.kind == "crashed":
        return feedback(
            head=tr(
                "The grading process ended while running your code (sys.exit/os._exit, the memory limit or a crash): {error_message}",
                error_message=error.message,
            )
        ), "crashed"
    return feedback(
        error.call,
        raised=raised,
        where=error.where,
        hint=explain_error(error.type_name, error.message, exercise_id, error.where),
    ), "error"
