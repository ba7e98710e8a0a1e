"""blitz.engine.deferred on a package of the test's own: what the stand-ins serve, when they turn into the
real modules, and that the real ones are loaded once and never find a stand-in in their place."""

from __future__ import annotations

import sys
import uuid

import pytest

from blitz.engine import deferred


@pytest.fixture
def outer(tmp_path, monkeypatch):
    """A package `outer` with a subpackage `pkg` (which imports its submodule `sub` with ``from . import``)
    and a plain module `plain`; each module writes its name into `loads` when it is executed."""
    name = f"blitzdeferred{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    (root / "pkg").mkdir(parents=True)
    loads = tmp_path / "loads"
    note = f"open({str(loads)!r}, 'a').write(__name__ + '\\n')\n"
    (root / "__init__.py").write_text("")
    (root / "pkg" / "__init__.py").write_text(note + "from . import sub\nVALUE = 42\n")
    (root / "pkg" / "sub.py").write_text(note + "def f(x):\n    return ('real', x)\n")
    (root / "pkg" / "other.py").write_text(note)
    (root / "plain.py").write_text(note + "def f(x):\n    return ('real', x)\nOTHER = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__(name)
    yield name, lambda: loads.read_text().split() if loads.exists() else []
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def eager(x):
    return ("eager", x)


def test_the_stand_ins_serve_their_functions_and_load_nothing(outer):
    name, loads = outer
    assert deferred.defer(f"{name}.pkg", {"cost": lambda: "eager"})
    assert deferred.defer(f"{name}.pkg.sub", {"f": eager})
    assert deferred.defer(f"{name}.plain", {"f": eager})
    package = sys.modules[name]
    assert package.pkg.cost() == "eager" and package.pkg.sub.f(1) == ("eager", 1)
    namespace: dict = {}
    # ``from m import f`` asks a plain module for __path__: that must not make it real
    exec(f"from {name}.plain import f\nfrom {name}.pkg.sub import f as g", namespace)
    assert namespace["f"](2) == ("eager", 2) and namespace["g"](3) == ("eager", 3)
    assert all(deferred.pending(f"{name}.{m}") for m in ("pkg", "pkg.sub", "plain")) and loads() == []
    assert not deferred.defer(f"{name}.nothing_here", {})  # no such module: no stand-in


def test_a_package_made_real_takes_its_submodules_stand_ins_away_first(outer):
    name, loads = outer
    deferred.defer(f"{name}.pkg", {})
    deferred.defer(f"{name}.pkg.sub", {"f": eager})
    kept = sys.modules[f"{name}.pkg.sub"].f
    assert sys.modules[name].pkg.VALUE == 42  # a name the stand-in does not hold
    real, sub = sys.modules[f"{name}.pkg"], sys.modules[f"{name}.pkg.sub"]
    assert not isinstance(real, deferred.StandIn) and not isinstance(sub, deferred.StandIn)
    assert real.sub is sub and sys.modules[name].pkg is real  # `from . import sub` found the real one
    assert sub.f(4) == ("real", 4) and kept(5) == ("eager", 5)
    assert loads() == [f"{name}.pkg", f"{name}.pkg.sub"]  # each once


def test_a_submodule_import_makes_its_package_real_and_loads_each_module_once(outer):
    name, loads = outer
    deferred.defer(f"{name}.pkg", {})
    deferred.defer(f"{name}.pkg.sub", {"f": eager})
    __import__(f"{name}.pkg.other")  # not deferred: the package turns real first, then it is loaded
    __import__(f"{name}.pkg.sub")  # deferred, and taken away with its package: the real one, once
    assert not deferred.pending(f"{name}.pkg") and not deferred.pending(f"{name}.pkg.sub")
    assert sys.modules[f"{name}.pkg"].other is sys.modules[f"{name}.pkg.other"]
    assert sorted(loads()) == sorted([f"{name}.pkg", f"{name}.pkg.sub", f"{name}.pkg.other"])


def test_a_plain_module_turns_real_for_any_other_name(outer):
    name, loads = outer
    deferred.defer(f"{name}.plain", {"f": eager})
    stand_in = sys.modules[f"{name}.plain"]
    assert stand_in.OTHER == 7  # kept by someone: it hands the name over to the real module
    real = sys.modules[f"{name}.plain"]
    assert real is not stand_in and sys.modules[name].plain is real and real.f(6) == ("real", 6)
    assert deferred.loaded(f"{name}.plain") is real and not deferred.defer(f"{name}.plain", {})
    assert loads() == [f"{name}.plain"]
