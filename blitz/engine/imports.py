"""Warm imports for the kit's worker processes: torchvision without torch._dynamo; and nbformat without
jsonschema's IRI grammar (:func:`skip_iri_grammar`) for the kit's processes that read notebooks.

``import torchvision`` imports all of it, and ``torchvision.ops.roi_align`` imports one function from
``torch._dynamo.utils`` (``is_compile_supported``, called only inside ``roi_align``), which pulls in
torch's compiler stack: about 1.5 s of CPU, as much as importing torch itself. Every sandbox of
``blitz grade`` and every warm worker of a student's command paid it, for MNIST and two transforms.

:func:`import_torchvision` imports torchvision with a stand-in for that one function, which loads the
real one on its first call, and then takes the stand-in away: ``torch._dynamo`` (``torch.compile``,
``torch._dynamo.utils``) is imported for real the first time anything uses it. If this torchvision
needs more of ``torch._dynamo`` at import time than the stand-in offers, the partial import is undone
and torchvision is imported the usual way.
"""

from __future__ import annotations

import sys
import types

DYNAMO = "torch._dynamo"
DYNAMO_UTILS = "torch._dynamo.utils"


def _is_compile_supported(device_type):
    """The stand-in torchvision keeps: the real function, imported when first called."""
    from torch._dynamo.utils import is_compile_supported

    return is_compile_supported(device_type)


def _stand_ins() -> tuple[types.ModuleType, types.ModuleType]:
    package = types.ModuleType(DYNAMO)
    package.__path__ = []  # a package, so that its "utils" submodule can be imported from it
    utils = types.ModuleType(DYNAMO_UTILS)
    utils.__dict__.update(is_compile_supported=_is_compile_supported)
    package.__dict__.update(utils=utils)
    return package, utils


def _forget(stand_ins: tuple[types.ModuleType, ...]) -> None:
    import torch

    for name in (DYNAMO_UTILS, DYNAMO):
        if sys.modules.get(name) in stand_ins:
            del sys.modules[name]
    if torch.__dict__.get("_dynamo") in stand_ins:
        del torch._dynamo  # torch's module __getattr__ imports the real one on the next use


def _usual() -> types.ModuleType | None:
    """torchvision as Python imports it; None when it is not installed."""
    try:
        import torchvision
    except ImportError:
        return None
    return torchvision


def _torchvision_modules() -> list[str]:
    return [name for name in sys.modules if name == "torchvision" or name.startswith("torchvision.")]


def import_torchvision() -> types.ModuleType | None:
    """torchvision, imported without torch._dynamo where it was not imported yet; None when torchvision
    is not installed (whatever needs it says so itself)."""
    if "torchvision" in sys.modules or DYNAMO in sys.modules:
        return _usual()
    import torch  # noqa: F401 - first, so that its own imports never meet the stand-ins

    stand_ins = _stand_ins()
    sys.modules[DYNAMO], sys.modules[DYNAMO_UTILS] = stand_ins
    try:
        import torchvision
        import torchvision.datasets  # noqa: F401 - what the kit uses, imported while the stand-ins serve
        import torchvision.transforms  # noqa: F401

        light = not _holds_stand_ins(stand_ins)
    except Exception:  # noqa: BLE001 - this torchvision wants more of torch._dynamo at import time
        light = False
    finally:
        _forget(stand_ins)
    if light:
        return torchvision
    for name in _torchvision_modules():  # undo the partial import: nothing may keep a stand-in
        del sys.modules[name]
    return _usual()


def warm_torch() -> types.ModuleType | None:
    """What every kit process that runs torch code imports first: torch, torchvision without
    torch._dynamo, and then torch._dynamo and torch's symbolic shapes deferred until something uses more
    of them than eager code does (:mod:`blitz.engine.lazy_dynamo`: optimizer.step() imports it;
    :mod:`blitz.engine.lazy_shapes`: backward against a given gradient imports it; neither needs them).
    torchvision, or None when it is not installed."""
    from blitz.engine import lazy_dynamo, lazy_shapes

    vision = import_torchvision()
    lazy_dynamo.defer()
    lazy_shapes.defer()
    return vision


def _holds_stand_ins(stand_ins: tuple[types.ModuleType, ...]) -> bool:
    """Does a torchvision module keep a stand-in (``import torch._dynamo as d``)? Only functions may
    be kept: a module kept would never become the real one."""
    for name in _torchvision_modules():
        if any(value in stand_ins for value in vars(sys.modules[name]).values() if isinstance(value, types.ModuleType)):
            return True
    return False


def skip_iri_grammar() -> None:
    """Leave jsonschema's IRI format check out of this process. Importing nbformat imports jsonschema,
    which builds rfc3987_syntax's Lark grammar for the "iri" formats at import (about 1.3 s of CPU, more
    than the rest of nbgrader's start); no notebook schema names that format, and nbformat, nbclient,
    nbconvert and nbgrader validate without a format checker. jsonschema imports it under
    ``suppress(ImportError)``: None in sys.modules makes that import fail at once."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not importable"
