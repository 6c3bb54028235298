"""IV-like regression for outcome-invariant data augmentation, and the k-class family it belongs to.

Akbar, Kilbertus, Shen, Muandet, Dai, *An analysis of causal effect estimation using outcome invariant data
augmentation*, NeurIPS 2025, arXiv 2510.25128.

- :class:`IVLRegression`: IV regression regularised by the least-squares risk (k-class with
  kappa = 1/(1+ivl_alpha)).
- :class:`DAIVLRegression` with :class:`NullSpaceTranslation`: DA+IVL on augmented data (DA+ERM is OLS on GX).
- :class:`IVLRegressionCV`: the paper's ivl_alpha selectors (holdout on un-augmented X, level CV) and K-fold CV.
- :class:`KClassRegression`: OLS, 2SLS, LIML, Fuller and any kappa, from the same solver.
- Weak instruments: ``first_stage_`` (partial F with the controls partialled out, Sanderson-Windmeijer F), a
  :class:`~causalkit.exceptions.WeakInstrumentWarning` below partial F 10, and weak-IV-robust inference on the
  k-class and IVL estimators: ``confidence_set(variable, test="AR")`` (a :class:`ConfidenceSet`) and
  ``weak_iv_tests()`` (Anderson-Rubin, LIML J, Anderson rank).

Every estimator is predictive (``fit(X, y, *, instruments=..., ...)``) and reports its inference through
``inference_``, ``summary(*, alpha=0.05)`` and ``conf_int(*, alpha=0.05)``, where ``alpha`` is one minus the
confidence level. The names are imported from their submodules on first use
(:func:`causalkit._base.lazy.lazy_exports`), so ``import causalkit.iv`` (and the CLI) stays light.
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "ConfidenceSet": "._weak",
    "DAIVLRegression": "._augment",
    "IVLRegression": "._estimators",
    "IVLRegressionCV": "._cv",
    "KClassRegression": "._estimators",
    "NullSpaceTranslation": "._augment",
    "binarize_instruments": "._cv",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
