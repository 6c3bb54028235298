"""Shrinkage honesty (issue #18, item 1): a warning when λ̂ is at or near 1, labelled intervals, coverage.

The fast tests are seeded and can fail; the firing-rate and coverage studies are ``@pytest.mark.slow``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from causalkit.compositional import CompositionalPartialCorrelation
from causalkit.compositional._core import (
    fit_partial_correlation,
    log_basis,
    partial_correlation_from_covariance,
)
from causalkit.compositional._estimator import SHRINKAGE_WARN_AT
from causalkit.datasets import make_closure_null, make_logratio_network
from causalkit.exceptions import CausalkitWarning, ShrinkageWarning, SolverWarning


def _fit_recording(X, **kwargs):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = CompositionalPartialCorrelation("basis", n_bootstrap=0, **kwargs).fit(X)
    return est, [w for w in record if issubclass(w.category, ShrinkageWarning)]


def test_warning_when_the_intensity_is_near_one():
    # closure null with 30 samples of 20 parts: nothing beyond closure to resolve
    fired = None
    for seed in range(20):
        est, caught = _fit_recording(make_closure_null(30, n_parts=20, random_state=seed).X)
        assert bool(caught) == (est.shrinkage_ >= SHRINKAGE_WARN_AT)
        if caught:
            fired = caught[0]
    assert fired is not None
    assert issubclass(ShrinkageWarning, SolverWarning) and issubclass(
        ShrinkageWarning, CausalkitWarning
    )
    assert "closure-null value" in str(fired.message)
    assert fired.filename == __file__  # the user's line (_fit_recording's fit call)


def test_no_warning_when_the_data_resolve_associations():
    for seed in range(10):
        X = make_logratio_network(100, n_parts=10, edge_strength=0.4, random_state=seed).X
        est, caught = _fit_recording(X)
        assert not caught and est.shrinkage_ < 0.5


def test_no_warning_for_a_fixed_intensity():
    X = make_closure_null(30, n_parts=20, random_state=0).X
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShrinkageWarning)
        CompositionalPartialCorrelation(0.99, n_bootstrap=0).fit(X)


def test_summary_labels_the_shrunk_target():
    X = make_logratio_network(80, n_parts=6, edge_strength=0.4, random_state=0).X
    shrunk = CompositionalPartialCorrelation("basis", n_bootstrap=20, random_state=0).fit(X)
    plain = CompositionalPartialCorrelation(n_bootstrap=20, random_state=0).fit(X)
    text = str(shrunk.summary())
    assert "SHRUNK target" in text
    assert re.search(r"Intervals cover:\s+the shrunk target", text)
    assert "SHRUNK target" not in str(plain.summary())
    assert "the population partial correlation" in str(plain.summary())


# ------------------------------------------------------------------ studies (slow)
@pytest.mark.slow
def test_warning_firing_rates():
    """Fires on most closure-null fits that cannot resolve anything, never on resolvable networks."""
    designs = {
        "null n=30 D=20 (should)": (
            lambda s: make_closure_null(30, n_parts=20, random_state=s).X,
            True,
        ),
        "null n=200 D=10": (lambda s: make_closure_null(200, n_parts=10, random_state=s).X, False),
        "network n=100 D=10": (
            lambda s: make_logratio_network(100, n_parts=10, edge_strength=0.4, random_state=s).X,
            False,
        ),
        "network n=30 D=20": (
            lambda s: make_logratio_network(30, n_parts=20, edge_strength=0.4, random_state=s).X,
            False,
        ),
    }
    rates = {}
    for name, (make, _) in designs.items():
        rates[name] = np.mean([bool(_fit_recording(make(s))[1]) for s in range(200)])
    print("ShrinkageWarning firing rates:", rates)
    for name, (_, should) in designs.items():
        if should:
            assert rates[name] >= 0.3, rates
        else:
            assert rates[name] <= 0.02, rates


def _chain_network(n, D, strength, rng):
    """Log-normal basis with a chain precision and FIXED means (so the shrunk target is one number per pair).

    ``make_logratio_network`` draws the basis means from its seed; the clr (population ρ) ignores them but
    the basis shrinkage, working on log proportions, does not.
    """
    K = np.eye(D)
    idx = np.arange(D - 1)
    K[idx, idx + 1] = K[idx + 1, idx] = -strength
    sigma = np.linalg.inv(K)
    mu = np.linspace(-1.0, 1.0, D)
    L = rng.multivariate_normal(mu, sigma, size=n)
    E = np.exp(L - L.max(axis=1, keepdims=True))
    G = np.eye(D) - 1.0 / D
    return E / E.sum(axis=1, keepdims=True), partial_correlation_from_covariance(G @ sigma @ G)


@pytest.mark.slow
def test_shrunk_interval_coverage_of_both_targets():
    """95% percentile intervals with basis shrinkage: coverage of the population ρ and of the shrunk target.

    The shrunk target is the shrinkage pipeline at the mean intensities (λ̄, λ̄_v) of the replications,
    applied to a sample of 400 000 rows (its covariance is then the population one to about 0.2 %).
    """
    n, D, reps = 100, 8, 150
    iu = np.triu_indices(D, 1)
    fits, lams = [], []
    for rep in range(reps):
        X, truth = _chain_network(n, D, 0.4, np.random.default_rng(3000 + rep))
        est = CompositionalPartialCorrelation("basis", n_bootstrap=200, random_state=rep).fit(X)
        ci = est.conf_int(alpha=0.05)
        fits.append((ci["lower"].to_numpy(), ci["upper"].to_numpy()))
        lams.append((est.shrinkage_, est.variance_shrinkage_))
    lam, lam_v = np.mean(lams, axis=0)
    big, truth = _chain_network(400_000, D, 0.4, np.random.default_rng(1))
    R = fit_partial_correlation(log_basis(big), float(lam), float(lam_v), 1)["partial_corr"]
    target, pop = R[iu], truth[iu]
    cover_pop = np.mean([(lo <= pop) & (pop <= hi) for lo, hi in fits])
    cover_shrunk = np.mean([(lo <= target) & (target <= hi) for lo, hi in fits])
    print(
        f"lambda {lam:.3f}, lambda_v {lam_v:.3f}: coverage of the population rho {cover_pop:.3f}, "
        f"of the shrunk target {cover_shrunk:.3f}"
    )
    assert cover_shrunk >= 0.90, (cover_pop, cover_shrunk)
    assert cover_pop < cover_shrunk
