"""Front ends that run checks for a student: the pytest plugin behind `pytest autograder`
(``pytest_plugin``) and the notebook test cells (``notebook``).
"""
