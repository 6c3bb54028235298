"""Input validation shared by every causalkit estimator.

Every check names the argument it looked at and says what was expected and what it got, so that
an error raised deep inside an estimator still points the user at the right input.
"""

from __future__ import annotations

import numbers
import os
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from ..exceptions import ClusterWarning, OverlapWarning

__all__ = [
    "as_list_of_names",
    "check_1d",
    "check_2d",
    "check_binary_treatment",
    "check_consistent_length",
    "check_finite",
    "check_generator",
    "check_groups",
    "check_random_state",
    "check_scalar_in_range",
    "check_weights",
    "feature_names_of",
    "user_stacklevel",
    "warn_no_overlap",
]


def check_random_state(seed: Any, name: str = "random_state") -> np.random.RandomState:
    """Turn ``seed`` into a :class:`numpy.random.RandomState`.

    As scikit-learn's, except that ``None`` gives a fresh RandomState seeded from OS entropy, never numpy's
    global one: drawing from it must not change the caller's global RNG state.

    Examples
    --------
    >>> state = np.random.get_state()[1].copy()
    >>> _ = check_random_state(None).normal(size=3)
    >>> bool((np.random.get_state()[1] == state).all())
    True
    """
    if seed is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, np.random.RandomState):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, an int or a RandomState; got {type(seed).__name__}.")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"{name} must be in [0, 2**32 - 1]; got {int(seed)}.")
    return np.random.RandomState(int(seed))


def check_generator(seed: Any) -> np.random.Generator:
    """Turn ``seed`` into a :class:`numpy.random.Generator`.

    A Generator is returned as is; an int or None seeds a new one; a RandomState contributes one draw as the
    seed (so a seeded RandomState gives a reproducible Generator).

    Examples
    --------
    >>> float(check_generator(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**31 - 1))
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(None if seed is None else int(seed))
    raise TypeError(
        f"random_state must be None, an int, a RandomState or a Generator; got {type(seed).__name__}."
    )


def feature_names_of(X: Any, name: str = "X") -> np.ndarray | None:
    """Column names of a DataFrame (as an object array of str), ``None`` for arrays.

    Raises
    ------
    TypeError
        If a DataFrame has non-string column names (mixed names cannot be kept reliably).
    """
    if isinstance(X, pd.DataFrame):
        cols = list(X.columns)
        if not all(isinstance(c, str) for c in cols):
            if all(isinstance(c, numbers.Integral) for c in cols):
                return None
            raise TypeError(
                f"{name}: DataFrame column names must all be strings; got {[type(c).__name__ for c in cols][:5]}"
            )
        return np.asarray(cols, dtype=object)
    if isinstance(X, pd.Series) and X.name is not None and X.ndim == 1:
        return None
    return None


def check_finite(a: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` naming ``name`` if ``a`` holds NaN or infinite values."""
    if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        n_nan = int(np.isnan(a).sum())
        n_inf = int(np.isinf(a).sum())
        raise ValueError(f"{name} must be finite; found {n_nan} NaN and {n_inf} infinite value(s).")
    return a


def _to_numeric(a: Any, name: str, dtype=np.float64) -> np.ndarray:
    import scipy.sparse as sp

    if sp.issparse(a):
        raise TypeError(f"{name}: sparse input is not supported; pass a dense array.")
    if isinstance(a, (pd.DataFrame, pd.Series)):
        bad = (
            [
                c
                for c in a.columns
                if not pd.api.types.is_numeric_dtype(a[c]) and not pd.api.types.is_bool_dtype(a[c])
            ]
            if isinstance(a, pd.DataFrame)
            else (
                []
                if pd.api.types.is_numeric_dtype(a) or pd.api.types.is_bool_dtype(a)
                else [a.name]
            )
        )
        if bad:
            raise TypeError(f"{name} must be numeric; non-numeric column(s): {bad}")
        a = a.to_numpy()
    if (
        hasattr(a, "__array__")
        and not isinstance(a, np.ndarray)
        and type(a).__module__.startswith("dask")
    ):
        raise TypeError(f"{name}: dask arrays are not accepted here; call .compute() first")
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError):
        raw = None  # ragged input: the conversion below reports it
    if raw is not None and raw.dtype.kind == "c":
        raise ValueError(f"{name}: Complex data not supported; expected real numbers.")
    try:
        arr = np.asarray(a if raw is None else raw, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be numeric array-like; got {type(a).__name__} ({exc})"
        ) from None
    return arr


def check_1d(
    a: Any,
    name: str,
    *,
    dtype=np.float64,
    allow_2d_column: bool = True,
    min_samples: int = 1,
    finite: bool = True,
) -> np.ndarray:
    """Validate a 1-D numeric vector.

    Parameters
    ----------
    a : array-like
        The input.
    name : str
        Argument name used in error messages.
    allow_2d_column : bool, default True
        Accept an ``(n, 1)`` column and ravel it.
    min_samples : int, default 1
        Minimum length.
    finite : bool, default True
        Reject NaN and inf.

    Returns
    -------
    numpy.ndarray of shape (n,)

    Examples
    --------
    >>> check_1d([1, 2, 3], "y")
    array([1., 2., 3.])
    """
    if a is None:
        raise ValueError(f"{name} is required; got None.")
    arr = _to_numeric(a, name, dtype)
    if arr.ndim == 2 and allow_2d_column and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional with shape (n,); got shape {arr.shape}.")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} sample(s); got {arr.shape[0]}.")
    if finite:
        check_finite(arr, name)
    return arr


def check_2d(
    X: Any,
    name: str = "X",
    *,
    dtype=np.float64,
    min_samples: int = 1,
    min_features: int = 1,
    finite: bool = True,
    ensure_2d_from_1d: bool = False,
    return_names: bool = False,
):
    """Validate a 2-D numeric matrix, keeping DataFrame column names.

    Parameters
    ----------
    X : array-like or DataFrame
    name : str
        Argument name for messages.
    ensure_2d_from_1d : bool, default False
        Reshape a 1-D input to a single column instead of raising.
    return_names : bool, default False
        Also return the column names (``None`` for arrays).

    Returns
    -------
    X : numpy.ndarray of shape (n, p)
    names : numpy.ndarray or None
        Only when ``return_names``.

    Examples
    --------
    >>> import pandas as pd
    >>> X, names = check_2d(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), return_names=True)
    >>> list(names)
    ['a', 'b']
    """
    if X is None:
        raise ValueError(f"{name} is required; got None.")
    names = feature_names_of(X, name)
    arr = _to_numeric(X, name, dtype)
    if arr.ndim == 1 and ensure_2d_from_1d:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-dimensional with shape (n_samples, n_features); got shape {arr.shape}."
        )
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} sample(s); got {arr.shape[0]}.")
    if arr.shape[1] < min_features:
        raise ValueError(f"{name} needs at least {min_features} feature(s); got {arr.shape[1]}.")
    if finite:
        check_finite(arr, name)
    return (arr, names) if return_names else arr


def check_consistent_length(**arrays: Any) -> int:
    """Check that all named arrays (``None`` skipped) have the same first dimension.

    Returns the common length.

    Examples
    --------
    >>> check_consistent_length(X=[[1], [2]], y=[1, 2])
    2
    """
    lengths = {}
    for k, v in arrays.items():
        if v is None:
            continue
        shape = getattr(v, "shape", None)
        if shape is not None:
            if len(shape) == 0:
                raise ValueError(f"{k} must be an array of samples; got a scalar.")
            lengths[k] = shape[0]
        elif hasattr(v, "__len__"):
            lengths[k] = len(v)
        else:
            raise TypeError(f"{k} must be array-like; got {type(v).__name__}.")
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise ValueError(
            f"Inputs have mismatched lengths ({detail}); they must describe the same samples."
        )
    return next(iter(lengths.values())) if lengths else 0


def check_binary_treatment(t: Any, name: str = "treatment") -> np.ndarray:
    """Validate a binary 0/1 (or boolean) treatment vector; returns floats in {0, 1}.

    Raises
    ------
    ValueError
        If values other than 0 and 1 occur, or if only one arm is present.
    """
    arr = check_1d(t, name)
    values = np.unique(arr)
    if not np.all(np.isin(values, [0.0, 1.0])):
        shown = values[:5]
        raise ValueError(
            f"{name} must be binary with values 0/1; got {len(values)} distinct values, e.g. {shown}. "
            "If this is an outcome, check the argument order."
        )
    if len(values) < 2:
        raise ValueError(
            f"{name} must contain both treated (1) and control (0) units; got only {values}."
        )
    return arr


def check_weights(w: Any, n: int, name: str = "sample_weight") -> np.ndarray | None:
    """Validate non-negative, finite sample weights of length ``n`` (``None`` passes through)."""
    if w is None:
        return None
    arr = check_1d(w, name)
    if arr.shape[0] != n:
        raise ValueError(f"{name} has length {arr.shape[0]}; expected {n} (one weight per sample).")
    if np.any(arr < 0):
        raise ValueError(
            f"{name} must be non-negative; found {int((arr < 0).sum())} negative weight(s)."
        )
    if arr.sum() <= 0:
        raise ValueError(f"{name} must have a positive sum.")
    return arr


def check_groups(groups: Any, n: int, name: str = "groups") -> np.ndarray | None:
    """Validate a cluster/group label vector of length ``n`` (any hashable labels)."""
    if groups is None:
        return None
    arr = np.asarray(groups.to_numpy() if isinstance(groups, (pd.Series, pd.Index)) else groups)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional; got shape {arr.shape}.")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has length {arr.shape[0]}; expected {n}.")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or inf.")
    if arr.dtype.kind == "O" and pd.isna(arr).any():
        raise ValueError(f"{name} must not contain missing labels (None/NaN).")
    return arr


#: Below this many clusters, cluster-robust standard errors and cluster bootstraps are unreliable.
FEW_CLUSTERS = 20


def check_n_clusters(
    groups: np.ndarray | None, name: str = "groups", *, stacklevel: int = 3
) -> int:
    """Count the clusters in ``groups``; refuse fewer than two and warn below :data:`FEW_CLUSTERS`.

    Returns 0 when ``groups`` is None (no clustering).
    """
    if groups is None:
        return 0
    # factorize, not np.unique: labels of mixed types (1 and "a") cannot be sorted but are valid clusters
    codes, uniques = pd.factorize(np.asarray(groups, dtype=object).ravel())
    if (codes < 0).any():
        raise ValueError(f"{name} must not contain missing labels (None/NaN).")
    n_clusters = len(uniques)
    if n_clusters < 2:
        raise ValueError(
            f"{name} has {n_clusters} distinct cluster(s); cluster-robust inference needs at least 2 "
            "(and at least about 20 to be reliable)."
        )
    if n_clusters < FEW_CLUSTERS:
        warnings.warn(
            f"{name} has only {n_clusters} clusters: cluster-robust inference is unreliable with fewer "
            f"than {FEW_CLUSTERS}; intervals may be far too narrow or too wide.",
            ClusterWarning,
            stacklevel=stacklevel,
        )
    return n_clusters


def check_feature_names(
    estimator: Any, X: Any, *, argument: str = "X", stacklevel: int | None = None
) -> None:
    """At predict/transform time, check ``X``'s columns against those seen in ``fit``.

    Follows scikit-learn: if ``fit`` saw named columns (``feature_names_in_``), a DataFrame with other names or
    another order is refused (a ``ValueError`` naming the difference) rather than silently used by position.
    With ``stacklevel`` given, names on one side only (fit with names and an unnamed array now, or the reverse)
    raise a :class:`~causalkit.exceptions.FeatureNamesWarning` at that stack level, as scikit-learn warns. The
    number of columns is checked against ``n_features_in_`` when present.
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    columns = getattr(X, "columns", None)  # pandas or dask DataFrame
    # scikit-learn's rule: feature names are valid only when every column name is a string
    named = columns is not None and len(columns) > 0 and all(isinstance(c, str) for c in columns)
    if (
        stacklevel is not None
        and (fitted is None) == named
        and hasattr(estimator, "n_features_in_")
    ):
        from ..exceptions import FeatureNamesWarning

        owner = type(estimator).__name__
        message = (
            f"{argument} has feature names, but {owner} was fitted without feature names"
            if named
            else f"{argument} does not have valid feature names, but {owner} was fitted with feature names"
        )
        warnings.warn(
            message + "; its columns are used by position.",
            FeatureNamesWarning,
            stacklevel=stacklevel + 1,
        )
    if columns is not None:
        given = [str(c) for c in columns]
        if fitted is not None:
            expected = [str(c) for c in fitted]
            if given != expected:
                missing = [c for c in expected if c not in given]
                unseen = [c for c in given if c not in expected]
                detail = []
                if missing:
                    detail.append(f"missing {missing}")
                if unseen:
                    detail.append(f"not seen in fit {unseen}")
                if not detail:
                    detail.append("same names in another order")
                raise ValueError(
                    f"{argument} has columns {given}, but fit saw {expected} ({'; '.join(detail)}). "
                    "Pass the columns in the order used in fit."
                )
    n_expected = getattr(estimator, "n_features_in_", None)
    shape = getattr(X, "shape", None)
    if n_expected is not None and shape is not None and len(shape) == 2 and shape[1] != n_expected:
        raise ValueError(f"{argument} has {shape[1]} columns; fit saw {n_expected}.")


def check_scalar_in_range(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_inf: bool = False,
) -> float:
    """Validate a real scalar parameter against a range; returns it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    value = float(value)
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite; got {value}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}; got {value}.")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}; got {value}.")
    return value


def check_int(
    value: Any,
    name: str,
    *,
    low: int | None = None,
    high: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """Validate an integer parameter (``bool`` is not an integer here) against ``[low, high]``; returns an int.

    Examples
    --------
    >>> check_int(5, "n_boot", low=2)
    5
    >>> check_int(True, "n_boot")
    Traceback (most recent call last):
    ...
    TypeError: n_boot must be an integer; got bool.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}.")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}; got {value}.")
    return value


# frames a warning skips to reach the user's call: causalkit/ and scikit-learn/ (whose ``set_output`` and
# meta-estimator wrappers can sit between a user and an estimator method)
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (os.path.dirname(__file__), sklearn.__file__)  # causalkit/, sklearn/
)


def user_stacklevel() -> int:
    """``stacklevel`` that makes a ``warnings.warn`` in the calling function point at the user's line.

    Counts the frames from the caller up to the first one outside causalkit and scikit-learn, so a warning is
    attributed to the user's call whichever public entry point (``fit``, ``transform``, a function) led there.
    """
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARY_DIRS):
        frame = frame.f_back
        level += 1
    return level


def warn_no_overlap(
    propensity: np.ndarray,
    clip: tuple[float, float],
    name: str = "propensity",
    *,
    stacklevel: int = 3,
) -> int:
    """Warn (with the count) when estimated propensities reach the clipping bounds."""
    lo, hi = clip
    n_bad = int(np.sum((propensity <= lo) | (propensity >= hi)))
    if n_bad:
        warnings.warn(
            f"{n_bad} of {propensity.shape[0]} {name} values are at the clipping bounds {clip}: "
            "overlap is weak and effect estimates there rest on extrapolation.",
            OverlapWarning,
            stacklevel=stacklevel,
        )
    return n_bad


def as_list_of_names(
    names: Sequence[str] | np.ndarray | None, p: int, prefix: str = "x"
) -> list[str]:
    """Names for ``p`` columns: the given ones, or ``prefix0 .. prefix{p-1}``."""
    if names is None:
        return [f"{prefix}{j}" for j in range(p)]
    names = [str(n) for n in names]
    if len(names) != p:
        raise ValueError(f"expected {p} names; got {len(names)}")
    return names


def pandas_like(
    values: np.ndarray, like: Any, *, name: str | None = None, columns: Sequence[str] | None = None
):
    """``values`` as pandas indexed like ``like`` when ``like`` is a DataFrame/Series (pandas in, pandas out).

    A 1-D ``values`` becomes a Series called ``name``; a 2-D one a DataFrame with ``columns``. Any other ``like``
    (an ndarray, a list, a dask array) leaves ``values`` unchanged.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, 2.0]}, index=["a", "b"])
    >>> pandas_like(np.array([3.0, 4.0]), frame, name="effect").index.tolist()
    ['a', 'b']
    """
    if not isinstance(like, (pd.DataFrame, pd.Series)):
        return values
    if np.ndim(values) == 1:
        return pd.Series(values, index=like.index, name=name)
    return pd.DataFrame(values, index=like.index, columns=columns)
