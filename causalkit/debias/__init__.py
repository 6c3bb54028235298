"""Debiasing shrunken ML predictions used as outcomes of causal analyses.

Pettersson, Jerzak & Daoud, "Debiasing machine learning predictions for causal inference without additional
ground truth data: one map, many trials", AAAI 2026 (arXiv 2508.01341).

- :class:`LinearCalibrationDebiaser` (LCC) and :class:`TweedieDebiaser`: transformers fitted once on held-out
  calibration pairs (prediction, truth), reusable by any downstream study without new labels.
- :class:`DebiasedATE`: naive and corrected ATE side by side, with CIs that include the calibration
  uncertainty (joint bootstrap or delta method).
- :func:`compare_debiasers`: held-out comparison on the calibration set.
- :func:`kde_score`: fast binned/FFT score of a 1-D Gaussian KDE (with an exact fallback).

The names are imported from their submodules on first use (:func:`causalkit._base.lazy.lazy_exports`), so
``import causalkit.debias`` (and the CLI) stays light.
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "DebiasedATE": "._ate",
    "LinearCalibrationDebiaser": "._debiasers",
    "TweedieDebiaser": "._debiasers",
    "bandwidth_rule": "._kde",
    "compare_debiasers": "._ate",
    "kde_score": "._kde",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
