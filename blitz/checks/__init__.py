"""The checks, one module per exercise (blitz/checks/<id>.py), and how to run them."""

from blitz.checks.base import Check, CheckFailure, CheckResult, Context, all_checks, checks_for, get_check, run_check

__all__ = ["Check", "CheckFailure", "CheckResult", "Context", "all_checks", "checks_for", "get_check", "run_check"]
