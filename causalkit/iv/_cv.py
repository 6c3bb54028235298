"""Choosing IVL's alpha: the paper's holdout and level cross-validation, and K-fold CV."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import check_scoring
from sklearn.model_selection import ShuffleSplit
from sklearn.preprocessing import KBinsDiscretizer, StandardScaler

from .._base import (
    InferenceMixin,
    check_2d,
    check_consistent_length,
    check_feature_names,
    check_int,
    make_splitter,
)
from . import _solver
from ._estimators import IVLRegression, check_magnitude, validate_X, validate_y

__all__ = ["IVLRegressionCV", "binarize_instruments"]


def binarize_instruments(instruments: Any) -> np.ndarray:
    """The paper's level-CV instruments: each column cut into two equal-width bins, then standardised.

    Examples
    --------
    >>> import numpy as np
    >>> Zb = binarize_instruments(np.array([[0.0], [0.2], [0.9], [1.0]]))
    >>> np.round(Zb.ravel(), 3).tolist()
    [-1.0, -1.0, 1.0, 1.0]
    """
    Z = check_2d(instruments, "instruments", ensure_2d_from_1d=True)
    const = np.flatnonzero(np.ptp(Z, axis=0) == 0)
    if const.size:
        raise ValueError(
            f"instruments column {int(const[0])} is constant: it cannot be cut into two levels. Drop it."
        )
    Zb = KBinsDiscretizer(n_bins=2, encode="ordinal", strategy="uniform").fit_transform(Z)
    return StandardScaler().fit_transform(Zb)


class _Fixed(RegressorMixin, BaseEstimator):
    """A fitted linear predictor for sklearn scorers."""

    def __init__(self, coef=None, *, intercept=0.0):
        self.coef = coef
        self.intercept = intercept

    def fit(self, X, y=None):  # pragma: no cover - never refitted
        return self

    def predict(self, X):
        return np.asarray(X) @ self.coef + self.intercept


def _level_split(Zb: np.ndarray, rng: np.random.RandomState, frac: float = 0.2):
    levels, codes, counts = np.unique(Zb, axis=0, return_inverse=True, return_counts=True)
    codes = codes.ravel()
    n_levels = levels.shape[0]
    if n_levels < 2:
        raise ValueError(
            "cv='level' needs at least two distinct levels of the binarised instruments; got one."
        )
    n_hold = min(max(1, round(frac * n_levels)), n_levels - 1)
    prob = 1.0 / counts
    held = rng.choice(n_levels, size=n_hold, replace=False, p=prob / prob.sum())
    test = np.isin(codes, held)
    return [(np.flatnonzero(~test), np.flatnonzero(test))]


class IVLRegressionCV(InferenceMixin, RegressorMixin, BaseEstimator):
    r"""IVL regression with its ERM weight ``ivl_alpha`` chosen by cross-validation.

    The selectors of Akbar et al. (2025):

    - ``cv="holdout"``: one random 20% holdout; the score (default R^2) predicts held-out y from the
      **un-augmented** X (pass it as ``X_score``), which is the only place un-augmented X is used.
    - ``cv="level"``: the instruments are binarised (:func:`binarize_instruments`); their unique rows are levels;
      about 20% of the levels are held out, rare levels more likely; default score: negative MSE. As in the
      paper, this variant also fits on the binarised instruments (also in the final refit).
    - ``cv=int`` or any scikit-learn splitter: K-fold cross-validation of the same score.

    The paper draws 10 alphas from loguniform(1e-4, 1); the default grid is ``np.logspace(-4, 0, 10)``. All
    values of one split are solved from one QR factorisation of the training data.

    ``alpha`` means only the CI level of ``summary(*, alpha=0.05)`` and ``conf_int(*, alpha=0.05)`` (those of
    the refitted :class:`IVLRegression`); the ERM weights are ``ivl_alphas``.

    Parameters
    ----------
    ivl_alphas : array-like of float, default ``np.logspace(-4, 0, 10)``
        Candidate ERM weights ``ivl_alpha`` of :class:`IVLRegression` (each ``>= 0``, ``np.inf`` allowed).
    cv : int, "holdout", "level" or a scikit-learn splitter, default 5
    scoring : str or callable, optional
        A scikit-learn scorer; default ``"r2"`` (``"neg_mean_squared_error"`` for ``cv="level"``).
    fit_intercept : bool, default True
    cov_type : {"HC1", "HC0", "nonrobust", None}, default "HC1"
        Covariance of the final refit.
    random_state : int, RandomState or None
        Seeds the splits.

    Attributes
    ----------
    ivl_alpha_ : float
        The selected ERM weight.
    best_score_ : float
    cv_results_ : dict of arrays (``param_ivl_alpha``, ``split{i}_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score``)
    best_estimator_ : IVLRegression refitted on all data with ``ivl_alpha_``
    inference_ : EffectResult or None
        That of ``best_estimator_`` (read by ``summary`` and ``conf_int``).
    coef_, intercept_, n_features_in_

    Examples
    --------
    >>> from causalkit.datasets import make_ivl_toy_sem
    >>> from causalkit.iv import IVLRegressionCV
    >>> d = make_ivl_toy_sem(2000, random_state=0)
    >>> cv = IVLRegressionCV(cv="holdout", random_state=0)
    >>> cv = cv.fit(d.X_aug, d.y, instruments=d.G, X_score=d.X)
    >>> bool(1e-4 <= cv.ivl_alpha_ <= 1)
    True
    """

    def __init__(
        self,
        ivl_alphas: Any = None,
        *,
        cv: Any = 5,
        scoring: Any = None,
        fit_intercept: bool = True,
        cov_type: str | None = "HC1",
        random_state: Any = None,
    ):
        self.ivl_alphas = ivl_alphas
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept
        self.cov_type = cov_type
        self.random_state = random_state

    def fit(self, X, y, *, instruments=None, X_score=None) -> IVLRegressionCV:
        """Select ``ivl_alpha`` by cross-validation, then refit on all data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Regressors of the fit (for data augmentation: augmented ``GX``).
        y : array-like of shape (n_samples,)
        instruments : array-like of shape (n_samples, n_instruments), keyword-only
            Required.
        X_score : array-like of shape (n_samples, n_features), optional, keyword-only
            Regressors used to score held-out predictions (for data augmentation: un-augmented X, as in the
            paper). Defaults to ``X``.

        Returns
        -------
        self
        """
        X, names = validate_X(X, "X", type(self).__name__)
        y = validate_y(y, type(self).__name__)
        if instruments is None:
            raise ValueError("instruments are required by IVLRegressionCV.")
        Z = check_2d(instruments, "instruments", ensure_2d_from_1d=True)
        Xs = X if X_score is None else check_2d(X_score, "X_score")
        check_consistent_length(X=X, y=y, instruments=Z, X_score=Xs)
        check_magnitude(X=X, y=y, instruments=Z, X_score=Xs)
        if Xs.shape[1] != X.shape[1]:
            raise ValueError(f"X_score must have {X.shape[1]} columns like X; got {Xs.shape[1]}.")
        if names is not None and isinstance(X_score, pd.DataFrame):
            # X_score is scored with X's coefficients: its columns must be X's, in X's order
            check_feature_names(self._names_holder(names), X_score, argument="X_score")
        # refuse constant/collinear regressors (named) before the search, as the final refit would
        _solver.check_design(_solver.decompose(X, y, Z, bool(self.fit_intercept)), names)
        alphas = np.logspace(-4, 0, 10) if self.ivl_alphas is None else self.ivl_alphas
        try:
            alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"ivl_alphas must be numbers >= 0 (np.inf allowed); got {self.ivl_alphas!r}."
            ) from exc
        if alphas.ndim != 1 or alphas.size == 0:
            raise ValueError(
                f"ivl_alphas must be a non-empty 1-d sequence; got shape {alphas.shape}."
            )
        if not np.all(alphas >= 0) or np.any(np.isnan(alphas)):
            raise ValueError(f"ivl_alphas must be >= 0 (np.inf allowed); got {alphas.tolist()}.")
        rng = _solver.local_random_state(self.random_state)
        cv = self.cv
        scoring = self.scoring
        if isinstance(cv, str) and cv == "level":
            Z = binarize_instruments(Z)
            splits = _level_split(Z, rng)
            scoring = "neg_mean_squared_error" if scoring is None else scoring
        else:
            if isinstance(cv, str) and cv == "holdout":
                splitter = ShuffleSplit(n_splits=1, test_size=0.2, random_state=rng)
            elif isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
                splitter = make_splitter(check_int(cv, "cv", low=2), random_state=rng)
            elif hasattr(cv, "split") and not isinstance(cv, str):
                splitter = cv
            else:
                raise ValueError(
                    f"cv must be an int, 'holdout', 'level' or a scikit-learn splitter; got {cv!r}."
                )
            splits = list(splitter.split(X, y))
            scoring = "r2" if scoring is None else scoring
        small = [len(test) for _, test in splits if len(test) < 2]
        if small:
            raise ValueError(
                f"cv={cv!r} gives test folds with fewer than 2 samples (sizes {small}, n_samples = "
                f"{X.shape[0]}); held-out scores are undefined. Use fewer folds or more samples."
            )
        scorer = check_scoring(_Fixed(), scoring=scoring)
        scores = np.empty((len(splits), alphas.size))
        for s, (train, test) in enumerate(splits):
            dec = _solver.decompose(X[train], y[train], Z[train], bool(self.fit_intercept))
            for j, a in enumerate(alphas):
                coef = _solver.solve_ivl(dec, float(a), warn_underidentified=False)
                fixed = _Fixed(coef, intercept=_solver.intercept_of(dec, coef))
                scores[s, j] = scorer(fixed, Xs[test], y[test])
        mean = scores.mean(axis=0)
        order = np.argsort(-mean, kind="stable")
        rank = np.empty(alphas.size, dtype=int)
        rank[order] = np.arange(1, alphas.size + 1)
        self.cv_results_ = {
            "param_ivl_alpha": alphas.copy(),
            **{f"split{s}_test_score": scores[s] for s in range(len(splits))},
            "mean_test_score": mean,
            "std_test_score": scores.std(axis=0),
            "rank_test_score": rank,
        }
        best = int(order[0])
        self.ivl_alpha_ = float(alphas[best])
        self.best_score_ = float(mean[best])
        self.best_index_ = best
        self.scorer_ = scorer
        self.n_splits_ = len(splits)
        Xfit = X
        if names is not None:
            Xfit = pd.DataFrame(X, columns=list(names))
        self.best_estimator_ = IVLRegression(
            self.ivl_alpha_, fit_intercept=self.fit_intercept, cov_type=self.cov_type
        )._fit_ivl(Xfit, y, Z, None, depth=2)
        self.coef_ = self.best_estimator_.coef_
        self.intercept_ = self.best_estimator_.intercept_
        self.inference_ = self.best_estimator_.inference_
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        return self

    def predict(self, X) -> np.ndarray:
        """Predict with the refitted estimator."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_._predict(X, stacklevel=4)

    @staticmethod
    def _names_holder(names):
        holder = _Fixed()
        holder.feature_names_in_ = names
        return holder

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def _fitted_inference(self):
        # InferenceMixin's hook: that of the refitted estimator (which says why when it has no SEs)
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_._fitted_inference()
