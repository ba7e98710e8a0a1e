"""Probes: small trusted functions that run next to student code and report what it did.

A probe calls the student's function on inputs chosen by the check, watches it (identity, in-place
changes, training mode, calls to the optimizer...) and returns plain values. It never judges: the
check (blitz/exercises/<id>/checks.py) compares on the trusted side. Probes live beside the checks, one module
per exercise id, and use only the kit's own helpers (blitz/engine), never the reference solutions,
so a sandboxed worker can run them without any path to the solutions.

:data:`PROBES` is the table a submission looks a probe up in, by name. Each probe declares the form
of its answer (:func:`blitz.engine.answers.probe`); the checks call it through its handle, which
validates the answer against that form before the check sees it.
"""

from __future__ import annotations

from collections.abc import Callable

from blitz.engine.answers import Probe
from blitz.exercises import common
from blitz.exercises.autograd import probes as autograd
from blitz.exercises.data import probes as data
from blitz.exercises.evaluate import probes as evaluate
from blitz.exercises.extras import probes as extras
from blitz.exercises.model import probes as model
from blitz.exercises.pipeline import probes as pipeline
from blitz.exercises.tensors import probes as tensors
from blitz.exercises.train import probes as train

# Each probe's function by name: the one table a worker (and LocalSubmission) looks a request up in.
PROBES: dict[str, Callable] = {
    handle.name: handle.func
    for module in (common, tensors, autograd, data, model, train, evaluate, extras, pipeline)
    for handle in vars(module).values()
    if isinstance(handle, Probe)
}
