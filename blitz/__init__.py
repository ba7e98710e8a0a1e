"""blitz: learn PyTorch in 60 minutes, test-driven.

One exercise id names everything of it: ``exercises/<id>.py`` (the student's stub),
``solutions/<id>.py`` (the reference, the single source of stubs and notebooks),
``autograder/test_<id>.py`` (generated), ``blitz/exercises/<id>/`` (``checks.py``, ``probes.py`` the
checks run, ``hints.toml``), ``notebooks/<id>.ipynb`` (generated), and its registry entry.

The module map, bottom layer first; a layer imports only from the layers below it (the contract
in pyproject.toml, ``[tool.importlinter]``, run by the tests):

- :mod:`blitz.course` — what the course is: the ordered exercise registry (``registry``: what is
  special about each exercise, its inputs, MNIST and budget), the hint ladders (``hints``), the languages (``i18n``: ``tr`` gives a message written in English its Chinese from the gettext catalog in ``locale/``), MNIST on disk (``mnist``), common PyTorch errors
  and what they mean (``pytorch_errors``), terminal text (``text``), the progress bars
  (``progress``, tqdm), what every figure shares (``figures``: the Chinese font, PNGs with metadata),
  errors told from their numbers and code (``error_stories``), each exercise's reading (``reading``,
  the texts in ``readings/``), the physical cores (``cores``).
- :mod:`blitz.engine` — how a check runs: checks (``check``), what checks there are and what a
  check may vary, without torch (``catalog``, read from the checks' declarations as text), the kit's
  workers' warm imports (``imports``: torchvision without torch._dynamo; torch._dynamo and torch's
  symbolic shapes deferred until something uses more of them than eager code does, ``deferred`` with
  ``lazy_dynamo`` and ``lazy_shapes``; nbformat without jsonschema's IRI grammar), what they give back
  (``results``: check, exercise and submission results, their statuses and JSON), comparisons that
  explain themselves (``compare``), every failure message from one template in both languages
  (``feedback``), the door to student code (``submission``), loading it
  (``student_code``), a notebook's cells run as one module (``cells``), the wire format back from it (``wire``), the probes' shared helpers
  (``probing``) and fixtures (``fixtures``), typed probes (``answers``: each probe declares the form
  of its answer, and the handle the checks call validates every answer against it), and
  the reference the checks compare with (``reference``: the solutions, or in a student release their
  results recorded as data, ``recorded``).
- :mod:`blitz.exercises` — one package per exercise, ``<id>/``: ``probes`` (what runs next to the
  student's code; never imports the checks or the reference), ``checks`` (what is judged, on the
  trusted side), ``hints.toml``; the capstone's fast paths in ``pipeline/fastpath``; ``common``, the
  probe several exercises share.
- :mod:`blitz.probes` and :mod:`blitz.checks` — the lookups: every probe by name (``probes.local``
  runs them in this process), every check by exercise and key.
- :mod:`blitz.execution` — the one way student code runs, in placements: its time budget
  (``limits``), output capture (``output``), time-out and crash vocabulary (``stops``),
  die-with-parent (``lifetime``), bounded frames with deadlines (``frames``), a submission's
  files read safely and once (``files``: ``snapshot``), scratch folders named by their owner and
  swept when it was killed (``scratch``); the one warm worker loop (``worker``): it
  forks a fresh child per (submission, exercise) that runs only probes, their answers as wire
  frames, while the checks run in a trusted process. Placements decide the launcher: locally, the
  trusted ``host`` (torch and the checks, driven from ``local`` without importing torch) runs the
  checks and the worker is a plain process forked from it, torch imported once (``launch``); ``blitz report``'s training is a job in a
  forked child of the host (``supervise``, ``child``, JSON over pipes: ``protocol``); sandboxed,
  :mod:`blitz.execution.sandbox`: one bubblewrap sandbox and cgroup per submission (``session``)
  with its seccomp filter (``seccomp``), the worker in it, the probes of each exercise sent by
  :class:`~blitz.execution.sandbox.isolated.IsolatedSubmission` (both placements use it);
  SECURITY.md.
- Front ends, each on the layers above:
  - :mod:`blitz.frontends` — the pytest plugin (``pytest autograder``) and notebook test cells;
  - :mod:`blitz.student` — the student's commands: ``cli``, ``learn`` (the reading), where they stand (``state``, and
    ``standing``: results kept by content, the rest run through the runner), their
    files (``paths``), what they read (``render``), ``watch``, ``doctor`` (its MNIST findings in
    ``doctor_mnist``, one line each in ``findings``), ``report`` and its figures
    (``plots``, matplotlib);
  - :mod:`blitz.authoring` — solution markers and stubs (``markers``), notebooks, the generated
    files (``generate``), the nbgrader course (``nbgrader``) and its autograde cell check
    (``nbgrader_cells``), the student release (``release``);
  - :mod:`blitz.grading` — grading a class: what a course hands in (``intake``), discovery
    (``discover``), notebooks as modules (``notebook_submission``),
    safe student text (``names``), the per-submission runner, batches (``batch``, its processes
    forked from a preloaded server: ``pool``; ``dask_backend``),
    the course's rules (``policy``: due dates, penalties, adjustments; applied by ``gradebook``),
    the capstone's budget measured at the start (``capstone_budget``; shared by a pool's processes:
    ``budget_share``), reports and ``exports``,
    the class report (``class_report``, its figures ``class_figures``), near-identical submissions
    (``similar``), the Gradescope autograder zip (``gradescope``) and what its run_autograder runs
    (``gradescope_run``), all in the sandboxed placement of :mod:`blitz.execution`;
    :mod:`blitz.grading.notebook` is `blitz course-autograde` (nbgrader with every kernel in that
    sandbox, scored by the kit's checks; what a kernel sends bounded in nbgrader's process: ``bounded``).
- :mod:`blitz.cli` — the ``blitz`` command, which gathers the front ends' subcommands.
"""

__version__ = "0.1.0"
