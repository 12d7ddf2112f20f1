"""The examples in the public API's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

PUBLIC = (
    "lifecycle_metrics",
    "lifecycle_metrics.periods",
    "lifecycle_metrics.metrics.checks",
    "lifecycle_metrics.metrics.families.cohorts",
)


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
