"""The one way student code runs: a warm worker, a fresh child per (submission, exercise).

Placements, not engines: in-process (notebooks: :mod:`blitz.probes.local`), local (below), and
sandboxed (:mod:`blitz.execution.sandbox`). What they share, one module each:

- :mod:`blitz.execution.limits`: the one time budget (``time_limit`` per check, locally;
  ``grading_budget`` per exercise, sandboxed; ``BLITZ_TIME_LIMIT``);
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
student's process). `blitz grade` uses the same model inside its sandbox
(:mod:`blitz.execution.sandbox.session` and ``worker``): one sandbox per submission, in it a warm
worker (pid 1 of the sandbox) that imported torch and the probes once and forks a fresh child per
exercise; there the checks stay in the trusted grader and only probes run in the child.

The pieces, front end first:

- :mod:`blitz.execution.local` (no torch): :class:`~blitz.execution.local.Engine` starts
  ``python -m blitz.execution.worker`` once (``start()`` warms it in the background), sends requests,
  reads answers: ``run_exercise(folder, exercise_id, ctx)`` blocks; ``submit_exercise`` /
  ``poll(timeout)`` / ``cancel(id)`` do not (watch). ``close()`` leaves no process behind.
- :mod:`blitz.execution.worker`: imports torch and the checks, then serves requests one at a time
  (JSON lines on stdin/stdout, documented there). It never runs torch operations itself (a fork
  after OpenMP has run hangs the child) nor student code; it dies with its parent (PDEATHSIG).
- :mod:`blitz.execution.supervise`: forks a child per request, reads its control and output pipes
  with deadlines (bounded reads), kills the child's whole process group when done, on a time-out,
  or on cancel. A check that times out or crashes gets its own result ("timeout", "crashed",
  naming the function that was running: ``tensors.gram ran longer than 10 s — an endless loop?``)
  and a fresh child carries on with the next check; a hang or crash at import stands for all.
- :mod:`blitz.execution.child`: the child's side: own process group, PDEATHSIG, stdin from /dev/null,
  fd 1 and 2 into the output pipe, ``run_check`` + :class:`blitz.probes.local.LocalSubmission`
  for each check (or a named job: ``blitz.student.report:train_job``), each result sent as a line.
- :mod:`blitz.execution.protocol` (no torch): the JSON shapes (a check's result is
  :meth:`blitz.engine.results.CheckResult.to_json`, read back with ``from_json``);
  what it printed is :class:`blitz.execution.output.Printed`'s.

An exercise's outcome (``Engine.run_exercise``) is always a dict: ``{"exercise", "results": [CHECK
...], "printed": {"head", "tail", "omitted"}, "seconds", "stopped"}``, or ``{"failed": why}`` when
the worker itself failed, or ``{"cancelled": true}``. Every check of the exercise has a result.
"""
