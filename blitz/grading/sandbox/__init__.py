"""Running code the grader does not trust: the worker that serves probes (``worker``), the sandboxed
process it runs in (``process``), and the submission that talks to it (``isolated``).
"""
