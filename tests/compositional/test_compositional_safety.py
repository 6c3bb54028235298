"""Degenerate and adversarial input to the compositional family (#12 items 11-13).

Every case either raises a ValueError/TypeError naming the argument or returns a valid result, with named
causalkit warnings that point at the caller's line; nothing returns NaN as an estimate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit.compositional import (
    ALR,
    CLR,
    ILR,
    Closure,
    CompositionalPartialCorrelation,
    closure_null_partial_correlation,
    cov_shrink,
    partial_correlation,
    partial_correlation_from_covariance,
    variation_matrix,
)
from causalkit.datasets import make_logratio_network
from causalkit.exceptions import CausalkitWarning, CollinearityWarning


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_logratio_network(60, 5, random_state=0).X


@pytest.fixture(scope="module")
def A(frame) -> np.ndarray:
    return frame.to_numpy()


def _only_named(record) -> list:
    """The recorded warnings, after checking each is a causalkit warning raised at this file's line."""
    for w in record:
        assert issubclass(w.category, CausalkitWarning), (w.category, str(w.message))
        assert w.filename == __file__, (w.filename, w.lineno, str(w.message))
    return list(record)


# ------------------------------------------------------------------- named warnings at the user's line
def test_small_n_warning_is_named_and_points_at_caller(A):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = CompositionalPartialCorrelation().fit(A[:4])  # n = 4 < D = 5
    got = _only_named(record)
    assert [w.category for w in got] == [CollinearityWarning]
    assert "n_samples=4 < n_parts=5" in str(got[0].message)
    assert np.all(np.isfinite(est.partial_corr_))


def test_proportional_parts_warning_names_the_parts(frame):
    X = frame.assign(dup=3 * frame["part0"])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        CompositionalPartialCorrelation().fit(X)
    got = _only_named(record)
    assert [w.category for w in got] == [CollinearityWarning]
    message = str(got[0].message)
    assert "'part0'" in message and "'dup'" in message, message
    assert "'part1'" not in message, message


def test_one_line_function_warns_at_the_caller(A):
    X = np.column_stack([A, 2 * A[:, 1]])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        partial_correlation(X)
    got = _only_named(record)
    assert [w.category for w in got] == [CollinearityWarning]
    assert "x1" in str(got[0].message) and "x5" in str(got[0].message)


# ------------------------------------------------------------------- zero-variance compositions
@pytest.mark.parametrize("shrinkage", [None, "basis"])
def test_all_rows_the_same_composition_raise(A, shrinkage):
    same = np.tile(A[:1], (60, 1))
    scaled = A[:1] * np.arange(1, 61)[:, None]  # the same composition, other totals
    for X in (same, scaled):
        with pytest.raises(ValueError, match=r"X: all 60 rows are the same composition"):
            CompositionalPartialCorrelation(shrinkage=shrinkage).fit(X)


def test_part_with_zero_clr_variance_raises(frame):
    geo = np.exp(np.log(frame.to_numpy()).mean(axis=1))  # its clr coordinate is constant (0)
    X = frame.assign(geo=geo)
    with pytest.raises(ValueError, match=r"X: part\(s\) \['geo'\] have zero clr variance"):
        CompositionalPartialCorrelation().fit(X)
    # basis shrinkage works on the log proportions, where the part does vary: a valid result
    est = CompositionalPartialCorrelation(shrinkage="basis").fit(X)
    assert np.all(np.isfinite(est.partial_corr_.to_numpy()))


def test_variation_matrix_needs_two_samples(A):
    with pytest.raises(ValueError, match=r"X needs at least 2 samples"):
        variation_matrix(A[:1])


def test_duplicate_column_names_are_named(A):
    X = pd.DataFrame(A, columns=["a", "a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"X has duplicate column names: \['a'\]"):
        CompositionalPartialCorrelation().fit(X)


# ------------------------------------------------------------------- covariance helpers
def test_partial_correlation_from_covariance_rejects_degenerate_matrices():
    with pytest.raises(ValueError, match=r"cov is zero"):
        partial_correlation_from_covariance(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"cov must be positive semi-definite"):
        partial_correlation_from_covariance(-np.eye(3))
    S = np.diag([1.0, 2.0, 0.0])
    with pytest.raises(ValueError, match=r"cov: variable\(s\) \[2\] have zero variance"):
        partial_correlation_from_covariance(S)


def test_closure_null_is_scale_free_at_extreme_variances():
    tiny = closure_null_partial_correlation([1e-300, 1e-300, 1.0])
    big = closure_null_partial_correlation([1.0, 1.0, 1e300])
    assert np.all(np.isfinite(tiny))
    np.testing.assert_allclose(tiny, big, rtol=1e-12)
    assert tiny[0, 1] == pytest.approx(1.0, rel=1e-12)  # two equal-weight parts dominating W
    assert tiny[0, 2] == pytest.approx(np.sqrt(1e-300 / 2), rel=1e-12)  # no underflow to 0


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_cov_shrink_extreme_magnitude_is_named(scale):
    Z = np.random.default_rng(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match=r"X: values of magnitude .* rescale X"):
        cov_shrink(Z * scale)
    S, lam, lam_v = cov_shrink(Z * 2.0**400)  # representable: exactly the rescaled answer
    S0, lam0, lam_v0 = cov_shrink(Z)
    np.testing.assert_allclose(S, S0 * 2.0**800, rtol=1e-12)
    assert (lam, lam_v) == pytest.approx((lam0, lam_v0), rel=1e-12)


# ------------------------------------------------------------------- inference
def test_bootstrap_accepts_a_generator(A):
    a = CompositionalPartialCorrelation(n_bootstrap=20, random_state=np.random.default_rng(5))
    b = CompositionalPartialCorrelation(n_bootstrap=20, random_state=np.random.default_rng(5))
    ci_a, ci_b = a.fit(A).conf_int(), b.fit(A).conf_int()
    pd.testing.assert_frame_equal(ci_a, ci_b)
    assert np.all(ci_a["lower"] <= ci_a["upper"])


def test_permutation_test_without_valid_replicates_raises(A, monkeypatch):
    import causalkit.compositional._estimator as mod

    est = CompositionalPartialCorrelation(random_state=0).fit(A)

    def broken(*args, **kwargs):
        raise ValueError("constant part")

    monkeypatch.setattr(mod, "pcor_only", broken)  # the "raw" scheme
    monkeypatch.setattr(mod, "fit_partial_correlation", broken)  # the "pivot" scheme
    for scheme in ("pivot", "raw"):
        with pytest.raises(ValueError, match="fewer than 2 permutation replicates"):
            est.permutation_test(n_permutations=10, scheme=scheme)


# ------------------------------------------------------------------- feature names (item 13)
@pytest.mark.parametrize("cls", [Closure, CLR, ALR, ILR])
def test_transformers_check_feature_names(frame, cls):
    est = cls().fit(frame)
    expected = est.transform(frame)
    np.testing.assert_array_equal(est.transform(frame.to_numpy()), expected)  # arrays: by position
    with pytest.raises(ValueError, match=r"X has columns .* but fit saw"):
        est.transform(frame[frame.columns[::-1]])
    with pytest.raises(ValueError, match=r"not seen in fit"):
        est.transform(frame.set_axis(list("abcde"), axis=1))


def test_clr_inverse_transform_checks_the_number_of_columns(A):
    est = CLR().fit(A)
    with pytest.raises(ValueError, match=r"X must have 5 columns; got 7"):
        est.inverse_transform(np.ones((2, 7)))


@pytest.mark.parametrize("cls", [CLR, ALR, ILR])
def test_inverse_transform_of_huge_coordinates(A, cls):
    est = cls().fit(A)
    k = est.transform(A).shape[1]
    Z = np.full((2, k), 1e308)
    Z[:, 0] = -1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning
        try:
            out = est.inverse_transform(Z)
        except ValueError as exc:
            assert "X" in str(exc)
        else:
            assert np.all(np.isfinite(out))
            np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_dask_input_gets_the_same_checks_and_named_warning(frame):
    da = pytest.importorskip("dask.array")
    A = frame.to_numpy()
    geo = np.exp(np.log(A).mean(axis=1))
    with pytest.raises(ValueError, match=r"X: part\(s\) \['x5'\] have zero clr variance"):
        CompositionalPartialCorrelation().fit(da.from_array(np.column_stack([A, geo]), chunks=20))
    with pytest.raises(ValueError, match=r"X: all 60 rows are the same composition"):
        CompositionalPartialCorrelation().fit(da.from_array(np.tile(A[:1], (60, 1)), chunks=20))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = CompositionalPartialCorrelation().fit(da.from_array(A[:4], chunks=2))
    got = _only_named(record)
    assert [w.category for w in got] == [CollinearityWarning]
    np.testing.assert_allclose(
        est.partial_corr_, CompositionalPartialCorrelation().fit(A[:4]).partial_corr_, atol=1e-10
    )
    assert est.inference_ is None  # the bootstrap needs the data in memory
    with pytest.raises(ValueError, match="fitted on a dask array"):
        est.conf_int()


# ------------------------------------------------------------------- simulators
@pytest.mark.parametrize("n", [0, -1, 2.5, True, "10"])
def test_simulators_validate_n_samples(n):
    from causalkit.datasets import make_closure_null

    for make in (make_closure_null, make_logratio_network):
        with pytest.raises((ValueError, TypeError), match=r"n_samples must be a positive integer"):
            make(n)


def test_simulators_validate_parameters():
    from causalkit.datasets import make_closure_null

    with pytest.raises(ValueError, match=r"n_parts must be an integer >= 3"):
        make_logratio_network(50, n_parts=3.5)
    with pytest.raises(TypeError, match=r"edge_strength must be a real number"):
        make_logratio_network(50, edge_strength="a")
    with pytest.raises(ValueError, match=r"variances must be at most 1000"):
        make_closure_null(50, variances=[1e300, 1.0, 1.0])


def test_closure_null_simulator_at_tiny_variances():
    from causalkit.datasets import make_closure_null

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = make_closure_null(50, variances=[1e-300, 1e-300, 1.0], random_state=0)
    assert np.all(np.isfinite(data.partial_corr))
    np.testing.assert_allclose(
        data.partial_corr, closure_null_partial_correlation([1e-300, 1e-300, 1.0]), rtol=1e-12
    )


def test_logratio_network_truth_for_many_parts():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = make_logratio_network(20, n_parts=600, random_state=0)
    R = data.partial_corr
    assert np.all(np.isfinite(R)) and np.allclose(np.diag(R), 1.0)
    # the exact pinv identity agrees with an SVD pinv where the latter is accurate
    ref = make_logratio_network(20, n_parts=30, random_state=0)
    P = np.linalg.pinv(ref.clr_cov, hermitian=True)
    d = np.sqrt(np.diag(P))
    np.testing.assert_allclose(
        ref.partial_corr, np.where(np.eye(30) == 1, 1.0, -P / np.outer(d, d)), atol=1e-10
    )


def test_simulators_accept_a_generator():
    a = make_logratio_network(30, 4, random_state=np.random.default_rng(1)).X
    b = make_logratio_network(30, 4, random_state=np.random.default_rng(1)).X
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------- #12 leftovers
@pytest.mark.parametrize(
    ("total", "exc"),
    [(float("nan"), ValueError), (0.0, ValueError), (-1.0, ValueError), ("x", TypeError)],
)
def test_closure_total_is_validated_by_name(A, total, exc):
    from causalkit.compositional import closure

    with pytest.raises(exc, match="total must"):
        closure(A, total=total)
    with pytest.raises(exc, match="total must"):
        Closure(total=total).fit(A)


@pytest.mark.parametrize(
    "variances",
    [
        ["1", "2", "3"],
        np.array(["a", "b", "c"]),
        np.array([1.0, 2.0, 3.0]) + 1j,
        [1 + 0j, 2.0, 3.0],
    ],
)
def test_closure_null_refuses_strings_and_complex_by_name(variances):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning dropping the imaginary part
        with pytest.raises(TypeError, match="variances must be real numbers"):
            closure_null_partial_correlation(variances)


def test_helmert_basis_too_large_is_a_named_value_error():
    from causalkit.compositional import helmert_basis

    with pytest.raises(ValueError, match=r"D=1000000000 is too large"):
        helmert_basis(10**9)
    assert helmert_basis(np.int64(5)).shape == (5, 4)


def test_ilr_with_an_overflowing_basis_is_refused_without_warnings(A):
    from causalkit.compositional import helmert_basis, ilr

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'overflow encountered in matmul'
        with pytest.raises(ValueError, match="basis must have orthonormal columns"):
            ilr(A, basis=helmert_basis(5) * 1e300)
        with pytest.raises(ValueError, match="basis must have orthonormal columns"):
            ILR(basis=helmert_basis(5) * 1e300).fit(A)
