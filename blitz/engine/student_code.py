"""Loading a student's modules, and what their exceptions say (only the student's own frames)."""

from __future__ import annotations

import importlib.util
import traceback
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from blitz.course.i18n import Msg
from blitz.engine import wire

# Who is told what student code is about to run (blitz.execution's child reports it to its supervisor,
# so a time-out can name the function that was running); None: nobody, at no cost.
_listener: Callable[[str], None] | None = None


def set_listener(listener: Callable[[str], None] | None) -> None:
    global _listener
    _listener = listener


def announce(what: str) -> None:
    """Say what student code runs now ("tensors.gram", "import tensors.py"); "" when it returned."""
    if _listener is not None:
        _listener(what)


class StudentError(Exception):
    """Student code raised, or could not be imported. Carries only the student's own frames."""

    def __init__(
        self,
        type_name: str,
        message: str,
        where: str = "",
        call: str = "",
        kind: str = "raised",
        said: Msg | None = None,
    ):
        self.said = said  # the whole message, in both languages, when the kit words it itself (a local time-out)
        self.type_name = type_name
        self.message = message
        self.where = where  # the student's frames, formatted
        self.call = call  # what was being called, e.g. "tensors.from_data([[1, 2]])"
        self.kind = kind  # "raised", "import", "missing", "crashed", "timeout"
        super().__init__(f"{type_name}: {message}")

    def as_dict(self) -> dict:
        return {
            "type_name": self.type_name,
            "message": self.message,
            "where": self.where,
            "call": self.call,
            "kind": self.kind,
        }

    @classmethod
    def from_exception(
        cls, exc: BaseException, student_files: set[str], call: str | None = None, kind: str = "raised"
    ) -> StudentError:
        """What the student's exception says, with only their frames; the call the kit labelled it with
        (``__blitz_call__``) unless one is given."""
        if call is None:
            call = getattr(exc, "__blitz_call__", "")
        return cls(type(exc).__name__, _error_message(exc), student_frames(exc, student_files), call, kind)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudentError:
        text = {k: str(data.get(k, "")) for k in ("type_name", "message", "where", "call", "kind")}
        return cls(text["type_name"], text["message"], text["where"], text["call"], text["kind"])


def student_frames(exc: BaseException, student_files: set[str]) -> str:
    """Format only the traceback frames that are in the student's files: never the kit's insides."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if str(Path(frame.filename).resolve()) in student_files
    ]
    if isinstance(exc, SyntaxError) and exc.filename:
        return f'  File "{Path(exc.filename).name}", line {exc.lineno}\n    {(exc.text or "").strip()}'
    return "".join(
        f'  File "{Path(f.filename).name}", line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}\n'
        for f in frames
    ).rstrip()


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"sys.exit({exc.code!r})"
    try:
        return (str(exc) + _suggestion(exc))[:2000]
    except BaseException:  # noqa: BLE001 - a student's exception may break str()
        return "<message could not be shown>"


def _suggestion(exc: BaseException) -> str:
    """Python's own ". Did you mean: 'x'?" for a misspelt name or attribute: its default hook prints it,
    but str() of the exception lacks it. Near names as Python finds them (difflib's close matches)."""
    import difflib

    name = getattr(exc, "name", None)
    if not isinstance(name, str) or not isinstance(exc, (AttributeError, NameError)) or "Did you mean" in str(exc):
        return ""
    if isinstance(exc, AttributeError):
        candidates = dir(exc.obj) if getattr(exc, "obj", None) is not None else []
    else:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        frame = tb.tb_frame if tb is not None else None
        candidates = [*frame.f_locals, *frame.f_globals, *frame.f_builtins] if frame is not None else []
    candidates = [c for c in candidates if isinstance(c, str) and not c.startswith("__")][:10000]
    near = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f". Did you mean: {near[0]!r}?" if near and near[0] != name else ""


class StudentModules:
    """The student's exercise modules by id, loaded lazily from a folder (or given as namespaces)."""

    def __init__(self, folder: Path | None = None, namespaces: Mapping[str, Any] | None = None):
        self.folder = Path(folder).resolve() if folder is not None else None
        self._modules: dict[str, Any] = dict(namespaces or {})
        self._errors: dict[str, StudentError] = {}
        self.files: set[str] = set()
        if self.folder is not None:
            self.files = {str(p.resolve()) for p in self.folder.glob("*.py")}

    def __getitem__(self, exercise_id: str) -> Any:
        if exercise_id in self._modules:
            return self._modules[exercise_id]
        if exercise_id in self._errors:
            raise self._errors[exercise_id]
        try:
            module = self._load(exercise_id)
        except StudentError as error:
            self._errors[exercise_id] = error
            raise
        self._modules[exercise_id] = module
        return module

    def _load(self, exercise_id: str) -> types.ModuleType:
        if self.folder is None:
            raise StudentError("MissingModule", f"no code for exercise {exercise_id!r}", kind="missing")
        path = self.folder / f"{exercise_id}.py"
        if not path.is_file():
            raise StudentError(
                "FileNotFoundError",
                f"{path.name} is not in {self.folder}",
                call=f"import {exercise_id}",
                kind="missing",
            )
        # A private module name: the student's data.py must not shadow anything, nor be shadowed.
        name = f"blitz_submission_{abs(hash(str(self.folder)))}.{exercise_id}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None  # a .py file's path always has a loader
        module = importlib.util.module_from_spec(spec)
        announce(f"import {path.name}")
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:  # noqa: BLE001 - SystemExit at import counts as the student's error too
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise StudentError.from_exception(exc, self.files, f"import {path.name}", "import") from None
        finally:
            announce("")
        return module


def run_probe(probe: Callable, modules: StudentModules, args: tuple, kwargs: dict) -> dict:
    """Run one probe and wrap the outcome; shared by the in-process path and the sandboxed worker."""
    try:
        value = probe(modules, *args, **kwargs)
    except StudentError as error:
        return {"ok": False, "error": error.as_dict()}
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything, SystemExit included
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"ok": False, "error": StudentError.from_exception(exc, modules.files).as_dict()}
    return {"ok": True, "value": wire.lower(value)}
