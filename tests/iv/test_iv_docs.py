"""The numpydoc Examples of the IV family run and give the printed results."""

from __future__ import annotations

import doctest

import pytest

import causalkit.datasets._iv as datasets_iv
import causalkit.iv._augment as augment
import causalkit.iv._cv as cv
import causalkit.iv._estimators as estimators


@pytest.mark.parametrize("module", [estimators, augment, cv, datasets_iv], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
