"""The delta-method standard error of the corrected contrast: one formula for the in-memory and the dask path.

:class:`~causalkit.debias.DebiasedATE` (``inference="analytic"``) and its chunk-wise dask path
(:func:`causalkit.debias._dask.analytic_ate`) compute the variances of the contrasts their own way (statsmodels
HC1 in memory, per-arm sums on dask) and pass them here; the calibration uncertainty is added the same way:

- LCC: ``Var(naive)/k^2 + naive^2 Var(k)/k^4`` (as a hypotenuse: no overflow of ``k^4``);
- Tweedie: ``Var(corrected contrast) + (contrast of the score)^2 Var(sigma^2)`` when ``sigma`` is estimated
  (the density is treated as fixed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._debiasers import LinearCalibrationDebiaser, TweedieDebiaser

__all__: list[str] = []


def needs_score_contrast(debiaser: Any) -> bool:
    """Whether :func:`corrected_stderr` needs the contrast of the score (Tweedie with an estimated sigma)."""
    return isinstance(debiaser, TweedieDebiaser) and debiaser.noise_scale is None


def supports_analytic(debiaser: Any) -> bool:
    """Whether the delta method is known for this debiaser (LCC and Tweedie)."""
    return isinstance(debiaser, (LinearCalibrationDebiaser, TweedieDebiaser))


def noise_var_variance(debiaser: TweedieDebiaser, scale: float = 1.0) -> float:
    """Variance of the estimated ``sigma^2`` (ddof=0) of residuals divided by ``scale``."""
    r = (debiaser.calibration_targets_ - debiaser.calibration_predictions_) / scale
    return float(np.var((r - r.mean()) ** 2)) / r.shape[0]


def corrected_stderr(
    debiaser: Any,
    *,
    var_naive: float,
    naive: float,
    var_corrected: float | None = None,
    score_contrast: float | None = None,
    scale: float = 1.0,
) -> float:
    """Delta-method SE of the corrected contrast, in the units of the outcomes divided by ``scale``.

    Parameters
    ----------
    debiaser : LinearCalibrationDebiaser or TweedieDebiaser (fitted)
    var_naive : float
        Variance of the naive contrast (raw predictions; LCC).
    naive : float
        The naive contrast (LCC).
    var_corrected : float
        Variance of the contrast of the corrected predictions, the density held fixed (Tweedie).
    score_contrast : float
        Contrast of the score ``d/dz log p`` times ``scale`` (Tweedie with an estimated sigma).
    scale : float
        The outcomes' unit (the corrected column's for Tweedie), so that squares neither overflow nor underflow.
    """
    if not supports_analytic(debiaser):
        raise ValueError(
            "inference='analytic' supports LinearCalibrationDebiaser and TweedieDebiaser; use "
            f"inference='bootstrap' for {type(debiaser).__name__}."
        )
    if isinstance(debiaser, LinearCalibrationDebiaser):
        k = debiaser.slope_
        return float(np.hypot(np.sqrt(var_naive), naive * (debiaser.slope_stderr_ / k)) / k)
    if var_corrected is None:
        raise ValueError("var_corrected is needed for the delta-method SE of a TweedieDebiaser.")
    var = var_corrected
    if needs_score_contrast(debiaser):
        if score_contrast is None:
            raise ValueError("score_contrast is needed when the TweedieDebiaser estimated its noise scale.")
        var += score_contrast**2 * noise_var_variance(debiaser, scale)
    return float(np.sqrt(var))
