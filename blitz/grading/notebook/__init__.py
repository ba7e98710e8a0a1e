"""`blitz course-autograde`: nbgrader's autograding with every kernel in a sandbox, scored by the kit.

- :mod:`.kernel` — the trusted launcher nbgrader starts for each kernel (the ``blitz-sandbox``
  kernelspec): it copies the notebook's folder, makes the kernel's socket folder, and runs the kernel
  in a :class:`blitz.execution.sandbox.process.Sandbox`; :mod:`.inside` is the kernel's first step in it.
- :mod:`.extract` — a notebook's code cells as one exercise module (cell by cell, as a kernel runs them).
- :mod:`.kitscore` — that module graded by the sandboxed `blitz grade` machinery on the notebook's
  seeds; the scores written into nbgrader's gradebook and the test cells' outputs.
- :mod:`.repair` — students whose kernel died: the cell that killed it found and disarmed.
- :mod:`.autograde` — the command.
"""
