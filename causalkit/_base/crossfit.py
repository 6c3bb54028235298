"""The cross-fitting engine shared by every double-ML / R-learner style estimator.

One function, :func:`crossfit_predict`, produces out-of-fold predictions of a nuisance model: for each fold, a
``clone`` of the model is fitted on the other folds and predicts the held-out one, so no unit's prediction comes
from a model that saw it. Splits are built by :func:`make_splitter` from scikit-learn splitters: stratified when
the target is binary, grouped when ``groups`` are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

from .parallel import parallel_map, root_seed

__all__ = ["CrossFitResult", "crossfit_predict", "make_folds", "make_splitter"]


def make_splitter(
    cv: Any = 5,
    *,
    stratify: bool = False,
    groups: np.ndarray | None = None,
    random_state: Any = None,
):
    """Build a scikit-learn splitter.

    Parameters
    ----------
    cv : int or splitter
        Number of folds, or any object with ``split`` (returned unchanged).
    stratify : bool
        Use :class:`~sklearn.model_selection.StratifiedKFold` (binary targets).
    groups : array or None
        When given, folds never split a group (:class:`~sklearn.model_selection.GroupKFold`).
    random_state : int, RandomState or None
        Shuffling seed.
    """
    if hasattr(cv, "split"):
        return cv
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2 or a scikit-learn splitter; got {cv!r}.")
    seed = root_seed(random_state) % (2**32)
    if groups is not None:
        try:
            return GroupKFold(n_splits=int(cv), shuffle=True, random_state=seed)
        except TypeError:  # scikit-learn < 1.6 has no shuffling GroupKFold
            return GroupKFold(n_splits=int(cv))
    if stratify:
        return StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=seed)
    return KFold(n_splits=int(cv), shuffle=True, random_state=seed)


def make_folds(
    n: int,
    cv: Any = 5,
    *,
    stratify_by: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    random_state: Any = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Materialize ``(train_idx, test_idx)`` pairs once, so several nuisances share the same folds."""
    splitter = make_splitter(
        cv, stratify=stratify_by is not None, groups=groups, random_state=random_state
    )
    dummy = np.zeros((n, 1))
    y = stratify_by if stratify_by is not None else np.zeros(n)
    folds = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(dummy, y, groups)]
    covered = np.zeros(n, dtype=int)
    for _, te in folds:
        covered[te] += 1
    if not np.all(covered == 1):
        raise ValueError(
            "cv must partition the samples: every unit must be in exactly one test fold."
        )
    return folds


@dataclass
class CrossFitResult:
    """Out-of-fold predictions and the fitted per-fold models."""

    predictions: np.ndarray
    models: list[Any] = field(default_factory=list)
    folds: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def _fit_one(args):
    estimator, X, y, train, test, method, sample_weight = args
    model = clone(estimator)
    if sample_weight is not None:
        model.fit(X[train], y[train], sample_weight=sample_weight[train])
    else:
        model.fit(X[train], y[train])
    if method == "predict_proba":
        pred = model.predict_proba(X[test])[:, 1]
    else:
        pred = getattr(model, method)(X[test])
    return model, np.asarray(pred, dtype=float)


def crossfit_predict(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    cv: Any = 5,
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
    method: str = "auto",
    groups: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    random_state: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> CrossFitResult:
    """Cross-fitted (out-of-fold) predictions of ``estimator``.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Cloned for each fold, never fitted in place.
    X : ndarray of shape (n, p)
    y : ndarray of shape (n,) or (n, k)
    cv : int or splitter
        Ignored when ``folds`` is given.
    folds : list of (train, test) index arrays, optional
        Precomputed folds (see :func:`make_folds`), to share splits across nuisances.
    method : {"auto", "predict", "predict_proba", "decision_function"}
        ``"auto"`` uses ``predict_proba[:, 1]`` for classifiers and ``predict`` otherwise.
    groups : array, optional
        Grouped folds (clusters never split).
    n_jobs : int, optional
        Folds in parallel through joblib.

    Returns
    -------
    CrossFitResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2)); y = X @ [1.0, 2.0]
    >>> res = crossfit_predict(LinearRegression(), X, y, cv=2, random_state=0)
    >>> bool(np.allclose(res.predictions, y))
    True
    """
    n = X.shape[0]
    if method == "auto":
        method = (
            "predict_proba"
            if is_classifier(estimator) and hasattr(estimator, "predict_proba")
            else "predict"
        )
    if folds is None:
        binary = y.ndim == 1 and np.all(np.isin(np.unique(y), [0, 1]))
        folds = make_folds(
            n,
            cv,
            stratify_by=y if (binary and groups is None) else None,
            groups=groups,
            random_state=random_state,
        )
    tasks = [(estimator, X, y, tr, te, method, sample_weight) for tr, te in folds]
    fitted = parallel_map(_fit_one, tasks, n_jobs=n_jobs, verbose=verbose, desc="cross-fitting")
    first = fitted[0][1]
    preds = np.empty((n, *first.shape[1:]), dtype=float)
    models = []
    for (_tr, te), (model, pred) in zip(folds, fitted):
        preds[te] = pred
        models.append(model)
    return CrossFitResult(predictions=preds, models=models, folds=list(folds))
