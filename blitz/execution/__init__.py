"""The one way student code runs: a warm worker, a fresh child per (submission, exercise).

Placements, not engines: in-process (notebooks: :mod:`blitz.probes.local`), local (below), and
sandboxed (:mod:`blitz.execution.sandbox`). What they share, one module each:

- :mod:`blitz.execution.limits`: the one time budget, per check (``time_limit`` locally,
  ``grading_budget`` sandboxed; ``BLITZ_TIME_LIMIT``);
- :mod:`blitz.execution.output`: the one output capture, head and tail (``Printed``: lines from
  the local child's pipe; ``Drain``: bytes from the sandbox's pipe);
- :mod:`blitz.execution.stops`: the one time-out and crash vocabulary (messages, and the
  ``StudentError`` the sandboxed placement raises with the same kinds);
- :mod:`blitz.execution.lifetime`: the one die-with-parent and not-dumpable switch;
- :mod:`blitz.execution.frames`: the one bounded framed reader and writer (deadlines, maximum lengths);
- :mod:`blitz.execution.files`: a submission's regular files as the trusted side reads them, read
  once into a ``Snapshot`` that is fingerprinted and copied into the sandbox
  (:func:`blitz.grading.runner.grade_once`).

The local placement. Who uses it: `blitz check`, `list`, `watch`, `report` (blitz/student/) and `pytest autograder`
(blitz/frontends/pytest_plugin.py). Notebooks run their checks in the kernel (they are the
student's process). Both forking placements have the same shape: the checks run in a trusted
process, the student's code only in probes, in a fresh child per (submission, exercise) forked by
the one warm worker loop (:mod:`blitz.execution.worker`), the answers crossing as
:mod:`blitz.engine.wire` frames through :mod:`blitz.execution.frames`. Sandboxed, the trusted
process is the grader and the worker runs in a sandbox (:mod:`blitz.execution.sandbox`); locally,
the trusted process is the host below and the worker a plain process of the student's, forked
from the host before it imports the checks (:mod:`blitz.execution.launch`): torch is imported once. :class:`blitz.execution.sandbox.isolated.IsolatedSubmission`
sends the probes in both.

The pieces, front end first:

- :mod:`blitz.execution.local` (no torch): :class:`~blitz.execution.local.Engine` starts
  ``python -m blitz.execution.host`` once (``start()`` warms it in the background), sends requests,
  reads answers: ``run_exercise(folder, exercise_id, ctx)`` blocks; ``submit_exercise`` /
  ``poll(timeout)`` / ``cancel(id)`` do not (watch). ``close()`` leaves no process behind.
- :mod:`blitz.execution.host`: imports torch and the checks, then serves requests one at a time
  (JSON lines on stdin/stdout, documented there): it runs each check itself, each with its own
  time budget, its probes in the worker's children; a check that times out or crashes gets its
  own result ("timeout", "crashed", naming the function that was running: ``tensors.gram ran
  longer than 10 s — an endless loop?``) and the next check a fresh child; a hang or crash at
  import stands for all. It dies with its parent (PDEATHSIG), and so do the worker and its children.
- :mod:`blitz.execution.worker`: the one warm worker loop (both placements).
- :mod:`blitz.execution.supervise` and :mod:`blitz.execution.child`: a job (``blitz report``'s
  training: ``blitz.student.report:train_job``) in a forked child of the host, JSON lines back.
- :mod:`blitz.execution.protocol` (no torch): the JSON shapes (a check's result is
  :meth:`blitz.engine.results.CheckResult.to_json`, read back with ``from_json``);
  what it printed is :class:`blitz.execution.output.Printed`'s.

An exercise's outcome (``Engine.run_exercise``) is a :class:`blitz.engine.results.RunOutcome`:
state done (its ``results``, one :class:`~blitz.engine.results.CheckResult` per check of the
exercise; ``printed``, ``seconds``, ``stopped``), failed (``why``: the host itself failed) or
cancelled. Only the host's answer line is JSON (``RunOutcome.to_json``/``from_json``)."""
