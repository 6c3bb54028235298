"""IV-like regression for outcome-invariant data augmentation, and the k-class family it belongs to.

Akbar, Kilbertus, Shen, Muandet, Dai, *An analysis of causal effect estimation using outcome invariant data
augmentation*, NeurIPS 2025, arXiv 2510.25128.

- :class:`IVLRegression`: IV regression regularised by the least-squares risk (k-class with kappa = 1/(1+alpha)).
- :class:`DAIVLRegression` with :class:`NullSpaceTranslation`: DA+IVL on augmented data (DA+ERM is OLS on GX).
- :class:`IVLRegressionCV`: the paper's alpha selectors (holdout on un-augmented X, level CV) and K-fold CV.
- :class:`KClassRegression`: OLS, 2SLS, LIML, Fuller and any kappa, from the same solver.
"""

from ._augment import DAIVLRegression, NullSpaceTranslation
from ._cv import IVLRegressionCV, binarize_instruments
from ._estimators import IVLRegression, KClassRegression

__all__ = [
    "DAIVLRegression",
    "IVLRegression",
    "IVLRegressionCV",
    "KClassRegression",
    "NullSpaceTranslation",
    "binarize_instruments",
]
