"""One results vocabulary for every causalkit estimator.

Every estimator that reports uncertainty sets ``inference_`` (an :class:`~causalkit._base.EffectResult`) in
``fit`` and inherits the same three accessors from :class:`InferenceMixin`:

- ``summary(*, alpha=0.05)``: a printable/HTML :class:`~causalkit._base.Summary`;
- ``conf_int(*, alpha=0.05)``: a DataFrame with columns ``lower`` and ``upper``, indexed by term;
- ``inference_``: the :class:`EffectResult` itself (estimates, standard errors, p-values, replicates).

Effect estimators (``fit(Y, T, *, X=None, W=None, ...)``) also inherit :class:`EffectMixin`: ``ate()`` (a float)
and ``ate_interval(*, alpha=0.05)`` (a ``(lower, upper)`` tuple), read from the ``inference_`` term named by
``_ate_term`` (default: the first term). ``effect(X=None, ...)`` is estimator-specific (a constant-effect model
returns the ATE for every row).

The CI level ``alpha`` is always a keyword of these methods, never a constructor parameter.
"""

from __future__ import annotations

import pandas as pd
from sklearn.exceptions import NotFittedError

from .inference import EffectResult, Summary

__all__ = ["EffectMixin", "InferenceMixin"]


class InferenceMixin:
    """``summary`` and ``conf_int`` read from the fitted ``inference_`` (an :class:`EffectResult`)."""

    def _fitted_inference(self) -> EffectResult:
        result = getattr(self, "inference_", None)
        if result is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call 'fit' before using it."
            )
        return result

    def summary(self, *, alpha: float = 0.05) -> Summary:
        """Estimates, standard errors, p-values and ``1 - alpha`` intervals as a printable summary."""
        return self._fitted_inference().summary(alpha=alpha)

    def conf_int(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """Two-sided ``1 - alpha`` confidence intervals: DataFrame ``[lower, upper]`` indexed by term."""
        return self._fitted_inference().conf_int(alpha=alpha)


class EffectMixin(InferenceMixin):
    """``ate()`` and ``ate_interval()`` on top of :class:`InferenceMixin`, for effect estimators."""

    #: name of the ``inference_`` term that is the average treatment effect (None: the first term)
    _ate_term: str | None = None

    def _ate_position(self) -> int:
        result = self._fitted_inference()
        if self._ate_term is None:
            return 0
        return list(result.names).index(self._ate_term)

    def ate(self) -> float:
        """The average treatment effect (the point estimate of the ATE term of ``inference_``)."""
        result = self._fitted_inference()
        return float(result.summary_frame().iloc[self._ate_position()]["estimate"])

    def ate_interval(self, *, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` confidence interval ``(lower, upper)`` for the ATE."""
        row = self.conf_int(alpha=alpha).iloc[self._ate_position()]
        return float(row["lower"]), float(row["upper"])
