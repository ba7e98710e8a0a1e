"""What crosses the local placement's pipes: results as plain JSON, read back without importing torch.

A job's child (:mod:`blitz.execution.child`) sends one JSON object per line on its control pipe; the
host (:mod:`blitz.execution.host`) sends one per line to the front end. A run's outcome is a
:class:`blitz.engine.results.RunOutcome` on both sides; on the line between them it is
``RunOutcome.to_json()``, read back with ``RunOutcome.from_json``::

    {"exercise": "tensors", "results": [CHECK, ...], "printed": PRINTED, "seconds": 0.4,
     "stopped": MSG | None[, "value": ..., "call": ..., "status": ...]}     (a job: value, or its stop)
    {"failed": why}    {"cancelled": true}

    CHECK   = blitz.engine.results.CheckResult.to_json(): {"key", "exercise", "name", "title": MSG,
              "status", "score", "max_score", "message": MSG | None, "seconds"[, "note": MSG]}
    PRINTED = {"head": [line, ...], "tail": [line, ...], "omitted": n}   # what the student's code printed
    MSG     = {"zh": ..., "en": ...}

No dict outcome crosses a module boundary: the host and :func:`blitz.execution.supervise.run_job`
return RunOutcome, and the front ends get RunOutcome from :class:`blitz.execution.local.Engine`.
"""
