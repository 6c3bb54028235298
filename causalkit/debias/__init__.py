"""Debiasing shrunken ML predictions used as outcomes of causal analyses.

Pettersson, Jerzak & Daoud, "Debiasing machine learning predictions for causal inference without additional
ground truth data: one map, many trials", AAAI 2026 (arXiv 2508.01341).

- :class:`LinearCalibrationDebiaser` (LCC) and :class:`TweedieDebiaser`: transformers fitted once on held-out
  calibration pairs (prediction, truth), reusable by any downstream study without new labels.
- :class:`DebiasedATE`: naive and corrected ATE side by side, with CIs that include the calibration
  uncertainty (joint bootstrap or delta method).
- :func:`compare_debiasers`: held-out comparison on the calibration set.
- :func:`kde_score`: fast binned/FFT score of a 1-D Gaussian KDE (with an exact fallback).
"""

from ._ate import DebiasedATE, compare_debiasers
from ._debiasers import LinearCalibrationDebiaser, TweedieDebiaser
from ._kde import bandwidth_rule, kde_score

__all__ = [
    "DebiasedATE",
    "LinearCalibrationDebiaser",
    "TweedieDebiaser",
    "bandwidth_rule",
    "compare_debiasers",
    "kde_score",
]
