"""Authoring the course from the solutions: solution markers and stubs (``markers``), notebooks
(``notebooks``), every generated file (``generate``), the nbgrader course (``nbgrader``).
"""
