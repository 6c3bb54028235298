"""Checks every causalkit estimator must pass (used by the test suite; public for users' own estimators)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import clone

__all__ = ["check_sklearn_contract"]


def _fitted_attrs(est) -> dict[str, Any]:
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


def check_sklearn_contract(
    estimator: Any, fit: Callable[[Any], Any], output: Callable[[Any], Any]
) -> None:
    """Assert the scikit-learn estimator contract on ``estimator``.

    Parameters
    ----------
    estimator : unfitted estimator
    fit : callable
        ``fit(est)`` fits ``est`` on fixed data (with a fixed ``random_state`` when the estimator has one).
    output : callable
        ``output(fitted_est)`` returns an array (or float) that must be identical after pickling and for a
        clone fitted on the same data.

    Checks: ``__init__`` stores parameters only (``get_params`` round-trips, no fitted attribute before
    ``fit``); ``clone`` gives an unfitted copy with equal parameters; ``set_params`` returns self;
    a fitted estimator survives pickling with identical output; refitting a clone reproduces the output.
    """
    params = estimator.get_params(deep=False)
    assert not _fitted_attrs(estimator), (
        f"fitted attributes exist before fit: {list(_fitted_attrs(estimator))}"
    )
    twin = clone(estimator)
    assert twin.get_params(deep=False).keys() == params.keys()
    assert estimator.set_params(**params) is estimator
    fitted = fit(estimator)
    fitted = estimator if fitted is None else fitted
    assert fitted is estimator, "fit must return self"
    out = np.asarray(output(estimator))
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(np.asarray(output(restored)), out)
    fresh = clone(estimator)
    assert not _fitted_attrs(fresh), "clone of a fitted estimator must be unfitted"
    fit(fresh)
    np.testing.assert_allclose(np.asarray(output(fresh)), out, rtol=1e-12, atol=1e-12)
