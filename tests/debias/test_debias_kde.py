"""The binned/FFT KDE score against the exact O(n m) kernel sum (error bound), and the oracle score."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import gaussian_kde, norm

from causalkit.datasets import make_nonlinear_shrinkage
from causalkit.debias import bandwidth_rule, kde_score


def _mixture(rng, n):
    comp = rng.random(n) < 0.8
    return np.where(comp, rng.normal(5, np.sqrt(1.75), n), rng.normal(13, np.sqrt(18), n))


@pytest.mark.parametrize("rule", ["scott", "silverman", 0.05])
def test_binned_score_error_bound(rule):
    """Bulk, tails and far outside the data: |binned - exact| <= 1e-4 / h (score units)."""
    rng = np.random.default_rng(0)
    data = _mixture(rng, 5000)
    z = np.concatenate([_mixture(rng, 4000), np.linspace(-20, 60, 400)])
    h = bandwidth_rule(data, rule)
    fast = kde_score(z, data, rule)
    exact = kde_score(z, data, rule, method="exact")
    assert np.all(np.isfinite(fast))
    err = np.abs(fast - exact)
    assert err.max() <= 1e-4 / h, err.max() * h


def test_binned_score_with_isolated_outliers():
    """Gaps and isolated points fall back to the exact sum where the grid loses relative accuracy."""
    rng = np.random.default_rng(1)
    data = np.concatenate([rng.normal(0, 1, 3000), [40.0, 41.5, -35.0]])
    z = np.concatenate([np.linspace(-50, 50, 2001), data[-3:] + 0.3])
    fast = kde_score(z, data, 0.2)
    exact = kde_score(z, data, 0.2, method="exact")
    np.testing.assert_allclose(fast, exact, rtol=0, atol=5e-4)


def test_score_matches_scipy_gaussian_kde_derivative():
    """Outside reference: a central difference of scipy's gaussian_kde log density."""
    rng = np.random.default_rng(2)
    data = rng.standard_t(5, 3000)
    z = np.linspace(-3, 3, 61)
    kde = gaussian_kde(data)
    d = 1e-5
    ref = (kde.logpdf(z + d) - kde.logpdf(z - d)) / (2 * d)
    np.testing.assert_allclose(kde_score(z, data), ref, rtol=0, atol=1e-5)


def test_oracle_score_of_simulator_is_the_mixture_score():
    d = make_nonlinear_shrinkage(10, 10, random_state=0)
    z = np.linspace(-5, 30, 200)
    w, mu, var = np.array([0.8, 0.2]), np.array([5.0, 13.0]), np.array([4.0, 20.25]) - 1.5**2

    def logp(t):
        return np.log(np.sum(w * norm.pdf(t[:, None], mu, np.sqrt(var)), axis=1))

    ref = (logp(z + 1e-6) - logp(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(d.oracle_score(z), ref, rtol=0, atol=1e-6)


def test_kde_score_converges_to_true_score():
    """With 1e5 points the KDE score is close to the true mixture score in the bulk (what remains is KDE
    smoothing bias and noise: mean error 0.055, max 0.105 at this seed, for scores of size about 1)."""
    d = make_nonlinear_shrinkage(10, 10, n_unlabeled=100_000, random_state=3)
    z = np.linspace(3, 9, 25)
    err = np.abs(kde_score(z, d.unlabeled_predictions) - d.oracle_score(z))
    assert err.mean() < 0.08 and err.max() < 0.15


def test_kde_score_rejects_bad_arguments():
    with pytest.raises(ValueError, match="bandwidth must be"):
        kde_score([0.0], [0.0, 1.0], "wide")
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        kde_score([0.0], [0.0, 1.0], -1.0)
    with pytest.raises(ValueError, match="method must be"):
        kde_score([0.0], [0.0, 1.0], method="fft")


def test_huge_span_warns_and_stays_close():
    rng = np.random.default_rng(4)
    data = np.concatenate([rng.normal(0, 1, 2000), [1e4]])
    z = np.linspace(-3, 3, 50)
    with pytest.warns(UserWarning, match="grid is capped"):
        fast = kde_score(z, data, 0.05)
    exact = kde_score(z, data, 0.05, method="exact")
    # degraded (spacing h/10 instead of h/256) but still within 2% of the score's scale
    assert np.max(np.abs(fast - exact)) < 0.02 * np.max(np.abs(exact))


@pytest.mark.parametrize("method", ["binned", "exact"])
def test_points_beyond_double_precision_in_bandwidths_raise_naming_the_bandwidth(method):
    """A bandwidth of 1e-300 with data offset by 1e10 puts the points an infinite number of bandwidths away:
    a ValueError naming the bandwidth, and no numpy RuntimeWarning (inf - inf) on the way."""
    import warnings

    data = 1e10 + np.array([0.0, 0.5, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"points lie more bandwidths.*bandwidth 1e-300"):
            kde_score(np.array([0.0, 1.0]), data, 1e-300, method=method)
