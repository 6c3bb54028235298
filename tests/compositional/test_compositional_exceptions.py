"""Bad input gives clear errors naming the argument (spec §5.8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from causalkit.compositional import (
    ALR,
    CLR,
    ILR,
    CompositionalPartialCorrelation,
    alr,
    closure_null_partial_correlation,
    cov_shrink,
    helmert_basis,
    partial_correlation,
    partial_correlation_from_covariance,
)
from causalkit.datasets import load_roman_cups, make_closure_null


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return load_roman_cups().to_numpy()


def test_zeros_raise_unless_replacement(X):
    Z = X.copy()
    Z[2, 1] = 0
    with pytest.raises(ValueError, match=r"X contains 1 zero\(s\).*zero_replacement"):
        CompositionalPartialCorrelation().fit(Z)
    CompositionalPartialCorrelation(zero_replacement="min").fit(Z)


def test_negatives_raise_even_with_replacement(X):
    N = X.copy()
    N[0, 0] = -1
    for zr in (None, "min"):
        with pytest.raises(ValueError, match="Negative values in data passed to X"):
            CompositionalPartialCorrelation(zero_replacement=zr).fit(N)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite(X, bad):
    B = X.copy()
    B[1, 1] = bad
    with pytest.raises(ValueError, match="X must be finite"):
        partial_correlation(B)


def test_too_few_parts(X):
    with pytest.raises(ValueError, match="minimum of 3 is required"):
        CompositionalPartialCorrelation().fit(X[:, :2])


def test_too_few_samples(X):
    with pytest.raises(ValueError, match="at least 2 samples"):
        CompositionalPartialCorrelation().fit(X[:1])
    with pytest.raises(ValueError, match="shrinkage needs at least 3 samples"):
        CompositionalPartialCorrelation(shrinkage="basis").fit(X[:2])


def test_rank_deficient_warns_without_shrinkage(X):
    with pytest.warns(UserWarning, match=r"n_samples=8 < n_parts=11.*shrinkage='basis'"):
        CompositionalPartialCorrelation().fit(X[:8])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CompositionalPartialCorrelation(shrinkage="basis").fit(X[:8])


def test_proportional_parts_warn(X):
    X2 = np.column_stack([X, 3 * X[:, 0]])
    with pytest.warns(UserWarning, match="singular beyond the closure"):
        est = CompositionalPartialCorrelation().fit(X2)
    assert np.all(np.isfinite(est.partial_corr_))


def test_non_numeric_columns():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 1.0], "c": ["x", "y", "z"]})
    with pytest.raises(TypeError, match=r"X must be numeric; non-numeric column\(s\): \['c'\]"):
        CompositionalPartialCorrelation().fit(frame)


def test_wrong_dimensions():
    with pytest.raises(ValueError, match="Reshape your data"):
        CompositionalPartialCorrelation().fit([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="2-dimensional"):
        CompositionalPartialCorrelation().fit(np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match="sparse input is not supported"):
        CompositionalPartialCorrelation().fit(sp.csr_matrix(np.ones((4, 3))))
    with pytest.raises(ValueError, match="Complex data not supported"):
        CompositionalPartialCorrelation().fit(np.ones((4, 3)) * 1j)


@pytest.mark.parametrize(
    ("params", "exc", "match"),
    [
        ({"shrinkage": "ridge"}, ValueError, "shrinkage must be None, 'basis' or a float"),
        ({"shrinkage": 1.5}, ValueError, r"shrinkage must be <= 1.0"),
        ({"shrinkage": -0.1}, ValueError, r"shrinkage must be >= 0.0"),
        ({"shrinkage": [0.1]}, TypeError, "shrinkage must be None, 'basis' or a float"),
        ({"variance_shrinkage": 0.5}, ValueError, "variance_shrinkage needs shrinkage"),
        (
            {"shrinkage": "basis", "variance_shrinkage": 2.0},
            ValueError,
            "variance_shrinkage must be <=",
        ),
        (
            {"shrinkage": "basis", "variance_shrinkage": "x"},
            ValueError,
            "variance_shrinkage must be 'auto'",
        ),
        (
            {"zero_replacement": "mean"},
            ValueError,
            "zero_replacement must be None, 'min' or a float",
        ),
        ({"zero_replacement": 1.5}, ValueError, "zero_replacement must be < 1"),
        ({"ddof": -1}, ValueError, "ddof must be a non-negative integer"),
        ({"ddof": 47}, ValueError, "ddof=47 leaves no degrees of freedom"),
    ],
)
def test_bad_parameters(X, params, exc, match):
    with pytest.raises(exc, match=match):
        CompositionalPartialCorrelation(**params).fit(X)


def test_bad_inference_arguments(X):
    est = CompositionalPartialCorrelation(n_bootstrap=20, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        est.conf_int(alpha=1.0)
    with pytest.raises(TypeError):
        est.conf_int(0.1)  # alpha is keyword-only
    with pytest.raises(ValueError, match="alpha must be < 1"):
        est.permutation_test(alpha=1.0)
    with pytest.raises(ValueError, match="n_permutations must be an integer >= 2"):
        est.permutation_test(n_permutations=0)


@pytest.mark.parametrize(
    ("params", "exc", "match"),
    [
        (
            {"n_bootstrap": 1},
            ValueError,
            r"n_bootstrap must be 0 \(no bootstrap\) or an integer >= 2",
        ),
        ({"n_bootstrap": -1}, ValueError, "n_bootstrap must be >= 0"),
        ({"n_bootstrap": "x"}, TypeError, "n_bootstrap must be an integer"),
        ({"n_bootstrap": 2.5}, TypeError, "n_bootstrap must be an integer"),
        ({"n_permutations": 0}, ValueError, "n_permutations must be an integer >= 2"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
        ({"random_state": -1}, ValueError, "random_state must be in"),
    ],
)
def test_bad_inference_parameters_are_refused_by_fit(X, params, exc, match):
    with pytest.raises(exc, match=match):
        CompositionalPartialCorrelation(**params).fit(X)


def test_no_bootstrap_means_no_intervals(X):
    est = CompositionalPartialCorrelation(n_bootstrap=0).fit(X)
    assert est.inference_ is None
    np.testing.assert_array_equal(
        est.partial_corr_, CompositionalPartialCorrelation(n_bootstrap=20).fit(X).partial_corr_
    )
    for call in (est.conf_int, est.summary, est.pair_intervals):
        with pytest.raises(ValueError, match="n_bootstrap=0"):
            call()


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        CompositionalPartialCorrelation("basis", None)
    assert CompositionalPartialCorrelation("basis").shrinkage == "basis"


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CompositionalPartialCorrelation().summary_frame()
    with pytest.raises(NotFittedError):
        CompositionalPartialCorrelation().conf_int()
    with pytest.raises(NotFittedError):
        CLR().transform(np.ones((2, 3)))


def test_transformer_errors(X):
    with pytest.raises(ValueError, match="X has 5 features, but CLR is expecting 11"):
        CLR().fit(X).transform(X[:, :5])
    with pytest.raises(ValueError, match=r"reference must be in \[-11, 10\]"):
        ALR(reference=11).fit(X)
    with pytest.raises(TypeError, match="reference must be an integer"):
        alr(X, reference=1.5)
    with pytest.raises(ValueError, match=r"basis must have shape \(11, 10\)"):
        ILR(basis=helmert_basis(4)).fit(X)
    with pytest.raises(ValueError, match="orthonormal columns"):
        ILR(basis=np.ones((11, 10))).fit(X)
    with pytest.raises(ValueError, match="basis must be 'helmert'"):
        ILR(basis="pivot").fit(X)
    with pytest.raises(ValueError, match="total must be > 0"):
        from causalkit.compositional import Closure

        Closure(total=0).fit(X)


def test_helper_errors():
    with pytest.raises(ValueError, match="variances must be a 1-D array of at least 3"):
        closure_null_partial_correlation([1.0, 2.0])
    with pytest.raises(ValueError, match="variances must be finite and strictly positive"):
        closure_null_partial_correlation([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="cov must be square"):
        partial_correlation_from_covariance(np.ones((2, 3)))
    with pytest.raises(ValueError, match="cov must be symmetric"):
        partial_correlation_from_covariance(np.array([[1.0, 0.2], [0.5, 1.0]]))
    with pytest.raises(ValueError, match="shrinkage must be 'auto' or a float"):
        cov_shrink(np.ones((5, 3)), shrinkage="x")
    with pytest.raises(ValueError, match="variances must be a 1-D array"):
        make_closure_null(10, variances=[1.0, -1.0, 2.0])
    with pytest.raises(ValueError, match="zero log-variance"):
        cov_shrink(np.column_stack([np.arange(5.0), np.ones(5), np.arange(5.0) ** 2]))
