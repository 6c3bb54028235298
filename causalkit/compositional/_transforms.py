"""Validation of compositions and the log-ratio transforms (closure, clr, alr, ilr).

All transforms are plain numpy. They are offered both as functions (``clr(X)``) and as scikit-learn transformers
(:class:`CLR`) with ``get_feature_names_out`` and therefore ``set_output(transform="pandas")``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from causalkit._base import check_2d, check_feature_names, check_finite, check_scalar_in_range

__all__ = [
    "ALR",
    "CLR",
    "ILR",
    "Closure",
    "alr",
    "check_composition",
    "closure",
    "clr",
    "helmert_basis",
    "ilr",
]


def check_composition(
    X: Any,
    name: str = "X",
    *,
    zero_replacement: str | float | None = None,
    min_parts: int = 3,
    return_names: bool = False,
):
    """Validate an ``n × D`` composition of positive parts, optionally replacing zeros.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_parts)
        Positive parts (proportions, percentages, counts). Rows need not sum to anything.
    name : str
        Argument name used in error messages.
    zero_replacement : None, "min" or float in (0, 1)
        ``None`` raises on zeros. ``"min"`` replaces every zero by the smallest non-zero value of the whole
        matrix (as R's propr does). A float ``delta`` closes each row and replaces its zeros by ``delta``,
        scaling the non-zero parts by ``1 - k·delta`` (multiplicative replacement, ``k`` zeros in the row), so
        the ratios between non-zero parts are kept.
    min_parts : int
        Smallest number of parts accepted.
    return_names : bool
        Also return the column names (``None`` for arrays).

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, n_parts), strictly positive
    names : numpy.ndarray or None
        Only when ``return_names``.

    Examples
    --------
    >>> check_composition([[1, 2, 0], [2, 2, 2]], zero_replacement="min")
    array([[1., 2., 1.],
           [2., 2., 2.]])
    """
    if isinstance(X, pd.DataFrame) and X.columns.duplicated().any():
        dup = list(dict.fromkeys(X.columns[X.columns.duplicated()].tolist()))
        raise ValueError(f"{name} has duplicate column names: {dup}; each part needs its own name.")
    if not hasattr(X, "columns") and X is not None and not sp.issparse(X):
        try:
            raw = np.asarray(X)
        except Exception:  # ragged input: let check_2d report it
            raw = None
        if raw is not None and raw.ndim == 1 and raw.dtype.kind in "biuf":
            raise ValueError(
                f"{name} must be 2-dimensional (n_samples, n_parts); got a 1-D array. Reshape your "
                "data, e.g. with X.reshape(1, -1) for a single composition."
            )
    arr, names = check_2d(X, name, min_samples=1, min_features=0, finite=False, return_names=True)
    if arr.shape[1] < min_parts:
        raise ValueError(
            f"{name} has {arr.shape[1]} feature(s) (shape={arr.shape}) while a minimum of {min_parts} is "
            "required: compositional partial correlations need at least 3 parts (columns)."
        )
    if arr.shape[0] < 1:
        raise ValueError(f"{name} needs at least 1 sample; got shape {arr.shape}.")
    check_finite(arr, name)
    if np.any(arr < 0):
        n_neg = int((arr < 0).sum())
        raise ValueError(
            f"Negative values in data passed to {name}: a composition holds non-negative parts; found "
            f"{n_neg} negative value(s). Pass the raw parts (counts, proportions, percentages), not "
            "log-ratios."
        )
    zeros = arr == 0
    if zeros.any():
        if zero_replacement is None:
            raise ValueError(
                f"{name} contains {int(zeros.sum())} zero(s); log-ratios are undefined at zero. "
                "Set zero_replacement='min' (smallest non-zero value, as propr does) or a float delta in "
                "(0, 1) for multiplicative replacement."
            )
        if np.any(zeros.all(axis=1)):
            raise ValueError(f"{name} has rows whose parts are all zero; drop them first.")
        if isinstance(zero_replacement, str):
            if zero_replacement != "min":
                raise ValueError(
                    f"zero_replacement must be None, 'min' or a float in (0, 1); got {zero_replacement!r}."
                )
            arr = np.where(zeros, arr[~zeros].min(), arr)
        else:
            delta = check_scalar_in_range(
                zero_replacement,
                "zero_replacement",
                low=0,
                high=1,
                low_inclusive=False,
                high_inclusive=False,
            )
            closed = arr / arr.sum(axis=1, keepdims=True)
            k = zeros.sum(axis=1, keepdims=True)
            if np.any(k * delta >= 1):
                raise ValueError(
                    f"zero_replacement={delta} is too large: a row with {int(k.max())} zeros would get "
                    "a total replacement mass >= 1."
                )
            arr = np.where(zeros, delta, closed * (1 - k * delta))
    elif zero_replacement is not None:
        _check_zero_replacement_value(zero_replacement)
    return (arr, names) if return_names else arr


def _check_zero_replacement_value(value: Any) -> None:
    if isinstance(value, str):
        if value != "min":
            raise ValueError(
                f"zero_replacement must be None, 'min' or a float in (0, 1); got {value!r}."
            )
        return
    check_scalar_in_range(
        value, "zero_replacement", low=0, high=1, low_inclusive=False, high_inclusive=False
    )


def closure(X: Any, total: float = 1.0) -> np.ndarray:
    """Rescale each row to sum to ``total`` (a finite number > 0).

    Examples
    --------
    >>> closure([[1, 1, 2]])
    array([[0.25, 0.25, 0.5 ]])
    """
    total = check_scalar_in_range(total, "total", low=0, low_inclusive=False)
    arr = check_composition(X)
    return total * arr / arr.sum(axis=1, keepdims=True)


def clr(X: Any) -> np.ndarray:
    """Centred log-ratio: ``log x - mean(log x)`` per row.

    Examples
    --------
    >>> clr([[1.0, 1.0, 1.0]])
    array([[0., 0., 0.]])
    """
    L = np.log(check_composition(X))
    return L - L.mean(axis=1, keepdims=True)


def _resolve_reference(reference: Any, D: int) -> int:
    if isinstance(reference, bool) or not isinstance(reference, numbers.Integral):
        raise TypeError(
            f"reference must be an integer column index; got {type(reference).__name__}."
        )
    if not -D <= int(reference) < D:
        raise ValueError(f"reference must be in [-{D}, {D - 1}] for {D} parts; got {reference}.")
    return int(reference) % D


def alr(X: Any, reference: int = -1) -> np.ndarray:
    """Additive log-ratio ``log(x_k / x_reference)`` for every ``k != reference`` (in column order).

    Examples
    --------
    >>> alr([[1.0, np.e, 1.0]])
    array([[0., 1.]])
    """
    arr = check_composition(X)
    r = _resolve_reference(reference, arr.shape[1])
    L = np.log(arr)
    return np.delete(L, r, axis=1) - L[:, [r]]


def helmert_basis(D: int) -> np.ndarray:
    """Orthonormal ``D × (D-1)`` contrast basis (normalised Helmert), columns orthogonal to the ones vector.

    Column ``k`` contrasts the first ``k + 1`` parts with part ``k + 1``.

    Examples
    --------
    >>> V = helmert_basis(4)
    >>> np.allclose(V.T @ V, np.eye(3)), np.allclose(V.sum(axis=0), 0)
    (True, True)
    """
    if isinstance(D, bool) or not isinstance(D, numbers.Integral) or D < 2:
        raise ValueError(f"D must be an integer >= 2; got {D!r}.")
    D = int(D)
    if D * (D - 1) * 8 > _MAX_BASIS_BYTES:
        raise ValueError(
            f"D={D} is too large: the D x (D-1) basis would take {D * (D - 1) * 8 / 2**30:.4g} GiB "
            f"(at most {_MAX_BASIS_BYTES // 2**30} GiB, D <= {_MAX_HELMERT_D}); ilr coordinates of that "
            "many parts are better computed without materialising the basis."
        )
    V = np.zeros((D, D - 1))
    for k in range(1, D):
        V[:k, k - 1] = 1.0 / np.sqrt(k * (k + 1))
        V[k, k - 1] = -k / np.sqrt(k * (k + 1))
    return V


#: largest Helmert basis :func:`helmert_basis` builds (8 GiB of float64, D = 32768)
_MAX_BASIS_BYTES = 8 * 2**30
_MAX_HELMERT_D = 32768


def _check_ilr_basis(basis: Any, D: int) -> np.ndarray:
    if isinstance(basis, str):
        if basis != "helmert":
            raise ValueError(f"basis must be 'helmert' or a (D, D-1) array; got {basis!r}.")
        return helmert_basis(D)
    V = check_2d(basis, "basis")
    if V.shape != (D, D - 1):
        raise ValueError(f"basis must have shape ({D}, {D - 1}) for {D} parts; got {V.shape}.")
    # entries of orthonormal columns are at most 1 in magnitude: checked first, so that V.T @ V of a
    # wildly scaled basis cannot overflow
    if (
        np.max(np.abs(V)) > 1 + 1e-8
        or not np.allclose(V.T @ V, np.eye(D - 1), atol=1e-8)
        or not np.allclose(V.sum(axis=0), 0, atol=1e-8)
    ):
        raise ValueError(
            "basis must have orthonormal columns that are orthogonal to the ones vector "
            "(V.T @ V = I and V.sum(axis=0) = 0)."
        )
    return V


def ilr(X: Any, basis: str | np.ndarray = "helmert") -> np.ndarray:
    """Isometric log-ratio ``clr(X) @ V`` for an orthonormal contrast basis ``V``.

    Examples
    --------
    >>> ilr([[1.0, 1.0, 1.0]]).shape
    (1, 2)
    """
    C = clr(X)
    return C @ _check_ilr_basis(basis, C.shape[1])


def _softmax_rows(C: np.ndarray) -> np.ndarray:
    """Closed compositions ``exp(C) / sum(exp(C))`` per row, stable for any finite coordinates."""
    if not np.all(np.isfinite(C)):
        raise ValueError(
            "X: the log-ratio coordinates are too large in magnitude to map back to compositions "
            "(they overflow double precision)."
        )
    with np.errstate(over="ignore"):  # C - max may reach -inf: that part's proportion is 0
        E = np.exp(C - C.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


class _CompositionTransformer(TransformerMixin, BaseEstimator):
    """Shared ``fit``: validate, record ``n_features_in_`` and ``feature_names_in_``."""

    def fit(self, X: Any, y: Any = None):
        """Record the number and names of the parts; returns self."""
        arr, names = check_composition(X, zero_replacement=self.zero_replacement, return_names=True)
        self.n_features_in_ = arr.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):  # refitted on an array: forget the old names
            del self.feature_names_in_
        self._validate_params_for(arr.shape[1])
        return self

    def _validate_params_for(self, D: int) -> None:  # pragma: no cover - overridden where needed
        return None

    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        shape = getattr(X, "shape", None)
        if shape is None:
            shape = np.asarray(X).shape
        D = shape[1] if len(shape) == 2 else None
        if D is not None and D != self.n_features_in_:
            raise ValueError(
                f"X has {D} features, but {type(self).__name__} is expecting {self.n_features_in_} "
                "features as input."
            )
        check_feature_names(self, X, argument="X")
        return check_composition(X, zero_replacement=self.zero_replacement)

    def _check_input_features(self, input_features: Any) -> list[str]:
        """scikit-learn's rule: ``input_features`` must match ``feature_names_in_`` / ``n_features_in_``."""
        return [str(n) for n in _check_feature_names_in(self, input_features)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class Closure(OneToOneFeatureMixin, _CompositionTransformer):
    """Close each row to a constant sum (``total``).

    Parameters
    ----------
    total : float, default 1.0
        Row sum after closure (1 for proportions, 100 for percentages).
    zero_replacement : None, "min" or float in (0, 1), default None
        See :func:`check_composition`; ``None`` raises on zeros.

    Examples
    --------
    >>> Closure(total=100).fit_transform([[1, 1, 2]])
    array([[25., 25., 50.]])
    """

    def __init__(self, total: float = 1.0, *, zero_replacement: str | float | None = None):
        self.total = total
        self.zero_replacement = zero_replacement

    def _validate_params_for(self, D: int) -> None:
        check_scalar_in_range(self.total, "total", low=0, low_inclusive=False)

    def transform(self, X: Any) -> np.ndarray:
        """Return the closed rows."""
        return closure(self._check_X(X), total=float(self.total))


class CLR(OneToOneFeatureMixin, _CompositionTransformer):
    """Centred log-ratio transform (rows of ``log x`` centred); invertible up to closure.

    Parameters
    ----------
    zero_replacement : None, "min" or float in (0, 1), default None
        See :func:`check_composition`; ``None`` raises on zeros.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 1.0], "c": [1.0, 0.5]})
    >>> CLR().set_output(transform="pandas").fit_transform(X).round(3)
           a    b      c
    0  0.000  0.0  0.000
    1  0.693  0.0 -0.693
    """

    def __init__(self, zero_replacement: str | float | None = None):
        self.zero_replacement = zero_replacement

    def transform(self, X: Any) -> np.ndarray:
        """Return ``clr(X)``."""
        return clr(self._check_X(X))

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Map clr coordinates back to closed compositions (rows summing to 1)."""
        check_is_fitted(self, "n_features_in_")
        C = check_2d(X, "X")
        if C.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} columns; got {C.shape[1]}.")
        return _softmax_rows(C)


class ALR(_CompositionTransformer):
    """Additive log-ratio transform against one reference part.

    Parameters
    ----------
    reference : int, default -1
        Column index of the reference part (negative indices count from the end).
    zero_replacement : None, "min" or float in (0, 1), default None
        See :func:`check_composition`; ``None`` raises on zeros.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 1.0], "c": [1.0, 1.0]})
    >>> ALR().fit(X).get_feature_names_out().tolist()
    ['alr_a', 'alr_b']
    >>> ALR(reference=0).set_output(transform="pandas").fit_transform(X).round(3)
       alr_b  alr_c
    0  0.000  0.000
    1 -0.693 -0.693
    """

    def __init__(self, reference: int = -1, *, zero_replacement: str | float | None = None):
        self.reference = reference
        self.zero_replacement = zero_replacement

    def _validate_params_for(self, D: int) -> None:
        self.reference_ = _resolve_reference(self.reference, D)

    def transform(self, X: Any) -> np.ndarray:
        """Return ``log(x_k / x_ref)`` for ``k != ref``."""
        return alr(self._check_X(X), reference=self.reference_)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Map alr coordinates back to closed compositions (rows summing to 1)."""
        check_is_fitted(self, "reference_")
        A = check_2d(X, "X")
        if A.shape[1] != self.n_features_in_ - 1:
            raise ValueError(f"X must have {self.n_features_in_ - 1} columns; got {A.shape[1]}.")
        return _softmax_rows(np.insert(A, self.reference_, 0.0, axis=1))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``alr_<part>`` (the coordinate ``log(part / reference)``), every part but the reference."""
        check_is_fitted(self, "reference_")
        names = self._check_input_features(input_features)
        return np.asarray(
            [f"alr_{n}" for k, n in enumerate(names) if k != self.reference_], dtype=object
        )


class ILR(_CompositionTransformer):
    """Isometric log-ratio transform ``clr(X) @ V``.

    Parameters
    ----------
    basis : "helmert" or array of shape (D, D-1), default "helmert"
        Orthonormal contrast basis whose columns are orthogonal to the ones vector. Partial correlations do
        not depend on this choice.
    zero_replacement : None, "min" or float in (0, 1), default None
        See :func:`check_composition`; ``None`` raises on zeros.

    Examples
    --------
    >>> ILR().fit([[1.0, 2.0, 3.0]]).get_feature_names_out().tolist()
    ['ilr0', 'ilr1']
    """

    def __init__(
        self, basis: str | np.ndarray = "helmert", *, zero_replacement: str | float | None = None
    ):
        self.basis = basis
        self.zero_replacement = zero_replacement

    def _validate_params_for(self, D: int) -> None:
        self.basis_ = _check_ilr_basis(self.basis, D)

    def transform(self, X: Any) -> np.ndarray:
        """Return the ilr coordinates."""
        return clr(self._check_X(X)) @ self.basis_

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Map ilr coordinates back to closed compositions (rows summing to 1)."""
        check_is_fitted(self, "basis_")
        Z = check_2d(X, "X")
        if Z.shape[1] != self.basis_.shape[1]:
            raise ValueError(f"X must have {self.basis_.shape[1]} columns; got {Z.shape[1]}.")
        with np.errstate(over="ignore", invalid="ignore"):  # reported by _softmax_rows
            C = Z @ self.basis_.T
        return _softmax_rows(C)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names ``ilr0 .. ilr{D-2}``."""
        check_is_fitted(self, "basis_")
        self._check_input_features(input_features)
        return np.asarray([f"ilr{k}" for k in range(self.basis_.shape[1])], dtype=object)
