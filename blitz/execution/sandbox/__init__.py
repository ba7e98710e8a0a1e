"""The sandboxed placement: running code the grader does not trust (see SECURITY.md): one sandbox per submission
(``session``), the warm worker in it that forks a fresh child per exercise to serve its probes
(``worker``), the exercise's submission that talks to its child (``isolated``), the sandboxed process it runs in
(``process``), built of a bubblewrap command line (``bwrap``), a cgroup of its own (``cgroups``),
and what every worker must see (``view``); its output is kept by :class:`blitz.execution.output.Drain`.
"""
