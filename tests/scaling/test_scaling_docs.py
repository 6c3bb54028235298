"""The Examples sections of the scaling modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

pytest.importorskip("dask.array")

MODULES = [
    "causalkit._base._dask",
    "causalkit._base._bootstrap",
    "causalkit.datasets._scaling",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
