"""Warm imports for the kit's worker processes: torch with its costly compiler modules deferred, and
torchvision without torch._dynamo; and nbformat without jsonschema's IRI grammar (:func:`skip_iri_grammar`)
for the kit's processes that read notebooks.

``import torchvision`` imports all of it, and ``torchvision.ops.roi_align`` imports one function from
``torch._dynamo.utils`` (``is_compile_supported``, called only inside ``roi_align``), which pulls in
torch's compiler stack: about 1.5 s of CPU, as much as importing torch itself. Every sandbox of
``blitz grade`` and every warm worker of a student's command paid it, for MNIST and two transforms.
:func:`warm_torch` imports torchvision after torch._dynamo is deferred (:mod:`blitz.engine.lazy_dynamo`,
whose stand-in serves that function too); if a torchvision needs more of torch._dynamo at import time,
it gets the real one, as it would without the stand-in.
"""

from __future__ import annotations

import sys
import types


def warm_torch() -> types.ModuleType | None:
    """What every kit process that runs torch code imports first: torch, with torch._dynamo and torch's
    symbolic shapes deferred until something uses more of them than eager code does
    (:mod:`blitz.engine.lazy_dynamo`: optimizer.step() and torchvision import it;
    :mod:`blitz.engine.lazy_shapes`: backward against a given gradient imports it; neither needs them),
    then torchvision. torchvision, or None when it is not installed (whatever needs it says so itself).
    Where torch._dynamo is imported already, it stays as it is."""
    import torch  # noqa: F401 - first: the deferrals stand in for two of its modules

    from blitz.engine import lazy_dynamo, lazy_shapes

    lazy_dynamo.defer()
    lazy_shapes.defer()
    try:
        import torchvision
        import torchvision.datasets  # noqa: F401 - what the kit uses, imported once here
        import torchvision.transforms  # noqa: F401
    except ImportError:
        return None
    return torchvision


def skip_iri_grammar() -> None:
    """Leave jsonschema's IRI format check out of this process. Importing nbformat imports jsonschema,
    which builds rfc3987_syntax's Lark grammar for the "iri" formats at import (about 1.3 s of CPU, more
    than the rest of nbgrader's start); no notebook schema names that format, and nbformat, nbclient,
    nbconvert and nbgrader validate without a format checker. jsonschema imports it under
    ``suppress(ImportError)``: None in sys.modules makes that import fail at once."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not importable"
