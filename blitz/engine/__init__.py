"""How a check runs: the check framework, comparisons, submissions, student-code loading, the wire
format, the probes' shared helpers and fixtures, and the fast paths. Imports only :mod:`blitz.course`.
"""
