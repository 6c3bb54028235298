"""Control-function extrapolation on an observed (or learned) representation Z = M A + V."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.validation import check_is_fitted

from .._base import (
    check_1d,
    check_2d,
    check_consistent_length,
    check_feature_names,
    check_int,
    check_scalar_in_range,
    user_stacklevel,
)
from ..exceptions import ExtrapolationWarning

__all__ = ["ControlFunctionExtrapolator"]

_MAX_TENSOR_DIM = 3


def _check_actions(A: Any, name: str = "A") -> np.ndarray:
    """Validate the actions: 2-D (a 1-D vector is one action), finite, non-constant, full column rank."""
    A = check_2d(A, name, ensure_2d_from_1d=True, min_samples=2)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.std(2.0 * A, axis=0)  # pairwise squared distances must stay finite
    if not np.all(np.isfinite(spread)):
        raise ValueError(
            f"{name} has values of magnitude up to {float(np.max(np.abs(A))):.3g}, too large for double "
            f"precision (squared distances overflow); rescale {name} (e.g. change its units)."
        )
    sd = A.std(axis=0)
    const = np.flatnonzero(sd <= 1e-12 * np.maximum(1.0, np.abs(A).max(axis=0)))
    if const.size:
        raise ValueError(
            f"{name} must vary: column(s) {const.tolist()} are constant, so the effect of the action "
            "on the representation is not identified."
        )
    centred = (A - A.mean(axis=0)) / sd
    if np.linalg.matrix_rank(centred) < A.shape[1]:
        raise ValueError(
            f"{name} must have linearly independent columns (full column rank after centring); "
            f"got rank {np.linalg.matrix_rank(centred)} for {A.shape[1]} columns."
        )
    return A


def _check_a_values(a_values: Any, k: int) -> np.ndarray:
    """Intervention values as an (m, k) array; (m,) is accepted when k == 1."""
    a = check_2d(a_values, "a_values", ensure_2d_from_1d=(k == 1))
    if a.shape[1] != k:
        raise ValueError(
            f"a_values must have shape (m, {k}) (one column per action); got shape {a.shape}."
        )
    return a


class _TensorSpline:
    """Tensor product of per-dimension cubic B-spline bases (linear extrapolation), fitted on the data range.

    With uniform knots placed on the observed range, the basis moves with any affine map z -> h z + c of each
    coordinate, which makes the control-function stage exactly invariant to such maps.
    """

    def __init__(self, n_knots: int):
        self.n_knots = n_knots

    def fit(self, Z: np.ndarray) -> _TensorSpline:
        self.splines_ = [
            SplineTransformer(
                n_knots=self.n_knots, degree=3, extrapolation="linear", include_bias=True
            ).fit(Z[:, [j]])
            for j in range(Z.shape[1])
        ]
        return self

    def transform(self, Z: np.ndarray) -> np.ndarray:
        out = self.splines_[0].transform(Z[:, [0]])
        for j in range(1, Z.shape[1]):
            B = self.splines_[j].transform(Z[:, [j]])
            out = (out[:, :, None] * B[:, None, :]).reshape(Z.shape[0], -1)
        return out


class ControlFunctionExtrapolator(BaseEstimator):
    """Intervention extrapolation by a control function on a representation ``Z = M A + V``.

    Stage 1 regresses ``Z`` on the actions ``A`` by OLS with an intercept and keeps the residuals
    ``V_hat = Z - alpha_hat - M_hat A``. Stage 2 fits the additive model ``Y ~ nu(Z) + psi(V_hat)`` (the control
    function ``psi`` absorbs the hidden confounding between ``Z`` and ``Y``). The interventional mean is

    ``E[Y | do(A = a)] ~ (1/n) sum_i [nu(alpha_hat + M_hat a + V_hat_i) + psi(V_hat_i)]``,

    which extrapolates to actions outside the training support because ``A`` acts linearly on ``Z`` and ``V``
    has full support (Saengkyongam et al., ICLR 2024, Sec. 2). With the true ``Z`` this is the oracle; on a
    learned code it is the second stage of :class:`Rep4Ex`.

    Parameters
    ----------
    outcome_model : {"spline"}, default "spline"
        ``nu`` and ``psi`` are tensor-product cubic B-splines with uniform knots on the data range and linear
        extrapolation, fitted jointly by ridge regression. Affine maps of ``Z`` leave the predictions unchanged.
        Supported for ``d <= 3`` latent dimensions.
    n_knots : int, default 12
        Knots per latent dimension.
    ridge_alpha : float, default 0.1
        Ridge penalty of the spline coefficients (B-spline values lie in [0, 1]); the default keeps the
        linearly extrapolated tensor-product basis stable on learned codes.
    support_tol : float, default 0.2
        :meth:`predict_intervention` warns when more than this fraction of the shifted residuals
        ``alpha_hat + M_hat a + V_hat_i`` falls outside the observed range of ``Z`` (there ``nu`` is itself
        extrapolated linearly).

    Attributes
    ----------
    intercept_A_ : ndarray of shape (d,)
        ``alpha_hat``.
    coef_A_ : ndarray of shape (d, k)
        ``M_hat``.
    residuals_V_ : ndarray of shape (n, d)
        ``V_hat``.
    outcome_model_ : Ridge
        The fitted stage-2 regression on ``[B(Z), B(V_hat)]``.
    z_range_ : ndarray of shape (2, d)
        Observed range of ``Z``.
    n_features_in_ : int
        ``d``, the number of columns of ``Z``.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame ``Z`` (only then); :meth:`predict` and
        :meth:`predict_conditional_intervention` refuse a DataFrame with other names or another order.
    n_actions_ : int
        ``k``, the number of actions.

    Notes
    -----
    The splines act on canonical coordinates ``W = M_hat^{-1} (Z - alpha_hat)`` when ``d == k``, so the
    predictions are exactly invariant to any invertible affine map ``Z -> H Z + c`` (the representation is
    identified only up to such a map). With ``d < k`` the coordinates whiten ``V_hat`` instead.

    No intervals yet (no ``inference_``, ``summary`` or ``conf_int``); see #17.

    Examples
    --------
    >>> from causalkit.datasets import make_rep4ex_1d
    >>> d = make_rep4ex_1d(2000, random_state=0)
    >>> cf = ControlFunctionExtrapolator().fit(d.Y, d.A, Z=d.Z)
    >>> est = cf.predict_intervention([1.5])
    >>> bool(abs(est[0] - d.truth([1.5])[0]) < 0.2)
    True
    """

    def __init__(
        self,
        outcome_model: str = "spline",
        *,
        n_knots: int = 12,
        ridge_alpha: float = 0.1,
        support_tol: float = 0.2,
    ):
        self.outcome_model = outcome_model
        self.n_knots = n_knots
        self.ridge_alpha = ridge_alpha
        self.support_tol = support_tol

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        if self.outcome_model != "spline":
            raise ValueError(f"outcome_model must be 'spline'; got {self.outcome_model!r}.")
        check_int(self.n_knots, "n_knots", low=2)
        check_scalar_in_range(self.ridge_alpha, "ridge_alpha", low=0.0)
        check_scalar_in_range(self.support_tol, "support_tol", low=0.0, high=1.0)

    def fit(self, Y: Any, A: Any, *, Z: Any) -> ControlFunctionExtrapolator:
        """Fit both stages.

        Parameters
        ----------
        Y : array-like of shape (n,)
            Outcome.
        A : array-like of shape (n, k) or (n,)
            Exogenous actions; ``k >= d`` and full column rank.
        Z : array-like of shape (n, d) or (n,), keyword-only
            The representation (true latent or a learned code). A DataFrame's column names are kept
            (``feature_names_in_``) and checked at predict time.

        Returns
        -------
        self
        """
        self._validate_params()
        Z, names = check_2d(Z, "Z", ensure_2d_from_1d=True, min_samples=2, return_names=True)
        scale = np.max(np.abs(Z), axis=0, initial=0.0)
        const = np.flatnonzero(
            np.std(Z / np.where(scale > 0, scale, 1.0), axis=0) <= 1e-12
        )  # relative spread: Z * 1e-300 still varies
        if const.size:
            raise ValueError(
                f"Z must vary: column(s) {const.tolist()} are constant, so Z = M A + V cannot depend on A "
                "(M is not invertible and nothing can be extrapolated)."
            )
        A = _check_actions(A, "A")
        Y = check_1d(Y, "Y")
        n = check_consistent_length(Z=Z, A=A, Y=Y)
        d, k = Z.shape[1], A.shape[1]
        if d > k:
            raise ValueError(
                f"Z has {d} dimensions but A has only {k}: the model Z = M A + V needs M of full row rank, "
                f"i.e. at least as many actions as latent dimensions (d <= k)."
            )
        if d > _MAX_TENSOR_DIM:
            raise ValueError(
                f"outcome_model='spline' supports at most {_MAX_TENSOR_DIM} latent dimensions; got d={d}."
            )
        if n < 4 * self.n_knots:
            raise ValueError(
                f"need at least 4 * n_knots = {4 * self.n_knots} samples for the spline stage; got {n}."
            )
        self._fit_stages(Z, A, Y)
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _fit_stages(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray) -> None:
        n, d = Z.shape
        D = np.column_stack([np.ones(n), A])
        beta, *_ = np.linalg.lstsq(D, Z, rcond=None)
        self.intercept_A_ = beta[0].copy()
        self.coef_A_ = beta[1:].T.copy()
        self.residuals_V_ = Z - D @ beta
        # Canonical coordinates W = T (Z - alpha_hat): with d == k, T = M_hat^{-1}, so W = A + M_hat^{-1} V_hat
        # does not change under any invertible affine map of Z (exact invariance of the whole stage 2).
        # With d < k, T whitens V_hat (invariance up to a rotation).
        if d == A.shape[1]:
            self._T = np.linalg.inv(self.coef_A_)
        else:
            cov = np.atleast_2d(np.cov(self.residuals_V_, rowvar=False))
            self._T = np.linalg.inv(np.linalg.cholesky(cov))
        W = self._canon(Z)
        Vc = self.residuals_V_ @ self._T.T
        self._Vc = Vc
        self.z_range_ = np.vstack([Z.min(axis=0), Z.max(axis=0)])
        self._w_range = np.vstack([W.min(axis=0), W.max(axis=0)])
        self._basis_z = _TensorSpline(self.n_knots).fit(W)
        self._basis_v = _TensorSpline(self.n_knots).fit(Vc)
        Bz = self._basis_z.transform(W)
        Bv = self._basis_v.transform(Vc)
        self.outcome_model_ = Ridge(alpha=float(self.ridge_alpha)).fit(np.hstack([Bz, Bv]), Y)
        self._pz = Bz.shape[1]
        self._psi_mean = float(np.mean(self._psi_c(Vc)))
        self.n_features_in_ = d
        self.n_actions_ = A.shape[1]
        self.n_latent_ = d

    # ------------------------------------------------------------------ parts of the additive model
    def _canon(self, Z: np.ndarray) -> np.ndarray:
        return (Z - self.intercept_A_) @ self._T.T

    def _nu_c(self, W: np.ndarray) -> np.ndarray:
        return self._basis_z.transform(W) @ self.outcome_model_.coef_[: self._pz]

    def _psi_c(self, Vc: np.ndarray) -> np.ndarray:
        return self._basis_v.transform(Vc) @ self.outcome_model_.coef_[self._pz :]

    def _nu(self, Z: np.ndarray) -> np.ndarray:
        """nu on the original scale of Z (without the intercept)."""
        return self._nu_c(self._canon(Z))

    def _psi(self, V: np.ndarray) -> np.ndarray:
        """psi on the original scale of V (without the intercept)."""
        return self._psi_c(V @ self._T.T)

    def _shifts(self, a: np.ndarray) -> np.ndarray:
        """Canonical coordinates of M_hat a, one row per intervention value."""
        return (a @ self.coef_A_.T) @ self._T.T

    def _check_Z(self, Z: Any, name: str = "Z") -> np.ndarray:
        """``Z`` at predict time: the width seen in fit and, for a DataFrame, the column names seen in fit."""
        arr = check_2d(Z, name, ensure_2d_from_1d=(self.n_latent_ == 1))
        if arr.shape[1] != self.n_latent_:
            raise ValueError(f"{name} must have {self.n_latent_} column(s); got {arr.shape[1]}.")
        if getattr(Z, "ndim", 2) == 2:
            check_feature_names(self, Z, argument=name, stacklevel=user_stacklevel())
        return arr

    # ------------------------------------------------------------------ prediction
    def support_fraction(self, a_values: Any) -> np.ndarray:
        """Fraction of shifted residuals ``alpha_hat + M_hat a + V_hat_i`` outside the observed range of ``Z``.

        Parameters
        ----------
        a_values : array-like of shape (m, k) or (m,) when k == 1

        Returns
        -------
        ndarray of shape (m,)
        """
        check_is_fitted(self, "outcome_model_")
        a = _check_a_values(a_values, self.n_actions_)
        lo, hi = self._w_range
        out = np.empty(a.shape[0])
        for j, shift in enumerate(self._shifts(a)):
            Ws = self._Vc + shift
            out[j] = np.mean(np.any((Ws < lo) | (Ws > hi), axis=1))
        return out

    def predict_intervention(self, a_values: Any) -> np.ndarray:
        """Estimated ``E[Y | do(A = a)]`` for each row ``a`` of ``a_values``.

        Parameters
        ----------
        a_values : array-like of shape (m, k) or (m,) when k == 1

        Returns
        -------
        ndarray of shape (m,)
        """
        check_is_fitted(self, "outcome_model_")
        a = _check_a_values(a_values, self.n_actions_)
        const = self.outcome_model_.intercept_ + self._psi_mean
        pred = np.array([np.mean(self._nu_c(self._Vc + s)) for s in self._shifts(a)]) + const
        frac = self.support_fraction(a)
        if np.any(frac > self.support_tol):
            worst = int(np.argmax(frac))
            warnings.warn(
                f"{np.sum(frac > self.support_tol)} of {a.shape[0]} intervention value(s) move more than "
                f"{self.support_tol:.0%} of the residual cloud outside the observed range of Z (up to "
                f"{frac[worst]:.0%} at a = {a[worst].tolist()}); there the outcome model is itself "
                "extrapolated linearly.",
                ExtrapolationWarning,
                stacklevel=user_stacklevel(),
            )
        return pred

    def predict_conditional_intervention(self, Z: Any, a_values: Any) -> np.ndarray:
        """Estimated ``E[Y | Z = z, do(A = a)] = nu(z) + psi(z - alpha_hat - M_hat a)``.

        Parameters
        ----------
        Z : array-like of shape (n_z, d)
        a_values : array-like of shape (m, k) or (m,) when k == 1

        Returns
        -------
        ndarray of shape (n_z, m)
        """
        check_is_fitted(self, "outcome_model_")
        Z = self._check_Z(Z)
        a = _check_a_values(a_values, self.n_actions_)
        W = self._canon(Z)
        base = self._nu_c(W) + self.outcome_model_.intercept_
        return np.column_stack([base + self._psi_c(W - s) for s in self._shifts(a)])

    def predict(self, Z: Any, A: Any) -> np.ndarray:
        """Fitted observational mean ``E[Y | Z, A] = nu(Z) + psi(Z - alpha_hat - M_hat A)``.

        Returns
        -------
        ndarray of shape (n,)
        """
        check_is_fitted(self, "outcome_model_")
        Z = self._check_Z(Z)
        A = check_2d(A, "A", ensure_2d_from_1d=(self.n_actions_ == 1))
        if A.shape[1] != self.n_actions_:
            raise ValueError(f"A must have {self.n_actions_} column(s); got {A.shape[1]}.")
        check_consistent_length(Z=Z, A=A)
        V = Z - self.intercept_A_ - A @ self.coef_A_.T
        return self._nu(Z) + self._psi(V) + self.outcome_model_.intercept_

    def score(self, Z: Any, A: Any, Y: Any) -> float:
        """R² of :meth:`predict` against ``Y`` (observational fit of the additive model)."""
        Y = check_1d(Y, "Y")
        pred = self.predict(Z, A)
        check_consistent_length(pred=pred, Y=Y)
        return float(1.0 - np.sum((Y - pred) ** 2) / np.sum((Y - Y.mean()) ** 2))
