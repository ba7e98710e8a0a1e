"""torch._dynamo, imported for real only when something uses more of it than eager code does.

In eager mode (no ``torch.compile``), every optimizer's ``step()`` runs ``import torch._dynamo`` and
calls ``torch._dynamo.graph_break()`` twice, and torch's ``_disable_dynamo`` wrappers (``zero_grad``,
the functional Adam) call ``torch._dynamo.disable(fn)`` once per function. Neither does anything
without a compiler: graph_break is an empty function, and disable only switches off a compiler that
is not running. Yet importing torch._dynamo costs about 0.8 s of CPU (as much as half of torch),
in every process that trains: each grading sandbox, each student command's worker, each trusted
process that trains the reference. torchvision imports one more function, from torch._dynamo.utils:
the stand-in of that submodule serves it (:func:`is_compile_supported`).

:func:`defer` puts a stand-in in place of torch._dynamo that offers those two names as eager code
needs them, and turns into the real torch._dynamo the first time anything asks for more:
any other attribute (``torch._dynamo.config``, ``.optimize``, ``torch.compile``'s ``.reset``), or any
submodule import (``import torch._dynamo.utils``, which ``torch.compile`` does). From then on the
stand-in's two functions hand over to the real ones, so a function it wrapped before the switch is
switched off for the compiler as the real ``disable`` would have done.

The stand-in and its switch are :mod:`blitz.engine.deferred`'s.
"""

from __future__ import annotations

import functools

from blitz.engine import deferred

DYNAMO = "torch._dynamo"
DYNAMO_UTILS = "torch._dynamo.utils"


def graph_break(*args, **kwargs) -> None:
    """Empty in eager code (torch's own is an empty function the compiler recognises)."""
    module = deferred.loaded(DYNAMO)
    if module is not None:
        getattr(module, "graph_break", lambda *a, **k: None)(*args, **kwargs)


def disable(fn=None, recursive=True, **options):
    """``fn`` as it is while no compiler runs; once torch._dynamo is real, the real ``disable(fn)``."""
    module = deferred.loaded(DYNAMO)
    if module is not None:
        return module.disable(fn, recursive, **options)
    if fn is None:  # used as @disable(recursive=False)
        return functools.partial(disable, recursive=recursive, **options)
    switched_off = None

    def run(*args, **kwargs):
        nonlocal switched_off
        if switched_off is None:
            module = deferred.loaded(DYNAMO)
            if module is None:
                return fn(*args, **kwargs)
            switched_off = module.disable(fn, recursive, **options)
        return switched_off(*args, **kwargs)

    if options.get("wrapping", True):
        functools.update_wrapper(run, fn)
    return run


def is_compile_supported(device_type):
    """What ``torchvision.ops.roi_align`` imports from torch._dynamo.utils (and calls only inside
    ``roi_align``): the real one's answer, imported when first called."""
    return deferred.real(DYNAMO_UTILS).is_compile_supported(device_type)


def defer() -> bool:
    """Put the stand-ins in place of torch._dynamo and its utils, unless torch._dynamo is imported
    already (or torch has no such package). Call after ``import torch``. True when they are in place."""
    if not deferred.defer(DYNAMO, {"graph_break": graph_break, "disable": disable}):
        return False
    deferred.defer(DYNAMO_UTILS, {"is_compile_supported": is_compile_supported})
    return True
