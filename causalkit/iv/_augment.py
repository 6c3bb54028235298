"""Data augmentation as a soft intervention: DA+IVL and an outcome-invariant augmenter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._base import (
    InferenceMixin,
    check_2d,
    check_feature_names,
    check_int,
    check_scalar_in_range,
    pandas_like,
)
from ._estimators import (
    IVLRegression,
    check_magnitude,
    check_n_features,
    validate_X,
    validate_y,
)
from ._solver import local_random_state

__all__ = ["DAIVLRegression", "NullSpaceTranslation"]


class NullSpaceTranslation:
    r"""Outcome-invariant augmentation: random translations inside a user-given subspace.

    ``x -> x + strength * g @ B`` with ``g ~ N(0, I_r)`` and ``B`` (r x p) an orthonormal basis of the rows of
    ``directions``. It is outcome-invariant for a linear causal function ``f`` exactly when ``directions`` lie
    in the null space of ``f`` (the user's knowledge: e.g. "the outcome does not depend on this contrast").
    IVL cannot remove confounding bias in directions that are not perturbed.

    Parameters
    ----------
    directions : array-like of shape (r, n_features)
        Rows spanning the invariant subspace (need not be orthonormal; must have full row rank).
    strength : float, default 1.0
        Scale of the translations (gamma).

    Examples
    --------
    >>> import numpy as np
    >>> aug = NullSpaceTranslation([[0.0, 1.0, 0.0]], strength=2.0)
    >>> GX, G = aug(np.zeros((4, 3)), np.random.RandomState(0))
    >>> GX.shape, G.shape, bool(np.all(GX[:, 0] == 0))
    ((4, 3), (4, 1), True)
    """

    def __init__(self, directions: Any, *, strength: float = 1.0):
        self.directions = directions
        self.strength = strength

    def basis(self) -> np.ndarray:
        """Orthonormal rows spanning ``directions``."""
        D = check_2d(self.directions, "directions", ensure_2d_from_1d=False)
        q, r = np.linalg.qr(D.T)
        diag = np.abs(np.diag(r))
        if diag.size == 0 or diag.min() <= 1e-10 * max(diag.max(), 1e-300):
            raise ValueError(
                f"directions must have full row rank; got a rank-deficient {D.shape} matrix."
            )
        return q.T

    def __call__(self, X: np.ndarray, rng: Any) -> tuple[np.ndarray, np.ndarray]:
        """Augment ``X``; returns ``(GX, G)``."""
        strength = check_scalar_in_range(self.strength, "strength", low=0.0)
        B = self.basis()
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != B.shape[1]:
            raise ValueError(
                f"X must have shape (n, {B.shape[1]}) to match directions; got {X.shape}."
            )
        rng = local_random_state(rng)
        G = rng.standard_normal((X.shape[0], B.shape[0]))
        return X + strength * (G @ B), G

    def __repr__(self) -> str:
        shape = np.shape(self.directions)
        return f"NullSpaceTranslation(directions=<{shape}>, strength={self.strength!r})"


class DAIVLRegression(InferenceMixin, RegressorMixin, BaseEstimator):
    r"""DA+IVL: IVL regression of y on augmented ``GX`` with the augmentation parameters ``G`` as instruments.

    Augmentation with an outcome-invariant transformation is a soft intervention on X; its random parameters
    are valid but under-identifying instruments ("IV-like"). IVL (:class:`IVLRegression`) regularises the IV
    problem with the ERM risk, which amounts to augmenting with strength amplified by sqrt(1 + 1/ivl_alpha).
    DA+ERM is plain least squares on ``GX`` (``ivl_alpha=np.inf`` here, or any OLS). ``alpha`` is only the CI
    level of ``summary(*, alpha=0.05)`` and ``conf_int(*, alpha=0.05)``.

    Parameters
    ----------
    augmenter : callable or None
        ``augmenter(X, rng) -> (GX, G)`` (e.g. :class:`NullSpaceTranslation`); ``rng`` is a
        ``numpy.random.RandomState``. May be None when augmentations are passed to ``fit``.
    ivl_alpha : float, default 1.0
        IVL's ERM weight (see :class:`IVLRegression`).
    n_augmentations : int, default 1
        Number of augmented copies of the data, stacked (y repeated).
    fit_intercept : bool, default True
    cov_type : {"HC1", "HC0", "nonrobust", None}, default "HC1"
        With several copies, the covariance is clustered on the original sample.
    random_state : int, RandomState or None

    Attributes
    ----------
    coef_, intercept_ : the causal coefficients, used by ``predict`` on un-augmented X
    ivl_ : the fitted :class:`IVLRegression` (first stage, covariance)
    inference_ : EffectResult or None
        That of ``ivl_`` (read by ``summary`` and ``conf_int``).
    n_features_in_ : int

    Examples
    --------
    >>> from causalkit.datasets import make_ivl_toy_sem
    >>> from causalkit.iv import DAIVLRegression, NullSpaceTranslation
    >>> d = make_ivl_toy_sem(5000, random_state=0)
    >>> est = DAIVLRegression(NullSpaceTranslation(d.directions), ivl_alpha=0.1, random_state=0)
    >>> est = est.fit(d.X, d.y)
    >>> bool(((est.coef_ - d.coef) ** 2).sum() < 0.4)  # ERM's error is 1.25
    True
    """

    def __init__(
        self,
        augmenter: Callable[..., Any] | None = None,
        *,
        ivl_alpha: float = 1.0,
        n_augmentations: int = 1,
        fit_intercept: bool = True,
        cov_type: str | None = "HC1",
        random_state: Any = None,
    ):
        self.augmenter = augmenter
        self.ivl_alpha = ivl_alpha
        self.n_augmentations = n_augmentations
        self.fit_intercept = fit_intercept
        self.cov_type = cov_type
        self.random_state = random_state

    def augment(self, X, rng=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stack ``n_augmentations`` augmented copies: returns ``(GX, G, rows)``; ``rows`` indexes X."""
        if self.augmenter is None or not callable(self.augmenter):
            raise TypeError(
                f"augmenter must be a callable augmenter(X, rng) -> (GX, G); got {self.augmenter!r}."
            )
        n_aug = check_int(self.n_augmentations, "n_augmentations", low=1)
        rng = local_random_state(self.random_state if rng is None else rng)
        X = check_2d(X, "X")
        GXs, Gs = [], []
        for _ in range(n_aug):
            out = self.augmenter(X, rng)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("augmenter must return a tuple (GX, G).")
            GXs.append(check_2d(out[0], "augmenter output GX"))
            Gs.append(check_2d(out[1], "augmenter output G", ensure_2d_from_1d=True))
        rows = np.tile(np.arange(X.shape[0]), n_aug)
        return np.vstack(GXs), np.vstack(Gs), rows

    def fit(self, X, y, *, augmentations: tuple[Any, Any] | None = None) -> DAIVLRegression:
        """Augment (or take the given augmentations) and fit IVL of y on GX with instruments G.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Un-augmented regressors.
        y : array-like of shape (n_samples,)
        augmentations : tuple (GX, G), optional, keyword-only
            Precomputed augmentation: ``GX`` of shape (m * n_samples, n_features) and ``G`` with as many rows,
            copy ``j`` in rows ``j * n_samples`` to ``(j + 1) * n_samples``. Overrides ``augmenter``.

        Returns
        -------
        self
        """
        X, names = validate_X(X, "X", type(self).__name__)
        y = validate_y(y, type(self).__name__)
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"Inputs have mismatched lengths (X: {X.shape[0]}, y: {y.shape[0]}); they must describe the "
                "same samples."
            )
        check_magnitude(X=X, y=y)
        n = X.shape[0]
        if augmentations is None:
            GX, G, rows = self.augment(X)
        else:
            if not (isinstance(augmentations, (tuple, list)) and len(augmentations) == 2):
                raise TypeError("augmentations must be a tuple (GX, G).")
            GX = check_2d(augmentations[0], "augmentations[0] (GX)")
            G = check_2d(augmentations[1], "augmentations[1] (G)", ensure_2d_from_1d=True)
            if GX.shape[0] != G.shape[0] or GX.shape[0] % n != 0:
                raise ValueError(
                    f"augmentations (GX, G) must have the same number of rows, a multiple of n_samples={n}; "
                    f"got {GX.shape[0]} and {G.shape[0]}."
                )
            rows = np.tile(np.arange(n), GX.shape[0] // n)
        if GX.shape[1] != X.shape[1]:
            raise ValueError(f"augmented GX has {GX.shape[1]} features; X has {X.shape[1]}.")
        groups = rows if rows.shape[0] > n else None
        if names is not None:  # the inner fit (summary, first stage) keeps X's names
            GX = pd.DataFrame(GX, columns=list(names))
        self.ivl_ = IVLRegression(
            self.ivl_alpha, fit_intercept=self.fit_intercept, cov_type=self.cov_type
        )._fit_ivl(GX, y[rows], G, groups, depth=2)
        self.coef_ = self.ivl_.coef_
        self.intercept_ = self.ivl_.intercept_
        self.inference_ = self.ivl_.inference_
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        return self

    def predict(self, X) -> np.ndarray:
        """Predict from un-augmented ``X``: ``X @ coef_ + intercept_``."""
        check_is_fitted(self, "coef_")
        Xa = validate_X(X, "X", type(self).__name__, predict=True)[0]
        check_n_features(Xa, self.n_features_in_, type(self).__name__)
        check_feature_names(self, X, argument="X", stacklevel=2)
        return pandas_like(Xa @ self.coef_ + self.intercept_, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None and self.augmenter is not None
        return tags

    def _fitted_inference(self):
        # InferenceMixin's hook: that of the underlying IVL fit (which says why when it has no SEs)
        check_is_fitted(self, "ivl_")
        return self.ivl_._fitted_inference()
