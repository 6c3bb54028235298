"""The rep4ex family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

Both estimators are effect estimators in the EconML order: ``Rep4Ex.fit(Y, A, *, X)`` and
``ControlFunctionExtrapolator.fit(Y, A, *, Z)`` (outcome, action, then the observation or representation as a
keyword). Neither reports intervals yet (both are in ``NO_INFERENCE``; see #17).
"""

from __future__ import annotations

import numpy as np


def _data(n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.uniform(-1, 1, size=(n, 1))
    V = rng.normal(scale=0.5, size=(n, 1))
    Z = 2 * A + V
    X = np.hstack([Z, np.tanh(Z), Z**3 / 10])
    Y = 2 * np.sin(Z[:, 0]) + V[:, 0] + 0.1 * rng.normal(size=n)
    return Y, A, X, Z


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each rep4ex estimator, each fitting in well under a second."""
    from causalkit.rep4ex import ControlFunctionExtrapolator, Rep4Ex

    Y, A, X, Z = _data()
    cases: list[tuple[object, tuple, dict, str]] = [
        (ControlFunctionExtrapolator(n_knots=4), (Y, A), {"Z": Z}, "effect"),
        (
            ControlFunctionExtrapolator(n_knots=4, ridge_alpha=1.0),
            (Y, A[:, 0]),
            {"Z": Z[:, 0]},
            "effect",
        ),
    ]
    try:
        import torch  # noqa: F401
    except ImportError:  # core-only install: Rep4Ex needs the torch extra
        return cases
    cases.append(
        (Rep4Ex(hidden=(4,), max_epochs=1, n_knots=4, random_state=0), (Y, A), {"X": X}, "effect")
    )
    return cases
