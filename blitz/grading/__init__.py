"""Grading a class: `blitz grade PATH...` grades many submissions without trusting any of them.

- :mod:`blitz.grading.discover` — which folders are submissions, and their student ids.
- :mod:`blitz.execution.files` — a submission's files as the trusted side reads them: lstat, regular
  files only, size caps, no link followed, no FIFO opened; the fingerprint.
- :mod:`blitz.grading.names` — student-derived text made safe for the terminal, CSV and reports.
- :mod:`blitz.grading.runner` — one submission in one sandbox, each exercise in a fresh child of its
  warm worker (:class:`blitz.execution.sandbox.isolated.IsolatedSubmission`); the checks judge in this
  trusted process.
- :mod:`blitz.grading.batch` — many submissions on a local process pool (or on Dask,
  :mod:`blitz.grading.dask_backend`), resumable, results written atomically.
- :mod:`blitz.grading.reports` — Gradescope ``results.json``, ``grades.csv``, JUnit XML, the summary.
- :mod:`blitz.grading.class_report` — the class report (``<out>/class_report/``): pass rate per check,
  scores, time per exercise (CSV and PNG, drawn by :mod:`blitz.grading.class_figures`), the commonest failures.
- :mod:`blitz.grading.notebook` — `blitz course-autograde`: nbgrader's autograde with every kernel in
  the sandbox, the scores from the kit's checks of each notebook's code, written into the gradebook.
- :mod:`blitz.grading.similar` — `blitz similar DIR`: near-identical submissions (copydetect), an HTML report.
- :mod:`blitz.grading.cli` — the command (its progress bar is :class:`blitz.course.progress.SubmissionsProgress`).
"""
