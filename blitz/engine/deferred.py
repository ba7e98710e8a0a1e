"""A torch module imported for real only when something uses more of it than eager code does.

Some of torch's modules are costly to import and eager code (no ``torch.compile``, no fake tensors) asks
them only for a few small functions that do nothing special for plain values: :mod:`lazy_dynamo` and
:mod:`lazy_shapes` say which. :func:`defer` puts a stand-in module in ``sys.modules`` (and as its
parent's attribute) that holds those functions, and turns into the real module the first time anything
asks for more: any other attribute, or any submodule import. From then on ``sys.modules`` and the
parent hold the real module; a stand-in kept by someone (``import ... as m``) hands every other name
over to it, and its functions hand over any value they are not written for.

A submodule import reaches the stand-in as its parent, and Python's import system then loads the
submodule itself, after the real package (imported by the switch) has loaded that submodule already.
:class:`_Finder` hands the import system the module that is there instead, so no submodule is ever
loaded twice.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types

_SWITCH = threading.Lock()


class StandIn(types.ModuleType):
    """The stand-in: what it does not hold itself comes from the real module."""

    def __getattr__(self, name: str):
        if name == "__path__":  # a package's stand-in holds its own: this one stands in for a plain module
            raise AttributeError(name)  # (``from m import f`` asks, and must not make the module real)
        return getattr(real(self.__name__), name)


def pending(name: str) -> bool:
    """Is the stand-in still in place of module `name`?"""
    return isinstance(sys.modules.get(name), StandIn)


def loaded(name: str) -> types.ModuleType | None:
    """The real module `name` once something imported it; None while the stand-in serves."""
    module = sys.modules.get(name)
    return None if module is None or isinstance(module, StandIn) else module


def real(name: str) -> types.ModuleType:
    """The real module `name`, imported now if the stand-in was still in its place."""
    with _SWITCH:  # one thread takes the stand-ins away; Python's module lock orders the imports
        if isinstance(sys.modules.get(name), StandIn):
            # Its submodules' stand-ins go too: the real package imports its own submodules, and must
            # not find a stand-in in their place.
            modules = list(sys.modules.items())  # one C call: another thread may import meanwhile
            for gone in [n for n, m in modules if n.startswith(name + ".") and isinstance(m, StandIn)]:
                del sys.modules[gone]
            stand_in = sys.modules.pop(name)
            parent, _, child = name.rpartition(".")
            owner = sys.modules.get(parent)
            if owner is not None and owner.__dict__.get(child) is stand_in:
                delattr(owner, child)  # the import below sets the real one there
    return importlib.import_module(name)


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
    """First on sys.meta_path: a submodule of a deferred package, imported while the stand-in serves,
    makes the stand-in real first; if the real package imported that submodule, the import system is
    given it rather than loading it again."""

    def find_spec(self, fullname, path=None, target=None):
        package = fullname.rpartition(".")[0]
        while package and not pending(package):
            package = package.rpartition(".")[0]
        if not package:
            return None
        real(package)
        module = sys.modules.get(fullname)
        if module is None:
            return None  # not imported by the package itself: the usual finders load it
        return importlib.util.spec_from_loader(fullname, _Loaded(module))


_FINDER = _Finder()


def defer(name: str, functions: dict) -> bool:
    """Put a stand-in holding `functions` in place of module `name` (its parent package imported
    already, or standing in itself), unless the module is imported already or there is no such module.
    True when the stand-in is in place."""
    if name in sys.modules:
        return pending(name)
    parent, _, child = name.rpartition(".")
    owner = sys.modules[parent]
    # Found as the import system would find it, without asking the finders (ours would make a deferred
    # parent real): the parent's own folders.
    spec = importlib.machinery.PathFinder.find_spec(name, list(getattr(owner, "__path__", ())))
    if spec is None:
        return False
    stand_in = StandIn(name, f"{name}, imported when first used beyond eager code (blitz)")
    stand_in.__dict__.update(
        __spec__=spec, __loader__=spec.loader, __file__=spec.origin, __cached__=spec.cached, **functions
    )
    if spec.submodule_search_locations is not None:
        stand_in.__dict__.update(__path__=list(spec.submodule_search_locations), __package__=name)
    else:
        stand_in.__package__ = parent
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    sys.modules[name] = stand_in
    if child not in owner.__dict__:  # as an import would: `import a.b.c` then `a.b.c.f()`
        setattr(owner, child, stand_in)
    return True
