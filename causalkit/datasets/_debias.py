"""Simulators for causalkit.debias: shrunken ML predictions used as outcomes, with known effects.

Every simulator returns a :class:`sklearn.utils.Bunch` with the downstream trial (``predictions``,
``treatment``, the hidden true outcomes ``targets``), a held-out calibration set (``calibration_predictions``,
``calibration_targets``), unlabeled map predictions (``unlabeled_predictions``) and the true ``ate``.
Predictions satisfy surrogacy: given the truth, they do not depend on the treatment.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.utils import Bunch

from .._base.validation import check_scalar_in_range
from ..graphs._generators import _check_seed
from ._checks import check_output_size

__all__ = ["make_confounded_trial", "make_linear_shrinkage", "make_nonlinear_shrinkage"]


def _check_sizes(minimum: int | dict[str, int] = 0, **sizes) -> None:
    """Sample sizes must be integers >= ``minimum`` (a clear error naming the argument)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer; got {type(value).__name__}.")
        low = minimum.get(name, 0) if isinstance(minimum, dict) else minimum
        if value < low:
            raise ValueError(f"{name} must be >= {low}; got {value}.")


def make_linear_shrinkage(
    n_trial: int = 5000,
    n_calibration: int = 2000,
    *,
    ate: float = 1.0,
    slope: float = 0.6,
    intercept: float = 0.2,
    noise: float = 0.55,
    n_unlabeled: int = 0,
    random_state=None,
) -> Bunch:
    """Classical linear shrinkage: ``pred = intercept + slope * y + N(0, noise^2)``.

    The truth is ``y = 1 + ate * A + N(0, 1)`` with ``A ~ Bernoulli(0.5)``; calibration and map units are
    further draws of the same population (the trial and the calibration set share one population). The naive
    difference in means of the predictions estimates ``slope * ate``. With ``slope=0.6`` and ``noise=0.55`` the predictions
    are also calibrated (slope of truth on prediction about 1), so Tweedie's correction applies as well.

    Parameters
    ----------
    n_trial, n_calibration, n_unlabeled : int
        Sizes of the downstream trial, the labelled calibration set and the unlabeled map.
    ate, slope, intercept, noise : float
        The true effect and the error model.
    random_state : int, Generator or None

    Returns
    -------
    Bunch
        ``predictions``, ``treatment``, ``targets``, ``calibration_predictions``, ``calibration_targets``,
        ``unlabeled_predictions``, ``ate``, ``slope``.

    Examples
    --------
    >>> d = make_linear_shrinkage(2000, 500, random_state=0)
    >>> naive = d.predictions[d.treatment == 1].mean() - d.predictions[d.treatment == 0].mean()
    >>> bool(abs(naive - 0.6) < 0.1)
    True
    """
    _check_sizes(n_trial=n_trial, n_calibration=n_calibration, n_unlabeled=n_unlabeled)
    check_scalar_in_range(ate, "ate")
    check_scalar_in_range(slope, "slope")
    check_scalar_in_range(intercept, "intercept")
    check_scalar_in_range(noise, "noise", low=0)
    check_output_size(
        3 * (n_trial + n_calibration + n_unlabeled), "n_trial, n_calibration and n_unlabeled"
    )
    rng = _check_seed(random_state)

    def draw(n):
        a = rng.binomial(1, 0.5, n).astype(float)
        y = 1.0 + ate * a + rng.normal(size=n)
        pred = intercept + slope * y + rng.normal(scale=noise, size=n)
        return a, y, pred

    a, y, pred = draw(n_trial)
    _, yc, pc = draw(n_calibration)
    _, _, pu = draw(n_unlabeled)
    return Bunch(
        predictions=pred,
        treatment=a,
        targets=y,
        calibration_predictions=pc,
        calibration_targets=yc,
        unlabeled_predictions=pu,
        ate=float(ate),
        slope=float(slope),
    )


# Mixture for the nonlinear (tail) shrinkage design: weights, means and SDs of the truth.
_MIX_W = np.array([0.8, 0.2])
_MIX_MU = np.array([5.0, 13.0])
_MIX_SD = np.array([2.0, 4.5])
_EFFECTS = np.array([2.2, 1.2])


def _mixture_score(z: np.ndarray, w, mu, var) -> np.ndarray:
    z = np.asarray(z, dtype=float)[:, None]
    logc = np.log(w) - 0.5 * np.log(2 * np.pi * var) - 0.5 * (z - mu) ** 2 / var
    resp = np.exp(logc - logsumexp(logc, axis=1, keepdims=True))
    return np.sum(resp * (-(z - mu) / var), axis=1)


def make_nonlinear_shrinkage(
    n_trial: int = 10000,
    n_calibration: int = 2000,
    *,
    noise: float = 1.5,
    n_unlabeled: int = 0,
    random_state=None,
) -> Bunch:
    """Exact Berkson predictions with nonlinear (tail) shrinkage; the true ATE is 2.

    Untreated truth ``Y(0) ~ 0.8 N(5, 2^2) + 0.2 N(13, 4.5^2)``; treatment ``A ~ Bernoulli(0.5)`` adds 2.2 in
    the first component and 1.2 in the second (ATE = 0.8 * 2.2 + 0.2 * 1.2 = 2). Predictions are drawn from
    their exact posterior given the truth under the population (calibration) model ``Y = pred + N(0, noise^2)``,
    so the prediction density is the same mixture with each component variance reduced by ``noise^2``, and
    its score is known in closed form (``oracle_score``). The calibration set and the map are population
    (untreated) draws. Linear calibration under-corrects here; Tweedie's correction does not.

    Parameters
    ----------
    n_trial, n_calibration, n_unlabeled : int
    noise : float
        Berkson noise SD (must be below 2, the smallest component SD).
    random_state : int, Generator or None

    Returns
    -------
    Bunch
        As :func:`make_linear_shrinkage`, plus ``oracle_score`` (callable: the exact score of the prediction
        density) and ``noise``.

    Examples
    --------
    >>> d = make_nonlinear_shrinkage(4000, 1000, random_state=0)
    >>> naive = d.predictions[d.treatment == 1].mean() - d.predictions[d.treatment == 0].mean()
    >>> bool(naive < 0.8 * d.ate)
    True
    """
    _check_sizes(n_trial=n_trial, n_calibration=n_calibration, n_unlabeled=n_unlabeled)
    check_scalar_in_range(noise, "noise")
    if not 0 < noise < _MIX_SD.min():
        raise ValueError(f"noise must be in (0, {_MIX_SD.min()}); got {noise}.")
    check_output_size(
        3 * (n_trial + n_calibration + n_unlabeled), "n_trial, n_calibration and n_unlabeled"
    )
    rng = _check_seed(random_state)
    s2 = noise**2
    var_y = _MIX_SD**2
    var_p = var_y - s2

    def truth(n, a):
        comp = rng.choice(2, size=n, p=_MIX_W)
        return _MIX_MU[comp] + _EFFECTS[comp] * a + _MIX_SD[comp] * rng.normal(size=n)

    def predict(y):
        # Posterior of pred given y under the population model (surrogacy: same for every arm).
        logc = np.log(_MIX_W) - 0.5 * np.log(var_y) - 0.5 * (y[:, None] - _MIX_MU) ** 2 / var_y
        resp = np.exp(logc - logsumexp(logc, axis=1, keepdims=True))
        comp = (rng.random(y.shape[0])[:, None] > np.cumsum(resp, axis=1)).sum(axis=1)
        mean = _MIX_MU[comp] + var_p[comp] / var_y[comp] * (y - _MIX_MU[comp])
        sd = np.sqrt(var_p[comp] * s2 / var_y[comp])
        return mean + sd * rng.normal(size=y.shape[0])

    a = rng.binomial(1, 0.5, n_trial).astype(float)
    y = truth(n_trial, a)
    pred = predict(y)
    yc = truth(n_calibration, 0.0)
    pc = predict(yc)
    pu = predict(truth(n_unlabeled, 0.0)) if n_unlabeled else np.empty(0)
    ate = float(np.sum(_MIX_W * _EFFECTS))

    def oracle_score(z):
        return _mixture_score(z, _MIX_W, _MIX_MU, var_p)

    return Bunch(
        predictions=pred,
        treatment=a,
        targets=y,
        calibration_predictions=pc,
        calibration_targets=yc,
        unlabeled_predictions=pu,
        ate=ate,
        noise=float(noise),
        oracle_score=oracle_score,
    )


def make_confounded_trial(
    n_trial: int = 10000,
    n_calibration: int = 2000,
    *,
    ate: float = 1.0,
    n_train: int = 8000,
    feature_noise: float = 1.5,
    n_unlabeled: int = 0,
    random_state=None,
) -> Bunch:
    """A confounded trial with an upstream regression model (the paper-style simulation).

    ``C ~ N(0, 1)``; ``A ~ Bernoulli(sigmoid(C))``; ``Y = ate * A + C + N(0, 1)``; the upstream feature is
    ``X = Y + N(0, feature_noise^2)`` and the published prediction is an OLS fit of ``Y`` on ``X`` from
    ``n_train`` separate training units. Calibration and map units come from the same population. The
    difference in means is confounded; IPW with ``propensity`` (the true one) or ``covariates`` (``C``) is
    needed, and on predictions it is attenuated by about one half.

    Returns
    -------
    Bunch
        As :func:`make_linear_shrinkage`, plus ``covariates`` (shape (n_trial, 1)) and ``propensity``.

    Examples
    --------
    >>> d = make_confounded_trial(3000, 1000, random_state=0)
    >>> d.covariates.shape
    (3000, 1)
    """
    _check_sizes(
        {"n_train": 2},
        n_trial=n_trial,
        n_calibration=n_calibration,
        n_train=n_train,
        n_unlabeled=n_unlabeled,
    )
    check_scalar_in_range(ate, "ate")
    check_scalar_in_range(feature_noise, "feature_noise", low=0)
    check_output_size(
        4 * (n_trial + n_calibration + n_train + n_unlabeled),
        "n_trial, n_calibration, n_train and n_unlabeled",
    )
    rng = _check_seed(random_state)

    def draw(n):
        c = rng.normal(size=n)
        e = expit(c)
        a = rng.binomial(1, e).astype(float)
        y = ate * a + c + rng.normal(size=n)
        x = y + rng.normal(scale=feature_noise, size=n)
        return c, e, a, y, x

    _, _, _, ytr, xtr = draw(n_train)
    b = np.polyfit(xtr, ytr, 1)
    c, e, a, y, x = draw(n_trial)
    _, _, _, yc, xc = draw(n_calibration)
    _, _, _, _, xu = draw(n_unlabeled)
    return Bunch(
        predictions=np.polyval(b, x),
        treatment=a,
        targets=y,
        covariates=c[:, None],
        propensity=e,
        calibration_predictions=np.polyval(b, xc),
        calibration_targets=yc,
        unlabeled_predictions=np.polyval(b, xu),
        ate=float(ate),
    )
