"""The solvers family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

:class:`~causalkit.solvers.LipschitzEstimator` is the family's one estimator. It takes scikit-learn's
``fit(X, y=None)`` form, ``X`` being the network to certify (a list of weight matrices, ``Residual`` blocks, an
``Implicit`` layer or a torch model), and it has no ``inference_``: a certified bound is not an estimate, so it is
in ``NO_INFERENCE`` and keeps its certificate in ``result_``. The other public names are functions, data classes
and torch modules, not estimators. The SDP cases run only where cvxpy is installed (extra ``[sdp]``); the naive
case needs no solver.
"""

from __future__ import annotations

import importlib.util

import numpy as np


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each solvers estimator, each fitting in well under a second."""
    from causalkit.solvers import Implicit, LipschitzEstimator, Residual

    weights = [np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])]
    cases: list[tuple[object, tuple, dict, str]] = [
        (LipschitzEstimator(method="naive"), (weights,), {}, "predictive"),
        (LipschitzEstimator("tanh", method="naive", norm="inf"), (weights, None), {}, "predictive"),
    ]
    if importlib.util.find_spec("cvxpy") is not None:
        rng = np.random.default_rng(0)
        W, V = 0.5 * rng.normal(size=(3, 3)), 0.5 * rng.normal(size=(3, 3))
        cases += [
            (LipschitzEstimator(method="layer"), (weights,), {}, "predictive"),
            (LipschitzEstimator(method="eclipse_fast"), (weights,), {}, "predictive"),
            (
                LipschitzEstimator("maxmin", output_index=0),
                ([np.eye(2), np.eye(2)],),
                {},
                "predictive",
            ),
            (LipschitzEstimator([("slope", 0.0, 1.0)]), ([Residual(W, V)],), {}, "predictive"),
            (
                LipschitzEstimator(method="layer"),
                (Implicit(0.1 * np.eye(3), np.eye(3), np.ones((1, 3))),),
                {},
                "predictive",
            ),
        ]
    return cases
