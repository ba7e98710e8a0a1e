"""Checks for exercises/tensors.py: Tensors: creation, attributes, indexing, joining, products / 张量：创建、属性、索引、拼接与乘法.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/tensors/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("tensors"), ids=lambda c: c.name)
def test_tensors(check, submission, ctx):
    run_as_test(check, submission, ctx)
