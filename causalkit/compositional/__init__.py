"""Compositional partial correlations (Erb 2020) with basis shrinkage (Jin, Notredame & Erb 2023).

Public names: :class:`CompositionalPartialCorrelation` and :func:`partial_correlation`; the log-ratio
transformers :class:`Closure`, :class:`CLR`, :class:`ALR`, :class:`ILR` and their functional forms; the
corpcor-style :func:`cov_shrink`; the closure-null reference :func:`closure_null_partial_correlation`;
:func:`variation_matrix` and :func:`partial_correlation_from_covariance`.
"""

from ._core import (
    closure_null_partial_correlation,
    cov_shrink,
    partial_correlation_from_covariance,
    variation_matrix,
)
from ._estimator import CompositionalPartialCorrelation, partial_correlation
from ._transforms import (
    ALR,
    CLR,
    ILR,
    Closure,
    alr,
    check_composition,
    closure,
    clr,
    helmert_basis,
    ilr,
)

__all__ = [
    "ALR",
    "CLR",
    "ILR",
    "Closure",
    "CompositionalPartialCorrelation",
    "alr",
    "check_composition",
    "closure",
    "closure_null_partial_correlation",
    "clr",
    "cov_shrink",
    "helmert_basis",
    "ilr",
    "partial_correlation",
    "partial_correlation_from_covariance",
    "variation_matrix",
]
