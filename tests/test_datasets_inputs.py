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


H = 10**13  # far beyond any machine's memory: refused before anything is drawn
HUGE = {
    "make_closure_null": (lambda: ds.make_closure_null(H), "n_samples"),
    "make_logratio_network": (lambda: ds.make_logratio_network(H), "n_samples and n_parts"),
    "make_confounded_content": (lambda: ds.make_confounded_content(H), "n"),
    "make_confounded_texts": (lambda: ds.make_confounded_texts(H), "n"),
    "make_content_candidates": (
        lambda: ds.make_content_candidates(H, 8),
        "n_prompts and n_candidates",
    ),
    "make_linear_shrinkage": (lambda: ds.make_linear_shrinkage(H, 10), "n_trial, n_calibration"),
    "make_nonlinear_shrinkage": (
        lambda: ds.make_nonlinear_shrinkage(10, H),
        "n_trial, n_calibration",
    ),
    "make_confounded_trial": (
        lambda: ds.make_confounded_trial(10, 10, n_train=H),
        "n_trial, n_calibration, n_train",
    ),
    "make_ivl_toy_sem": (lambda: ds.make_ivl_toy_sem(H), "n_samples"),
    "make_ivl_paper_sem": (
        lambda: ds.make_ivl_paper_sem(10, n_features=10**8),
        "n_samples and n_features",
    ),
    "make_rep4ex_1d": (lambda: ds.make_rep4ex_1d(H), "n_samples"),
    "make_rep4ex_2d": (lambda: ds.make_rep4ex_2d(H), "n_samples"),
    "rep4ex_grid": (lambda: ds.rep4ex_grid(2, n_points=10**8), "n_points"),
    "make_random_network": (lambda: ds.make_random_network([10**7, 10**7]), "dims"),
    "make_orthogonal_maxmin_network": (
        lambda: ds.make_orthogonal_maxmin_network(10**6, 2),
        "width and depth",
    ),
    "make_network_effect": (
        lambda: ds.make_network_effect(10**6, n_features=10**7),
        "n and n_features",
    ),
    "make_paper_network_dgp": (
        lambda: ds.make_paper_network_dgp(10**6, n_features=10**7),
        "n and n_features",
    ),
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_sizes_beyond_memory_are_value_errors_naming_them(name):
    # were MemoryError ("Unable to allocate 72.8 TiB ...") from the first draw
    call, names = HUGE[name]
    with pytest.raises(ValueError, match=f"{names}.*: the simulated data would hold about"):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ds.make_dask_iv_sem(10**12, chunk_size=1), "gives 1000000000000 blocks"),
        (lambda: ds.make_dask_debias_study(10**12, chunk_size=10), "gives 100000000000 blocks"),
        (lambda: ds.make_dask_iv_sem(10**13, chunk_size=10**12), "chunk_size: the simulated data"),
        (
            lambda: ds.make_dask_iv_sem(1000, n_features=10**6, n_instruments=10**6),
            "n_features and n_instruments: the simulated data",
        ),
        (
            lambda: ds.make_dask_debias_study(1000, n_calibration=10**13),
            "n_calibration: the simulated data",
        ),
    ],
)
def test_dask_simulators_refuse_unbuildable_graphs(call, match):
    pytest.importorskip("dask")
    # were a Python loop over 10**12 blocks (a hang) or a MemoryError on the first block
    with pytest.raises(ValueError, match=match):
        call()


def test_dask_simulators_allow_lazily_huge_data():
    pytest.importorskip("dask")
    # data beyond memory is fine as long as each block fits: that is what these simulators are for
    assert ds.make_dask_iv_sem(10**9, chunk_size=10**7).X.shape == (10**9, 9)
