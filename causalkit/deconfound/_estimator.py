"""DeconfoundLM-style reward adjustment: remove known confounders' effect from observational rewards.

Working model (partially linear, additive): ``Y = T @ beta + h(C) + eps`` with ``E[eps | T, C] = 0``.
The estimator returns the causal feature effects ``beta`` with sandwich standard errors and the adjusted
rewards ``Y - h_hat(C)``, ready to be used as a fine-tuning / reward-model target.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from causalkit._base import (
    EffectMixin,
    EffectResult,
    check_1d,
    check_2d,
    check_consistent_length,
    check_feature_names,
    check_groups,
    check_int,
    check_n_clusters,
    check_random_state,
    check_scalar_in_range,
    crossfit_predict,
    make_folds,
    ols_inference,
    pandas_like,
    parallel_map,
    sandwich_cov,
    spawn_seeds,
    user_stacklevel,
)
from causalkit.exceptions import OverlapWarning

__all__ = ["OverlapWarning", "RewardDeconfounder"]

_METHODS = ("dml", "joint", "naive", "residualize_confounders")
_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")
#: smallest eigenvalue of the standardised partialled-out feature covariance below which we raise / warn
_RANK_TOL = 1e-6
_WEAK_OVERLAP = 1e-2
#: relative residual norm (of a standardised feature on the others) below which features are collinear
_COLLINEAR_TOL = 1e-7
#: |rewards - median| beyond this (or, if not zero, below its inverse) puts squared residuals out of range
_MAGNITUDE = 1e150


def _power_of_two_scale(T: np.ndarray) -> np.ndarray:
    """Per-column power-of-two scale bringing extreme-magnitude columns to unit spread (1 otherwise).

    Power-of-two rescaling is exact in floating point; ordinary columns (spread within 2^±20) keep scale 1, so
    their results are unchanged bit for bit.
    """
    top = np.abs(T).max(axis=0)
    top = np.where(top > 0, top, 1.0)
    sd = top * (T / top).std(axis=0)
    scale = np.ones(T.shape[1])
    extreme = (sd > 0) & ((sd < 2.0**-20) | (sd > 2.0**20))
    scale[extreme] = 2.0 ** np.round(np.log2(sd[extreme]))
    return scale


def _collinear_columns(T: np.ndarray) -> list[int]:
    """Indices of the columns taking part in an exact linear dependence among ``[1, T]`` (empty if none)."""
    Z = T - T.mean(axis=0)
    Z = Z / np.sqrt((Z**2).sum(axis=0))
    _, R, piv = linalg.qr(Z, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > _COLLINEAR_TOL))
    if rank == T.shape[1]:
        return []
    involved = set()
    R1 = R[:rank, :rank]
    for k in range(rank, T.shape[1]):
        coef = linalg.solve_triangular(R1, R[:rank, k]) if rank else np.zeros(0)
        involved.add(int(piv[k]))
        involved.update(int(piv[i]) for i in np.flatnonzero(np.abs(coef) > 1e-6))
    return sorted(involved)


def default_confounder_model():
    """The default nuisance learner: an additive cubic spline basis of each confounder + ``RidgeCV``.

    Fast and accurate for a few smooth confounders. It is additive in the confounders; pass e.g.
    :class:`~sklearn.ensemble.HistGradientBoostingRegressor` when they interact.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    return make_pipeline(
        SplineTransformer(n_knots=10, degree=3), RidgeCV(alphas=np.logspace(-6, 3, 10))
    )


def default_basis(C: np.ndarray | None = None):
    """The default basis ``B(C)`` of ``method="joint"``, additive in the confounders.

    Columns with at most 10 distinct values (platform, audience segment) get one-hot indicators (first level
    dropped); the others cubic splines with 10 knots, without bias column (the fit adds one intercept).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer

    if C is None:
        return SplineTransformer(n_knots=10, degree=3, include_bias=False)
    parts = []
    for j in range(C.shape[1]):
        if np.unique(C[:, j]).shape[0] <= 10:
            enc = OneHotEncoder(drop="first", sparse_output=False, handle_unknown="ignore")
        else:
            enc = SplineTransformer(n_knots=10, degree=3, include_bias=False)
        parts.append((f"c{j}", enc, [j]))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def _is_text(features: Any) -> bool:
    if isinstance(features, str):
        raise TypeError(
            "features: got a single string; pass a list of strings (one text per row) or a numeric matrix."
        )
    if isinstance(features, pd.DataFrame):
        return False
    if isinstance(features, pd.Series):
        values = features.to_numpy()
    elif isinstance(features, (list, tuple)):
        values = features
    elif isinstance(features, np.ndarray):
        if features.dtype.kind in "US":
            if features.ndim != 1:
                raise TypeError(
                    f"features: got a {features.ndim}-D array of strings; pass texts as a 1-D list or array "
                    "of str (one text per row), or a numeric matrix."
                )
            return True
        if features.dtype.kind != "O" or features.ndim != 1:
            return False
        values = features
    else:
        return False
    if len(values) == 0:
        return False
    kinds = [isinstance(v, str) for v in values]
    if all(kinds):
        return True
    if any(kinds):
        raise TypeError(
            "features: mixes strings and non-strings; pass either texts (all str) or a numeric matrix."
        )
    return False


def _check_model(model: Any, name: str) -> None:
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise TypeError(
            f"{name} must be a scikit-learn regressor with fit and predict; got {type(model).__name__}."
        )
    try:
        clone(model)
    except Exception as exc:  # clone is how every fold gets its own copy
        raise TypeError(
            f"{name} must be a scikit-learn regressor that can be cloned for each fold (fit, predict, "
            f"get_params; e.g. a BaseEstimator subclass); cloning {type(model).__name__} failed: {exc}"
        ) from None


def _seed(random_state: Any) -> int:
    """One int seed from None, an int, a RandomState (one draw, as before) or a Generator (one draw)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    valid = random_state is None or isinstance(random_state, np.random.RandomState)
    valid = valid or (
        isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    )
    if not valid:
        raise TypeError(
            "random_state must be None, an int, a RandomState or a Generator; got "
            f"{type(random_state).__name__} {random_state!r}."
        )
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _check_nuisance(pred: np.ndarray, model: str, target: str) -> None:
    bad = int(np.sum(~np.isfinite(pred)))
    if bad:
        raise ValueError(
            f"{model} returned {bad} non-finite prediction(s) of E[{target} | confounders] out of "
            f"{pred.shape[0]}; check the model (or its input)."
        )


def _crossfit_task(args):
    model, C, target, folds = args
    res = crossfit_predict(model, C, target, folds=folds)
    return res.predictions, res.models


#: covariances of the ridge final stage (``final_alpha > 0``), all from :func:`causalkit._base.sandwich_cov`
_RIDGE_COV_TYPES = ("HC0", "HC1", "cluster")


def _ridge_sandwich(rt, ry, final_alpha, cov_type, groups):
    """Ridge final stage ``(T'T + final_alpha I)^-1 T'y`` with its HC0/HC1/cluster (CR1) sandwich covariance."""
    p = rt.shape[1]
    bread = np.linalg.inv(rt.T @ rt + final_alpha * np.eye(p))
    beta = bread @ (rt.T @ ry)
    scores = rt * (ry - rt @ beta)[:, None]
    clustered = groups is not None or cov_type == "cluster"
    cov = sandwich_cov(
        scores,
        bread,
        groups=groups if clustered else None,
        small_sample=clustered or cov_type == "HC1",
    )
    return beta, cov


def _fit_groups(groups: Any, n: int):
    """Validated cluster labels and the labels the fold splitter gets (None, None without groups).

    Any hashable labels are clusters, mixed types too (``1`` and ``"a"``): the splitter then gets their
    factorised codes, because scikit-learn's group splitters sort the labels. Complex numbers are refused.
    """
    if groups is None:
        return None, None
    if np.ndim(groups) == 0 and not isinstance(groups, (list, tuple)):
        raise TypeError(
            f"groups must be an array of {n} cluster labels (one per sample); got a scalar "
            f"{type(groups).__name__}."
        )
    labels = check_groups(groups, n)
    if labels.dtype.kind == "c" or (
        labels.dtype.kind == "O"
        and any(isinstance(v, (complex, np.complexfloating)) for v in labels)
    ):
        raise TypeError(
            "groups: complex numbers are not cluster labels; pass integer or string labels (one per sample)."
        )
    missing = int(np.sum(pd.isna(labels)))
    if missing:
        raise ValueError(
            f"groups has {missing} missing label(s) (None/NaN); every sample needs a cluster."
        )
    try:
        np.unique(labels)
    except TypeError:  # labels of mixed types (1 and "a") cannot be sorted: split on their codes
        return labels, pd.factorize(labels)[0]
    return labels, labels


def _overlap_diagnostics(resid: np.ndarray, raw: np.ndarray):
    """Standardised eigen-analysis of the partialled-out features.

    Returns the share of each feature's variance left after removing the confounders, the smallest
    eigenvalue and the condition number of the standardised ``ΣT̃T̃ᵀ/n`` and its numerical rank.
    """
    sd = raw.std(axis=0)
    z = resid / sd
    share = (resid**2).mean(axis=0) / sd**2
    eig = np.linalg.eigvalsh(z.T @ z / z.shape[0])
    lam_min, lam_max = max(float(eig[0]), 0.0), float(eig[-1])
    rank = int(np.sum(eig > _RANK_TOL))
    cond = lam_max / lam_min if lam_min > 0 else np.inf
    return share, lam_min, cond, rank


class RewardDeconfounder(EffectMixin, BaseEstimator):
    """Remove the effect of known confounders from observational rewards (DeconfoundLM-style).

    Model: ``rewards = features @ coef_ + h(confounders) + noise`` (partially linear, additive). The
    estimator returns the causal feature effects ``coef_`` (with sandwich standard errors) and the adjusted
    rewards ``rewards - h_hat(confounders)``, to be used as a fine-tuning or reward-model target; ``predict``
    scores new content by its causal feature effects only.

    After Loghmani, *Aligning Language Models with Observational Data: Opportunities and Risks from a
    Causal Perspective* (arXiv 2506.00152). The paper publishes no code; this is the partially linear
    double-ML reconstruction described in causalkit's method note. Only the *known* confounders are removed:
    unobserved confounding is not handled, and when feature and confounder effects interact the adjusted
    reward is only an additive projection.

    Parameters
    ----------
    model_confounders : regressor, optional
        Nuisance learner of ``E[rewards | confounders]`` ("dml", "residualize_confounders"). Default:
        additive cubic splines of each confounder + ``RidgeCV``. Cloned for every fold.
    model_features : regressor, optional
        Nuisance learner of ``E[feature_j | confounders]``, fitted column by column ("dml"). Default: a
        clone of ``model_confounders``' default.
    method : {"dml", "joint", "naive", "residualize_confounders"}, default "dml"
        ``"dml"``: cross-fitted partialling-out of rewards and features on the confounders, then
        residual-on-residual regression. ``"joint"``: one OLS of rewards on ``[features, 1, basis(C)]``
        (Frisch–Waugh–Lovell; exact when the basis spans ``h``). ``"naive"`` (rewards on features) and
        ``"residualize_confounders"`` (rewards minus ``E[rewards | C]``, then on the raw features) are
        *wrong* baselines, kept for comparison: the latter attenuates entangled causal features and gives
        spurious ones a negative weight.
    basis : transformer or callable, optional
        Basis ``B(C)`` for ``"joint"``: a scikit-learn transformer (cloned, fitted on the confounders) or a
        function ``C -> B``. Default: additive cubic splines (10 knots, no bias column) of each confounder,
        one-hot indicators for confounders with at most 10 distinct values.
    final_alpha : float, default 0.0
        Ridge penalty of the final residual-on-residual regression ("dml"), for high-dimensional
        embeddings: ``coef_ = (T̃ᵀT̃ + final_alpha I)⁻¹ T̃ᵀỸ``. Standard errors are then the sandwich of
        the penalised (biased) estimator.
    cv : int or splitter, default 2
        Cross-fitting folds (an int >= 2 or a scikit-learn splitter).
    n_rep : int, default 1
        Repetitions of cross-fitting with fresh folds; estimates are the median over repetitions and
        standard errors are aggregated as in DoubleML (``sqrt(median(se_r² + (θ_r - θ)²))``).
    featurizer : transformer, optional
        Applied to ``features`` before estimation (fitted in ``fit``). When ``features`` are texts (a list of
        strings) and no featurizer is given, TF-IDF + TruncatedSVD (up to 20 components) is used. Any
        scikit-learn transformer works (e.g. ``CountVectorizer(binary=True)`` for word indicators, or PCA of
        embeddings).
    keep_mean : bool, default True
        Add back the mean confounder effect so the adjusted rewards keep the rewards' original level.
    cov_type : {"HC0", "HC1", "HC2", "HC3", "nonrobust", "cluster"}, default "HC0"
        Covariance of ``coef_``; ``"HC0"`` is the double-ML sandwich ``J⁻¹ΩJ⁻¹/n`` (as in DoubleML).
        Passing ``groups`` to ``fit`` gives cluster-robust errors and grouped folds.
    random_state : int, RandomState or None
        Seeds the folds (and the default text featurizer).
    n_jobs : int, optional
        Nuisance fits (one per target and repetition) in parallel through joblib.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Causal feature effects.
    intercept_ : float
        Level of ``predict``: mean of ``adjusted_rewards_ - features @ coef_``.
    stderr_ : ndarray of shape (n_features,)
    cov_ : ndarray of shape (n_features, n_features)
    adjusted_rewards_ : ndarray of shape (n_samples,) or Series
        Rewards with the fitted (out-of-fold for "dml") confounder effect removed; a Series with the index
        and name of ``rewards`` when that is a pandas Series.
    inference_ : EffectResult
        ``coef_`` with standard errors, p-values and intervals, one term per feature (named as in
        ``feature_names_in_``); ``summary(*, alpha)``, ``conf_int(*, alpha)``, ``ate()`` (the first
        feature's effect) and ``ate_interval(*, alpha)`` read it.
    n_clusters_ : int
        Number of clusters in ``groups`` (0 without ``groups``).
    confounder_effect_ : ndarray of shape (n_samples,)
        The fitted confounder effect ``h_hat(C)`` (out of fold for "dml").
    naive_coef_ : ndarray of shape (n_features,)
        OLS coefficients of rewards on features (for comparison).
    residual_variance_share_ : ndarray of shape (n_features,)
        Share of each feature's variance left after partialling out the confounders (overlap diagnostic).
    condition_number_ : float
        Condition number of the standardised ``ΣT̃T̃ᵀ``.
    feature_scale_ : ndarray of shape (n_features,)
        Power-of-two scale the features were divided by internally (1 unless a feature varies on a scale
        beyond 2^±20); every reported quantity is in the features' own units.
    nuisance_models_ : dict
        ``"rewards"``: per repetition, the fold models of ``E[Y|C]``; ``"features"``: per repetition, per
        feature, the fold models of ``E[T_j|C]`` ("dml").
    fold_indices_ : list
        Per repetition, the ``(train, test)`` index pairs used for cross-fitting.
    feature_names_in_ : ndarray of str
        Feature names (DataFrame columns, featurizer output names, or ``x0, x1, ...``).
    featurizer_ : transformer or None
    basis_ : transformer or callable or None
        Fitted basis ("joint").
    reward_model_ : LinearRegression or Pipeline
        The deconfounded reward model ``T @ coef_ + intercept_`` as a standalone fitted scikit-learn model
        (preceded by ``featurizer_`` when one is used, so it scores texts directly); it gives the same
        numbers as ``predict`` and can be pickled and used without causalkit's estimator.

    Examples
    --------
    >>> from causalkit.datasets import make_confounded_content
    >>> d = make_confounded_content(2000, random_state=0)
    >>> est = RewardDeconfounder(random_state=0).fit(d.rewards, d.features, confounders=d.confounders)
    >>> est.coef_.round(1)
    array([-0. ,  1. ,  0.5])
    >>> est.naive_coef_.round(1)
    array([1.3, 1.2, 0.5])
    >>> est.adjusted_rewards_.shape
    (2000,)
    >>> est.conf_int(alpha=0.05).round(1)  # doctest: +NORMALIZE_WHITESPACE
             lower  upper
    term
    t_spur    -0.1    0.1
    t_ent      0.9    1.0
    t_ind      0.4    0.5
    """

    def __init__(
        self,
        model_confounders: Any = None,
        *,
        model_features: Any = None,
        method: str = "dml",
        basis: Any = None,
        final_alpha: float = 0.0,
        cv: Any = 2,
        n_rep: int = 1,
        featurizer: Any = None,
        keep_mean: bool = True,
        cov_type: str = "HC0",
        random_state: Any = None,
        n_jobs: int | None = None,
    ):
        self.model_confounders = model_confounders
        self.model_features = model_features
        self.method = method
        self.basis = basis
        self.final_alpha = final_alpha
        self.cv = cv
        self.n_rep = n_rep
        self.featurizer = featurizer
        self.keep_mean = keep_mean
        self.cov_type = cov_type
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- input handling -------------------------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}; got {self.method!r}.")
        if self.cov_type not in _COV_TYPES:
            raise ValueError(f"cov_type must be one of {_COV_TYPES}; got {self.cov_type!r}.")
        check_int(self.n_rep, "n_rep", low=1)
        if check_int(self.n_jobs, "n_jobs", allow_none=True) == 0:
            raise ValueError("n_jobs must be None, a positive integer or negative (joblib); got 0.")
        check_scalar_in_range(self.final_alpha, "final_alpha", low=0.0)
        if isinstance(self.cv, str):
            raise TypeError(
                f"cv must be an integer >= 2 or a scikit-learn splitter; got the string {self.cv!r}."
            )
        if not hasattr(self.cv, "split"):
            try:
                check_int(self.cv, "cv", low=2)
            except (TypeError, ValueError) as exc:
                raise type(exc)(
                    f"cv must be an integer >= 2 or a scikit-learn splitter; got {self.cv!r} ({exc})"
                ) from None
        if not isinstance(self.keep_mean, (bool, np.bool_)):
            raise TypeError(f"keep_mean must be a bool; got {type(self.keep_mean).__name__}.")
        for name in ("model_confounders", "model_features"):
            model = getattr(self, name)
            if model is not None:
                _check_model(model, name)
        if self.basis is not None and not (
            hasattr(self.basis, "fit_transform") or callable(self.basis)
        ):
            raise TypeError(
                f"basis must be a scikit-learn transformer or a callable C -> B; got {type(self.basis).__name__}."
            )
        if self.featurizer is not None and not hasattr(self.featurizer, "fit_transform"):
            raise TypeError(
                f"featurizer must be a scikit-learn transformer (fit_transform/transform); "
                f"got {type(self.featurizer).__name__}."
            )

    def _featurize(self, features: Any, *, fit: bool, seed: int | None = None):
        text = _is_text(features)
        if fit:
            if self.featurizer is not None:
                featurizer = clone(self.featurizer)
            elif text:
                featurizer = _default_text_featurizer(list(features), seed)
            else:
                featurizer = None
            self.featurizer_ = featurizer
        featurizer = self.featurizer_
        if featurizer is not None:
            raw = list(features) if text else check_2d(features, "features", ensure_2d_from_1d=True)
            out = featurizer.fit_transform(raw) if fit else featurizer.transform(raw)
            if hasattr(out, "toarray"):
                out = out.toarray()
            T = check_2d(np.asarray(out, dtype=float), "features (after featurizer)")
            names = None
            if hasattr(featurizer, "get_feature_names_out"):
                try:
                    names = np.asarray(featurizer.get_feature_names_out(), dtype=object)
                except (AttributeError, ValueError, TypeError):
                    names = None
            return T, names
        if text:
            raise TypeError(
                "features: got texts, but the estimator was fitted on a numeric matrix without a featurizer."
            )
        return check_2d(features, "features", ensure_2d_from_1d=True, return_names=True)

    # -- fitting --------------------------------------------------------------------------------------
    def fit(self, rewards: Any, features: Any, *, confounders: Any, groups: Any = None):
        """Estimate the causal feature effects and the adjusted rewards.

        The signature follows EconML's ``fit(Y, T, *, X=None, W=None)``: the outcome, then the "treatments"
        whose effects are estimated (the content features), then the controls by keyword.

        Parameters
        ----------
        rewards : array-like of shape (n,)
            Observed outcomes (clicks, conversions, ratings). A pandas Series keeps its index in
            ``adjusted_rewards_``.
        features : array-like or DataFrame of shape (n, p), or list of n str
            Content features or embeddings, or texts (featurized by ``featurizer``): their effects are
            ``coef_``.
        confounders : array-like or DataFrame of shape (n, q)
            Known confounders (time, audience, platform), numeric (one-hot encode categories); required,
            keyword-only.
        groups : array-like of shape (n,), optional
            Cluster labels (any hashable labels, mixed types too): cluster-robust standard errors and folds
            that never split a cluster. Fewer than 2 clusters (or fewer than ``cv`` when cross-fitting) raise a
            ``ValueError``; fewer than 20 give a :class:`~causalkit.exceptions.ClusterWarning`; complex
            labels or a scalar raise a ``TypeError``.

        Raises
        ------
        ValueError
            Also for constant or collinear features (the columns are named), a ``"joint"`` basis as wide as
            the sample, and rewards or features whose magnitude puts the standard errors outside double
            precision.

        Returns
        -------
        self
        """
        self._validate_params()
        for name, a in (("rewards", rewards), ("features", features), ("confounders", confounders)):
            if a is None:
                raise ValueError(f"{name} is required; got None.")
        _is_text(features)  # rejects a single string before its length is taken
        check_consistent_length(rewards=rewards, features=features, confounders=confounders)
        seeds = spawn_seeds(_seed(self.random_state), self.n_rep + 1)
        Y = check_1d(rewards, "rewards")
        C, c_names = check_2d(confounders, "confounders", ensure_2d_from_1d=True, return_names=True)
        T, t_names = self._featurize(features, fit=True, seed=seeds[-1])
        n, p = T.shape
        groups, fold_groups = _fit_groups(groups, n)
        if self.cov_type == "cluster" and groups is None:
            raise ValueError("cov_type='cluster' needs cluster labels: pass groups to fit.")
        ridge = self.method == "dml" and float(self.final_alpha) > 0
        cov_type = "cluster" if groups is not None else self.cov_type
        if ridge and cov_type not in _RIDGE_COV_TYPES:
            raise ValueError(
                f"cov_type={cov_type!r} is not available with final_alpha > 0; use 'HC0', 'HC1' or 'cluster'."
            )
        # factorised codes: any hashable labels, mixed types too
        self.n_clusters_ = n_clusters = check_n_clusters(
            None if groups is None else pd.factorize(groups)[0],
            "groups",
            stacklevel=user_stacklevel() + 1,
        )
        cross_fitted = self.method in ("dml", "residualize_confounders")
        if (
            n_clusters
            and cross_fitted
            and isinstance(self.cv, numbers.Integral)
            and n_clusters < self.cv
        ):
            raise ValueError(
                f"groups has {n_clusters} clusters, fewer than cv={self.cv} folds: cross-fitting never "
                "splits a cluster, so it needs at least as many clusters as folds. Lower cv."
            )
        constant = np.ptp(T, axis=0) == 0
        if np.any(constant):
            raise ValueError(
                f"features: column(s) {np.flatnonzero(constant).tolist()} are constant; "
                "a constant feature has no effect to estimate."
            )
        if n < p + 3:
            raise ValueError(f"features: need more samples than features; got n={n}, p={p}.")
        spread = float(np.abs(Y - np.median(Y)).max())
        if spread > _MAGNITUDE or 0 < spread < 1 / _MAGNITUDE:
            raise ValueError(
                f"rewards: values of magnitude {spread:.3g} around their median: squared residuals "
                "overflow (or underflow) double precision, so standard errors cannot be computed; "
                "rescale rewards."
            )
        self.feature_names_in_ = np.asarray(
            t_names if t_names is not None else [f"x{j}" for j in range(p)], dtype=object
        )
        self.confounder_names_ = np.asarray(
            c_names if c_names is not None else [f"c{j}" for j in range(C.shape[1])], dtype=object
        )
        # names are checked at predict/transform time only when fit saw them (scikit-learn semantics)
        self._feature_names_given = t_names is not None and self.featurizer_ is None
        self._confounder_names_given = c_names is not None
        self.feature_scale_ = _power_of_two_scale(T)
        out_of_range = np.flatnonzero(
            (self.feature_scale_ > _MAGNITUDE) | (self.feature_scale_ < 1 / _MAGNITUDE)
        )
        if out_of_range.size:
            raise ValueError(
                f"features: column(s) {[str(self.feature_names_in_[j]) for j in out_of_range]} vary on a "
                f"scale of about {self.feature_scale_[out_of_range[0]]:.3g}: the covariance of their effects "
                "lies outside the range of double precision; rescale them."
            )
        Tw = T / self.feature_scale_  # exact: powers of two
        collinear = [] if ridge else _collinear_columns(Tw)
        if collinear:
            raise ValueError(
                f"features: columns {[str(self.feature_names_in_[j]) for j in collinear]} are collinear "
                "(one is a linear combination of the others and a constant), so their effects are not "
                "identified. Drop one of them (or use method='dml' with final_alpha > 0)."
            )
        self.n_features_in_ = p
        self.n_confounders_in_ = C.shape[1]
        self._groups = groups

        method = self.method
        self.nuisance_models_ = {}
        self.fold_indices_ = []
        self.basis_ = None
        if method in ("dml", "residualize_confounders"):
            self.fold_indices_ = [
                make_folds(n, self.cv, groups=fold_groups, random_state=s)
                for s in seeds[: self.n_rep]
            ]
        if method == "dml":
            self._fit_dml(Y, C, Tw, cov_type)
        elif method == "joint":
            self._fit_joint(Y, C, Tw, cov_type)
        else:
            self._fit_baseline(Y, C, Tw, cov_type)
        del self._groups
        # back to the units of the features (the fits above ran on Tw = T / scale)
        s = self.feature_scale_
        self.stderr_ = np.sqrt(np.clip(np.diag(self.cov_), 0.0, None)) / s
        self.coef_ = self.coef_ / s
        self.cov_ = self.cov_ / np.outer(s, s)
        if hasattr(self, "coef_reps_"):
            self.coef_reps_ = self.coef_reps_ / s
        if hasattr(self, "features_residuals_"):
            self.features_residuals_ = self.features_residuals_ * s

        self.mean_confounder_effect_ = float(np.mean(self.confounder_effect_))
        shift = self.mean_confounder_effect_ if self.keep_mean else 0.0
        adjusted = Y - self.confounder_effect_ + shift
        self.intercept_ = float(np.mean(adjusted - T @ self.coef_))
        design = np.column_stack([Tw, np.ones(n)])
        self.naive_coef_ = np.linalg.lstsq(design, Y, rcond=None)[0][:p] / s
        for label, value in (
            ("coef_", self.coef_),
            ("stderr_", self.stderr_),
            ("cov_", self.cov_),
            ("adjusted_rewards_", adjusted),
        ):
            if not np.all(np.isfinite(value)):
                raise ValueError(
                    f"rewards/features: the fitted {label} is not finite (the data overflow double "
                    "precision in the fit); rescale rewards or features."
                )
        self.adjusted_rewards_ = _like_rewards(adjusted, rewards)
        self.n_samples_ = n
        self.reward_model_ = self._standalone_reward_model()
        self.inference_ = self._inference()
        return self

    # -- persistence ----------------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        """State with ``adjusted_rewards_`` as a plain array (skops cannot store pandas objects).

        The Series (index and name of the fitted ``rewards``) is rebuilt by :meth:`__setstate__`, so a
        ``skops.io`` file needs no pandas type trusted (see ``docs/persistence.md``).
        """
        state = dict(super().__getstate__())  # a copy: the base class may return __dict__ itself
        adjusted = state.get("adjusted_rewards_")
        if isinstance(adjusted, pd.Series):
            state["adjusted_rewards_"] = adjusted.to_numpy(copy=True)
            state["_adjusted_rewards_labels"] = _index_state(adjusted)
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        labels = state.pop("_adjusted_rewards_labels", None)
        super().__setstate__(state)
        if labels is not None and isinstance(self.__dict__.get("adjusted_rewards_"), np.ndarray):
            self.adjusted_rewards_ = _index_restore(self.__dict__["adjusted_rewards_"], labels)

    def _standalone_reward_model(self):
        """``featurizer_`` (if any) + a LinearRegression carrying ``coef_`` and ``intercept_``."""
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline

        linear = LinearRegression()
        linear.coef_ = self.coef_.copy()
        linear.intercept_ = self.intercept_
        linear.n_features_in_ = self.n_features_in_
        if getattr(self, "_feature_names_given", False):
            # scikit-learn then checks the names at predict time
            linear.feature_names_in_ = self.feature_names_in_.copy()
        return linear if self.featurizer_ is None else make_pipeline(self.featurizer_, linear)

    def _crossfit(self, C, targets):
        models = (
            self.model_confounders
            if self.model_confounders is not None
            else default_confounder_model()
        )
        model_t = (
            self.model_features
            if self.model_features is not None
            else (
                self.model_confounders
                if self.model_confounders is not None
                else default_confounder_model()
            )
        )
        tasks = []
        for folds in self.fold_indices_:
            for j, target in enumerate(targets):
                tasks.append((models if j == 0 else model_t, C, target, folds))
        return parallel_map(_crossfit_task, tasks, n_jobs=self.n_jobs)

    def _fit_dml(self, Y, C, T, cov_type):
        n, p = T.shape
        out = self._crossfit(C, [Y] + [T[:, j] for j in range(p)])
        k = p + 1
        thetas, covs, m_hat, e_hat, resid_t = [], [], [], [], []
        self.nuisance_models_ = {"rewards": [], "features": []}
        for r in range(self.n_rep):
            block = out[r * k : (r + 1) * k]
            m = block[0][0]
            e = np.column_stack([b[0] for b in block[1:]])
            if r == 0:
                self._check_nuisance_predictions(m, e)
            self.nuisance_models_["rewards"].append(block[0][1])
            self.nuisance_models_["features"].append([b[1] for b in block[1:]])
            rt, ry = T - e, Y - m
            if r == 0:
                self._check_overlap(rt, T)
            beta, cov = self._final_stage(rt, ry, cov_type)
            thetas.append(beta)
            covs.append(cov)
            m_hat.append(m)
            e_hat.append(e)
            resid_t.append(rt)
        thetas = np.asarray(thetas)
        theta = np.median(thetas, axis=0)
        if self.n_rep == 1:
            cov = covs[0]
        else:
            dev = thetas - theta
            cov = np.median(
                [c + np.outer(d, d) for c, d in zip(covs, dev)], axis=0
            )  # DoubleML's aggregation on the diagonal
        self.coef_ = theta
        self.cov_ = cov
        self.coef_reps_ = thetas
        m_bar, e_bar = np.mean(m_hat, axis=0), np.mean(e_hat, axis=0)
        self.confounder_effect_ = m_bar - e_bar @ theta
        self.rewards_residuals_ = Y - m_bar
        self.features_residuals_ = T - e_bar
        self.df_resid_ = float(n - p)

    def _model_name(self, *, rewards: bool) -> str:
        if not rewards and self.model_features is not None:
            return "model_features"
        return "model_confounders" if self.model_confounders is not None else "the default model"

    def _check_nuisance_predictions(self, m: np.ndarray, e: np.ndarray) -> None:
        _check_nuisance(m, self._model_name(rewards=True), "rewards")
        for j in range(e.shape[1]):
            _check_nuisance(
                e[:, j], self._model_name(rewards=False), f"feature {self.feature_names_in_[j]!r}"
            )

    def _final_stage(self, rt, ry, cov_type):
        penalty = float(self.final_alpha)
        if penalty > 0:
            return _ridge_sandwich(rt, ry, penalty, cov_type, self._groups)
        params, cov, _ = ols_inference(rt, ry, cov_type=cov_type, groups=self._groups)
        return params, cov

    def _check_overlap(self, resid, raw):
        share, lam_min, cond, rank = _overlap_diagnostics(resid, raw)
        self.residual_variance_share_ = share
        self.condition_number_ = float(cond)
        p = raw.shape[1]
        msg = (
            f"the features partialled out on the confounders have numerical rank {rank} of {p} "
            f"(condition number of the standardised ΣT̃T̃ᵀ = {cond:.3g}; share of each feature's variance "
            f"left after removing the confounders: {np.array2string(share, precision=4)})"
        )
        if lam_min < _RANK_TOL and float(self.final_alpha) == 0.0:
            raise ValueError(
                f"features are (almost) fully determined by the confounders, no overlap: {msg}. "
                "Their effects are not identified; drop those features or use final_alpha > 0."
            )
        if lam_min < _WEAK_OVERLAP:
            warnings.warn(
                f"weak overlap: {msg}. Effects rest on little variation.",
                OverlapWarning,
                stacklevel=user_stacklevel(),
            )

    def _basis_matrix(self, C, *, fit: bool):
        if fit:
            if self.basis is None:
                self.basis_ = default_basis(C)
            elif hasattr(self.basis, "fit_transform"):
                self.basis_ = clone(self.basis)
            else:
                self.basis_ = self.basis
        basis = self.basis_
        if hasattr(basis, "fit_transform"):
            B = basis.fit_transform(C) if fit else basis.transform(C)
        else:
            B = basis(C)
        if hasattr(B, "toarray"):
            B = B.toarray()
        B = check_2d(np.asarray(B, dtype=float), "basis(confounders)", ensure_2d_from_1d=True)
        if B.shape[0] != C.shape[0]:
            raise ValueError(
                f"basis(confounders) returned {B.shape[0]} rows; expected {C.shape[0]}."
            )
        return B

    def _fit_joint(self, Y, C, T, cov_type):
        n, p = T.shape
        B = self._basis_matrix(C, fit=True)
        if n <= p + 1 + B.shape[1]:
            raise ValueError(
                f"method='joint': basis(confounders) has {B.shape[1]} columns; with {p} features and an "
                f"intercept the joint regression needs n_samples > {p + 1 + B.shape[1]}, got {n}. Use a "
                "smaller basis or method='dml'."
            )
        Bc = np.column_stack([np.ones(n), B])
        resid_t = T - Bc @ np.linalg.lstsq(Bc, T, rcond=None)[0]
        self._check_overlap(resid_t, T)
        design = np.column_stack([T, Bc])
        from statsmodels.tools.sm_exceptions import SingularMatrixWarning

        with warnings.catch_warnings():
            # a rank-deficient basis (e.g. duplicated confounders) leaves basis_coef_ non-unique; the
            # feature effects are identified (checked above) and their covariance is unaffected
            warnings.simplefilter("ignore", SingularMatrixWarning)
            params, cov, df = ols_inference(design, Y, cov_type=cov_type, groups=self._groups)
        self.coef_ = params[:p]
        self.cov_ = cov[:p, :p]
        self.basis_coef_ = params[p + 1 :]
        self.confounder_effect_ = B @ self.basis_coef_
        self.features_residuals_ = resid_t
        self.rewards_residuals_ = Y - Bc @ np.linalg.lstsq(Bc, Y, rcond=None)[0]
        self.df_resid_ = df

    def _fit_baseline(self, Y, C, T, cov_type):
        n, p = T.shape
        self.residual_variance_share_ = np.ones(p)
        self.condition_number_ = float(np.linalg.cond(np.corrcoef(T, rowvar=False).reshape(p, p)))
        if self.method == "naive":
            target = Y
            self.confounder_effect_ = np.zeros(n)
        else:
            out = self._crossfit(C, [Y])
            m = np.mean([o[0] for o in out], axis=0)
            _check_nuisance(m, self._model_name(rewards=True), "rewards")
            self.nuisance_models_ = {"rewards": [o[1] for o in out]}
            self.confounder_effect_ = m
            target = Y - m
        params, cov, df = ols_inference(
            T, target, add_intercept=True, cov_type=cov_type, groups=self._groups
        )
        self.coef_ = params[1:]
        self.cov_ = cov[1:, 1:]
        self.df_resid_ = df

    # -- using the fit --------------------------------------------------------------------------------
    def _confounder_effect(self, C: np.ndarray) -> np.ndarray:
        if self.method == "naive":
            return np.zeros(C.shape[0])
        if self.method == "joint":
            return self._basis_matrix(C, fit=False) @ self.basis_coef_
        reward_models = [m for rep in self.nuisance_models_["rewards"] for m in rep]
        m = np.mean([mod.predict(C) for mod in reward_models], axis=0)
        if self.method == "residualize_confounders":
            return m
        e = np.column_stack(
            [
                np.mean(
                    [mod.predict(C) for rep in self.nuisance_models_["features"] for mod in rep[j]],
                    axis=0,
                )
                for j in range(self.n_features_in_)
            ]
        )
        # the feature models were fitted on features / feature_scale_
        return m - (e * getattr(self, "feature_scale_", 1.0)) @ self.coef_

    def _check_confounders(self, confounders):
        C = check_2d(confounders, "confounders", ensure_2d_from_1d=True)
        if C.shape[1] != self.n_confounders_in_:
            raise ValueError(
                f"confounders has {C.shape[1]} column(s); the estimator was fitted with {self.n_confounders_in_}."
            )
        if getattr(self, "_confounder_names_given", False):
            # a DataFrame with other names or order: ValueError; an array: FeatureNamesWarning at the user's line
            check_feature_names(
                _confounder_names(self.confounder_names_),
                confounders,
                argument="confounders",
                stacklevel=user_stacklevel(),
            )
        return C

    def _check_features(self, features):
        T, _ = self._featurize(features, fit=False)
        if T.shape[1] != self.n_features_in_:
            raise ValueError(
                f"features has {T.shape[1]} column(s); the estimator was fitted with {self.n_features_in_}."
            )
        if getattr(self, "_feature_names_given", False):
            check_feature_names(self, features, argument="features", stacklevel=user_stacklevel())
        return T

    def transform(self, rewards: Any, features: Any = None, *, confounders: Any) -> np.ndarray:
        """Rewards with the fitted confounder effect removed (for new data).

        The confounder effect ``h_hat(C)`` of new rows averages the fold models ("dml"); on the training data
        prefer ``adjusted_rewards_`` / ``fit_transform``, which use out-of-fold predictions. ``features`` is
        optional: the adjustment depends on the confounders only; when given, its length and columns are
        checked.

        Returns
        -------
        ndarray of shape (n,), or a Series with the index of ``rewards`` when it is a pandas Series
        """
        check_is_fitted(self, "coef_")
        if confounders is None:
            raise ValueError("confounders is required; got None.")
        check_consistent_length(rewards=rewards, features=features, confounders=confounders)
        Y = check_1d(rewards, "rewards")
        C = self._check_confounders(confounders)
        if features is not None:
            self._check_features(features)
        shift = self.mean_confounder_effect_ if self.keep_mean else 0.0
        return _like_rewards(Y - self._confounder_effect(C) + shift, rewards)

    def fit_transform(
        self, rewards: Any, features: Any, *, confounders: Any, groups: Any = None
    ) -> np.ndarray:
        """Fit, then return (a copy of) the out-of-fold adjusted rewards ``adjusted_rewards_``."""
        fitted = self.fit(rewards, features, confounders=confounders, groups=groups)
        return fitted.adjusted_rewards_.copy()

    def predict(self, features: Any) -> np.ndarray:
        """Deconfounded reward of content: ``features @ coef_ + intercept_`` (texts are featurized first).

        Returns
        -------
        ndarray of shape (n,), or a Series with the index of ``features`` when it is a pandas DataFrame or
        Series
        """
        check_is_fitted(self, "coef_")
        T = self._check_features(features)
        return pandas_like(T @ self.coef_ + self.intercept_, features)

    def effect(self, X: Any = None) -> np.ndarray:
        """Constant marginal effect of each feature on the reward: ``coef_``.

        The partially linear model has no effect modifiers, so the effect of a unit change of feature ``j``
        is ``coef_[j]`` for every item. ``X`` only sets the rows of the answer.

        Parameters
        ----------
        X : array-like of shape (m, ...), optional
            Rows to report the effects for (their values are not used).

        Returns
        -------
        ndarray of shape (n_features,) without ``X``; of shape (m, n_features) with it, or a DataFrame indexed
        like ``X`` (columns: the feature names) when ``X`` is a pandas DataFrame or Series
        """
        check_is_fitted(self, "coef_")
        if X is None:
            return self.coef_.copy()
        check_consistent_length(X=X)
        m = len(X)
        out = np.tile(self.coef_, (m, 1))
        if isinstance(X, (pd.DataFrame, pd.Series)):
            return pd.DataFrame(
                out, index=X.index, columns=[str(c) for c in self.feature_names_in_]
            )
        return out

    def score(self, features: Any, y_randomized: Any) -> float:
        """Spearman rank correlation of ``predict(features)`` with rewards from randomised (A/B) data.

        A reward is used to rank candidates, so its quality on randomised data is how well it orders them.
        """
        pred = self.predict(features)
        y = check_1d(y_randomized, "y_randomized")
        check_consistent_length(features=pred, y_randomized=y)
        if y.shape[0] < 3:
            raise ValueError(f"score needs at least 3 rows to rank; got {y.shape[0]}.")
        if np.ptp(y) == 0:
            raise ValueError("y_randomized is constant: its rank correlation is undefined.")
        if np.ptp(pred) == 0:
            raise ValueError(
                "the predictions for these features are constant (coef_ is zero or the features do not "
                "vary): their rank correlation is undefined."
            )
        return float(stats.spearmanr(pred, y)[0])

    # -- inference ------------------------------------------------------------------------------------
    def _inference(self) -> EffectResult:
        """Feature effects with standard errors (``inference_``; terms are the feature names)."""
        label = {
            "dml": f"DML partialling-out ({self._cv_label()}-fold cross-fitting, n_rep={self.n_rep})",
            "joint": "joint OLS on features and a basis of the confounders (FWL)",
            "naive": "naive OLS of rewards on features (confounded baseline)",
            "residualize_confounders": "rewards residualized on confounders, then OLS on raw features (biased baseline)",
        }[self.method]
        info = {
            "Observations": self.n_samples_,
            "Confounders": ", ".join(map(str, self.confounder_names_)),
            "Covariance": "cluster" if self.n_clusters_ else self.cov_type,
        }
        if self.n_clusters_:
            info["Clusters"] = self.n_clusters_
        if self.method == "dml" and float(self.final_alpha) > 0:
            info["Final-stage ridge penalty"] = float(self.final_alpha)
        notes = [
            "Only the known confounders are removed; unobserved confounding is not handled.",
        ]
        if self.method in ("naive", "residualize_confounders"):
            notes.append("This is a biased baseline, not the deconfounded estimate.")
        return EffectResult(
            self.coef_,
            self.stderr_,
            names=[str(n) for n in self.feature_names_in_],
            method=label,
            extra={"naive": self.naive_coef_},
            info=info,
            notes=notes,
        )

    def _cv_label(self) -> str:
        return (
            str(self.cv)
            if isinstance(self.cv, numbers.Integral)
            else str(len(self.fold_indices_[0]))
        )


def _index_state(series: pd.Series) -> dict:
    """A Series' index and name as plain Python/numpy values (ints, str, arrays)."""
    idx = series.index
    if isinstance(idx, pd.RangeIndex):
        index: dict = {"start": int(idx.start), "stop": int(idx.stop), "step": int(idx.step)}
    elif isinstance(idx, pd.MultiIndex):
        index = {"tuples": [tuple(t) for t in idx], "names": list(idx.names)}
    else:
        index = {"values": idx.to_numpy(copy=True)}
    return {"index": index, "index_name": idx.name, "name": series.name}


def _index_restore(values: np.ndarray, labels: dict) -> pd.Series:
    """The Series :func:`_index_state` described, holding ``values``."""
    spec = labels["index"]
    if "start" in spec:
        index = pd.RangeIndex(spec["start"], spec["stop"], spec["step"], name=labels["index_name"])
    elif "tuples" in spec:
        index = pd.MultiIndex.from_tuples(spec["tuples"], names=spec["names"])
    else:
        index = pd.Index(spec["values"], name=labels["index_name"])
    return pd.Series(values, index=index, name=labels["name"])


def _like_rewards(values: np.ndarray, rewards: Any):
    """Adjusted rewards: a Series with the index (and name) of pandas ``rewards``, else the array."""
    if isinstance(rewards, pd.Series):
        return pd.Series(values, index=rewards.index, name=rewards.name)
    if isinstance(rewards, pd.DataFrame):  # a one-column frame
        return pd.Series(values, index=rewards.index, name=rewards.columns[0])
    return values


def _confounder_names(names: np.ndarray) -> RewardDeconfounder:
    """Stand-in carrying the fitted confounder names for :func:`check_feature_names` (messages name the class)."""
    stand_in = RewardDeconfounder.__new__(RewardDeconfounder)
    stand_in.__dict__.update(feature_names_in_=names, n_features_in_=len(names))
    return stand_in


def _default_text_featurizer(texts: list[str], seed: int | None):
    """TF-IDF + TruncatedSVD with ``min(20, vocabulary - 1, n - 1)`` components."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    vocab = len(TfidfVectorizer().fit(texts).vocabulary_)
    k = max(1, min(20, vocab - 1, len(texts) - 1))
    return make_pipeline(TfidfVectorizer(), TruncatedSVD(n_components=k, random_state=seed))
