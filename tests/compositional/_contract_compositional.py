"""The compositional family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

``CompositionalPartialCorrelation`` is predictive-style (scikit-learn's ``fit(X, y=None)``) and reports the
row bootstrap drawn in ``fit`` through ``inference_`` / ``summary(*, alpha)`` / ``conf_int(*, alpha)``, one term
per pair ``"part_i~part_j"``. The log-ratio transformers (``Closure``, ``CLR``, ``ALR``, ``ILR``) are
deterministic (listed in ``NO_INFERENCE``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _composition(n: int = 60, D: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.exp(rng.normal(size=(n, D)) + np.linspace(0.0, 1.0, D))
    return pd.DataFrame(X / X.sum(axis=1, keepdims=True), columns=[f"p{j}" for j in range(D)])


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each compositional estimator, each well under a second."""
    from causalkit.compositional import ALR, CLR, ILR, Closure, CompositionalPartialCorrelation

    X = _composition()
    return [
        (CompositionalPartialCorrelation(n_bootstrap=30, random_state=0), (X,), {}, "predictive"),
        (
            CompositionalPartialCorrelation("basis", n_bootstrap=30, random_state=0),
            (X.to_numpy(),),
            {},
            "predictive",
        ),
        (Closure(total=100.0), (X,), {}, "transformer"),
        (CLR(), (X,), {}, "transformer"),
        (ALR(reference=0), (X,), {}, "transformer"),
        (ILR(), (X.to_numpy(),), {}, "transformer"),
    ]
