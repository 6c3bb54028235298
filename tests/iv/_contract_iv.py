"""The IV family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

Every estimator here is predictive (scikit-learn's ``fit(X, y, *, ...)``; the data arguments after ``y`` are
keyword-only) and reports its inference through ``inference_`` / ``summary(*, alpha)`` / ``conf_int(*, alpha)``
with terms ``["intercept", x0, x1, ...]``. ``NullSpaceTranslation`` is an augmenter (a callable), not an estimator,
so it has no case.
"""

from __future__ import annotations

import numpy as np


def _data(n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 3))
    u = rng.normal(size=n)
    X = Z[:, :2] @ np.array([[1.0, 0.3], [0.2, 1.0]]) + u[:, None] + rng.normal(size=(n, 2))
    y = X @ np.array([1.0, -0.5]) + u + rng.normal(size=n)
    return X, y, Z


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each IV estimator, each fitting in well under a second."""
    from causalkit.iv import (
        DAIVLRegression,
        IVLRegression,
        IVLRegressionCV,
        KClassRegression,
        NullSpaceTranslation,
    )

    X, y, Z = _data()
    groups = np.arange(len(y)) % 24
    return [
        (IVLRegression(0.5), (X, y), {"instruments": Z}, "predictive"),
        (IVLRegression(0.5), (X, y), {"instruments": Z, "groups": groups}, "predictive"),
        (KClassRegression("liml"), (X, y), {"instruments": Z}, "predictive"),
        (
            IVLRegressionCV([0.1, 1.0], cv=3, random_state=0),
            (X, y),
            {"instruments": Z, "X_score": X},
            "predictive",
        ),
        (
            DAIVLRegression(
                NullSpaceTranslation(np.array([[1.0, 2.0]])), n_augmentations=2, random_state=0
            ),
            (X, y),
            {},
            "predictive",
        ),
    ]
