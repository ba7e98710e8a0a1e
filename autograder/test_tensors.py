"""Checks for exercises/tensors.py: Tensors: creation, attributes, indexing, joining, products / 张量：创建、属性、索引、拼接与乘法.

The checks themselves live in blitz/checks/tensors.py, shared with notebooks and `blitz grade`.
"""

import pytest

from blitz.autograde import run_as_test
from blitz.checks import checks_for


@pytest.mark.parametrize("check", checks_for("tensors"), ids=lambda c: c.name)
def test_tensors(check, submission, ctx):
    run_as_test(check, submission, ctx)
