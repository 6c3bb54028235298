"""The debias family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

- :class:`DebiasedATE` is an effect estimator, ``fit(predictions, treatment, *, calibration=..., ...)``, with
  ``inference_`` terms ``["ATE", "naive"]`` (analytic or joint-bootstrap intervals) and a constant ``effect()``.
- :class:`LinearCalibrationDebiaser` and :class:`TweedieDebiaser` are transformers, ``fit(X, y, *, ...)`` on
  calibration pairs; LCC reports the calibration line (``["intercept", "slope"]``), Tweedie has no inference of
  its own (``NO_INFERENCE``: DebiasedATE reports it).
"""

from __future__ import annotations

import numpy as np


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each debias estimator, each fitting in well under a second."""
    from causalkit.datasets import make_linear_shrinkage, make_nonlinear_shrinkage
    from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser, TweedieDebiaser

    lin = make_linear_shrinkage(400, 300, random_state=0)
    nl = make_nonlinear_shrinkage(400, 300, n_unlabeled=300, random_state=0)
    lin_cal = {"calibration": (lin.calibration_predictions, lin.calibration_targets)}
    nl_cal = {"calibration": (nl.calibration_predictions, nl.calibration_targets)}
    covariates = np.random.default_rng(0).normal(size=(400, 2))
    groups = np.arange(400) % 40
    return [
        (
            DebiasedATE(LinearCalibrationDebiaser(), inference="analytic"),
            (lin.predictions, lin.treatment),
            lin_cal,
            "effect",
        ),
        (
            DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=30, random_state=0),
            (lin.predictions, lin.treatment),
            {**lin_cal, "groups": groups},
            "effect",
        ),
        (
            DebiasedATE(TweedieDebiaser(), method="regression", inference="analytic"),
            (nl.predictions, nl.treatment),
            {**nl_cal, "covariates": covariates, "unlabeled_predictions": nl.unlabeled_predictions},
            "effect",
        ),
        (
            DebiasedATE(TweedieDebiaser(), method="ipw", n_bootstrap=20, random_state=0),
            (nl.predictions, nl.treatment),
            {**nl_cal, "propensity": np.full(400, 0.5)},
            "effect",
        ),
        (
            LinearCalibrationDebiaser(),
            (lin.calibration_predictions, lin.calibration_targets),
            {},
            "transformer",
        ),
        (
            TweedieDebiaser(bandwidth_adjust=0.5),
            (nl.calibration_predictions, nl.calibration_targets),
            {"unlabeled_predictions": nl.unlabeled_predictions},
            "transformer",
        ),
    ]
