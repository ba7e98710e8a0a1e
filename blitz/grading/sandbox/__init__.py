"""Running code the grader does not trust (see SECURITY.md): the worker that serves probes
(``worker``), the submission that talks to it (``isolated``), the sandboxed process it runs in
(``process``), built of a bubblewrap command line (``bwrap``), a cgroup of its own (``cgroups``),
its output drained from a pipe with a cap (``drain``), and what every worker must see (``view``).
"""
