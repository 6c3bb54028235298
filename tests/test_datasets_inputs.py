"""Bad inputs to the simulators in causalkit.datasets (issue #12): errors name the argument, no foreign warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from causalkit import datasets as ds

SMALL = {
    "make_linear_shrinkage": {"n_trial": 50, "n_calibration": 30},
    "make_nonlinear_shrinkage": {"n_trial": 50, "n_calibration": 30},
    "make_confounded_trial": {"n_trial": 50, "n_calibration": 30, "n_train": 50},
    "make_network_effect": {"n": 30},
    "make_paper_network_dgp": {"n": 30},
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_negative_seed_names_random_state(name):
    # was numpy's "expected non-negative integer"
    with pytest.raises(ValueError, match="random_state must be >= 0; got -1"):
        getattr(ds, name)(**SMALL[name], random_state=-1)


@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("bad", ["seed", 1.5, True])
def test_non_integer_seed_is_a_type_error_naming_random_state(name, bad):
    with pytest.raises(TypeError, match="random_state must be"):
        getattr(ds, name)(**SMALL[name], random_state=bad)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_seeded_draws_follow_default_rng(name):
    """The seed check does not move the stream: an int seed equals the Generator it seeds."""
    fn = getattr(ds, name)
    a = fn(**SMALL[name], random_state=7)
    b = fn(**SMALL[name], random_state=np.random.default_rng(7))
    for key, value in a.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, b[key], err_msg=key)


@pytest.mark.parametrize(
    "fn, a", [(ds.rep4ex_truth_1d, np.arange(4.0)), (ds.rep4ex_truth_2d, np.ones((3, 2)))]
)
def test_rep4ex_truth_complex_is_a_type_error(fn, a):
    # was a numpy ComplexWarning and the real part silently used
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="a_values must be real"):
            fn(a + 1j)
        with pytest.raises(TypeError, match="a_values must be real"):
            fn((a + 0j).tolist())


@pytest.mark.parametrize(
    "fn, a",
    [
        (ds.rep4ex_truth_1d, np.array([1.0, 1e308])),
        (ds.rep4ex_truth_2d, np.array([[1e308, 1.0], [0.0, 0.0]])),
        (ds.rep4ex_truth_2d, np.array([[1.0, 1.0], [-1e308, 1e308]])),
    ],
)
def test_rep4ex_truth_overflow_is_a_value_error_without_numpy_warning(fn, a):
    # was RuntimeWarning "overflow encountered in multiply/matmul" and then "invalid value encountered in sin"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="a_values are too large"):
            fn(a)


@pytest.mark.parametrize(
    "fn, a", [(ds.rep4ex_truth_1d, [np.inf]), (ds.rep4ex_truth_2d, [[np.nan, 0.0]])]
)
def test_rep4ex_truth_non_finite_is_a_value_error(fn, a):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="a_values must be finite"):
            fn(a)


def test_rep4ex_truth_values_unchanged():
    a = np.linspace(-1.75, 1.75, 29)
    np.testing.assert_array_equal(ds.rep4ex_truth_1d(a), 2.0 * np.exp(-0.5) * np.sin(2.0 * a))
    A = np.column_stack([a, a[::-1]])
    m = A @ (2.0 * np.array([[1.0, 0.5], [-0.5, 1.0]])).T
    expected = 2.0 * np.exp(-0.5) * np.sin(m[:, 0]) + np.exp(-1.0) * np.sin(m[:, 0] + m[:, 1])
    np.testing.assert_array_equal(ds.rep4ex_truth_2d(A), expected)
    # large but finite actions keep a finite truth
    assert np.isfinite(ds.rep4ex_truth_1d([1e300])).all()
    assert np.isfinite(ds.rep4ex_truth_2d([[1e300, -1e300]])).all()
