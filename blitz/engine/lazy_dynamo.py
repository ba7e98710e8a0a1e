"""torch._dynamo, imported for real only when something uses more of it than eager code does.

In eager mode (no ``torch.compile``), every optimizer's ``step()`` runs ``import torch._dynamo`` and
calls ``torch._dynamo.graph_break()`` twice, and torch's ``_disable_dynamo`` wrappers (``zero_grad``,
the functional Adam) call ``torch._dynamo.disable(fn)`` once per function. Neither does anything
without a compiler: graph_break is an empty function, and disable only switches off a compiler that
is not running. Yet importing torch._dynamo costs about 0.8 s of CPU (as much as half of torch),
in every process that trains: each grading sandbox, each student command's worker, each trusted
process that trains the reference.

:func:`defer` puts a stand-in into ``sys.modules["torch._dynamo"]`` that offers those two names as
eager code needs them, and turns into the real torch._dynamo the first time anything asks for more:
any other attribute (``torch._dynamo.config``, ``.optimize``, ``torch.compile``'s ``.reset``), or any
submodule import (``import torch._dynamo.utils``, which ``torch.compile`` does). From then on the
stand-in's two functions hand over to the real ones, so a function it wrapped before the switch is
switched off for the compiler as the real ``disable`` would have done.

A submodule import reaches the stand-in as its parent, and Python's import system then loads the
submodule itself, after the real torch._dynamo (imported by the switch) has loaded that submodule
already. :class:`_Finder` hands the import system the module that is there instead, so no
submodule is ever loaded twice.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types

DYNAMO = "torch._dynamo"
_SWITCH = threading.Lock()


class _Deferred(types.ModuleType):
    """The stand-in: what it does not hold itself comes from the real torch._dynamo."""

    def __getattr__(self, name: str):
        return getattr(real(), name)


def pending() -> bool:
    """Is the stand-in still in place of torch._dynamo?"""
    return isinstance(sys.modules.get(DYNAMO), _Deferred)


def _loaded() -> types.ModuleType | None:
    """The real torch._dynamo once something imported it; None while the stand-in serves."""
    module = sys.modules.get(DYNAMO)
    return None if module is None or isinstance(module, _Deferred) else module


def real() -> types.ModuleType:
    """The real torch._dynamo, imported now if the stand-in was still in its place."""
    with _SWITCH:  # one thread takes the stand-in away; Python's module lock orders the imports
        stand_in = sys.modules.get(DYNAMO)
        if isinstance(stand_in, _Deferred):
            del sys.modules[DYNAMO]
            torch = sys.modules.get("torch")
            if torch is not None and torch.__dict__.get("_dynamo") is stand_in:
                del torch._dynamo  # torch's module __getattr__ imports the real one on the next use
    return importlib.import_module(DYNAMO)


def graph_break(*args, **kwargs) -> None:
    """Empty in eager code (torch's own is an empty function the compiler recognises)."""
    module = _loaded()
    if module is not None:
        getattr(module, "graph_break", lambda *a, **k: None)(*args, **kwargs)


def disable(fn=None, recursive=True, **options):
    """``fn`` as it is while no compiler runs; once torch._dynamo is real, the real ``disable(fn)``."""
    module = _loaded()
    if module is not None:
        return module.disable(fn, recursive, **options)
    if fn is None:  # used as @disable(recursive=False)
        return functools.partial(disable, recursive=recursive, **options)
    switched_off = None

    def run(*args, **kwargs):
        nonlocal switched_off
        if switched_off is None:
            module = _loaded()
            if module is None:
                return fn(*args, **kwargs)
            switched_off = module.disable(fn, recursive, **options)
        return switched_off(*args, **kwargs)

    if options.get("wrapping", True):
        functools.update_wrapper(run, fn)
    return run


class _Loaded(importlib.abc.Loader):
    """A loader for a module that is imported already: the import system gets that module back."""

    def __init__(self, module: types.ModuleType):
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # the import system set ours; the module keeps its own


class _Finder(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: a submodule of torch._dynamo imported while the stand-in serves makes
    the stand-in real first; if the real package imported that submodule, the import system is given
    it rather than loading it again."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(DYNAMO + ".") or not pending():
            return None
        real()
        module = sys.modules.get(fullname)
        if module is None:
            return None  # not imported by the package itself: the usual finders load it
        return importlib.util.spec_from_loader(fullname, _Loaded(module))


_FINDER = _Finder()


def defer() -> bool:
    """Put the stand-in in place of torch._dynamo, unless torch._dynamo is imported already (or torch
    has no such package). Call after ``import torch``. True when the stand-in is in place."""
    if DYNAMO in sys.modules:
        return pending()
    import torch

    spec = importlib.machinery.PathFinder.find_spec(DYNAMO, list(torch.__path__))
    if spec is None or spec.submodule_search_locations is None:
        return False
    stand_in = _Deferred(DYNAMO, "torch._dynamo, imported when first used beyond eager code (blitz)")
    stand_in.__dict__.update(
        __spec__=spec,
        __path__=list(spec.submodule_search_locations),
        __package__=DYNAMO,
        __loader__=spec.loader,
        graph_break=graph_break,
        disable=disable,
    )
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    sys.modules[DYNAMO] = stand_in
    return True
