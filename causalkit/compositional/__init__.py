"""Compositional partial correlations (Erb 2020) with basis shrinkage (Jin, Notredame & Erb 2023).

Public names: :class:`CompositionalPartialCorrelation` and :func:`partial_correlation`; the log-ratio
transformers :class:`Closure`, :class:`CLR`, :class:`ALR`, :class:`ILR` and their functional forms; the
corpcor-style :func:`cov_shrink`; the closure-null reference :func:`closure_null_partial_correlation`;
:func:`variation_matrix` and :func:`partial_correlation_from_covariance`.

``CompositionalPartialCorrelation`` bootstraps in ``fit`` (``n_bootstrap``) and reports through ``inference_``,
``summary(*, alpha=0.05)`` and ``conf_int(*, alpha=0.05)``. The names are imported from their submodules on first
use (:func:`causalkit._base.lazy.lazy_exports`), so ``import causalkit.compositional`` (and the CLI) stays light.
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "ALR": "._transforms",
    "CLR": "._transforms",
    "Closure": "._transforms",
    "CompositionalPartialCorrelation": "._estimator",
    "ILR": "._transforms",
    "alr": "._transforms",
    "check_composition": "._transforms",
    "closure": "._transforms",
    "closure_null_partial_correlation": "._core",
    "clr": "._transforms",
    "cov_shrink": "._core",
    "helmert_basis": "._transforms",
    "ilr": "._transforms",
    "partial_correlation": "._estimator",
    "partial_correlation_from_covariance": "._core",
    "variation_matrix": "._core",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
