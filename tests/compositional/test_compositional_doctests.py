"""The numpydoc Examples of the compositional modules run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "causalkit.compositional._transforms",
    "causalkit.compositional._core",
    "causalkit.compositional._estimator",
    "causalkit.datasets._compositional",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
