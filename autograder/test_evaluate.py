"""Checks for exercises/evaluate.py: Evaluation: predicted classes and test accuracy / 评估：预测类别与测试集准确率.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/evaluate/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("evaluate"), ids=lambda c: c.name)
def test_evaluate(check, submission, ctx):
    run_as_test(check, submission, ctx)
