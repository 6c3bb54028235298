"""Known-truth DGPs (spec §5.1-5.2), closure-null reference, bootstrap and permutation inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

from causalkit.compositional import (
    CompositionalPartialCorrelation,
    closure_null_partial_correlation,
    partial_correlation,
    partial_correlation_from_covariance,
)
from causalkit.datasets import load_roman_cups, make_closure_null, make_logratio_network
from causalkit.exceptions import ConvergenceWarning


def _off(M) -> np.ndarray:
    M = np.asarray(M)
    return M[~np.eye(M.shape[0], dtype=bool)]


@pytest.mark.parametrize("D", [3, 5, 12])
def test_closure_null_closed_form_population(D):
    rng = np.random.default_rng(D)
    s2 = rng.uniform(0.2, 3.0, size=D)
    G = np.eye(D) - 1.0 / D
    exact = partial_correlation_from_covariance(G @ np.diag(s2) @ G)
    np.testing.assert_allclose(closure_null_partial_correlation(s2), exact, atol=1e-10, rtol=0)
    equal = closure_null_partial_correlation(np.full(D, 0.7))
    np.testing.assert_allclose(_off(equal), 1.0 / (D - 1), atol=1e-15)


def test_closure_null_monte_carlo_equal_variances():
    """n = 2·10⁵, equal variances: every sample ρ within 0.01 of 1/(D-1)."""
    D = 10
    data = make_closure_null(200_000, n_parts=D, random_state=0)
    R = partial_correlation(data.X)
    err = np.abs(_off(R) - 1.0 / (D - 1)).max()
    assert err <= 0.01, err


def test_closure_null_monte_carlo_unequal_variances():
    s2 = np.array([0.3, 0.5, 1.0, 1.0, 2.0, 4.0])
    data = make_closure_null(200_000, variances=s2, random_state=1)
    est = CompositionalPartialCorrelation(n_bootstrap=0).fit(data.X)  # no intervals needed
    assert np.abs(_off(est.partial_corr_) - _off(data.partial_corr)).max() <= 0.01
    # the fitted closure-null reference recovers s² from the clr variances ...
    np.testing.assert_allclose(est.null_basis_variances_, s2, rtol=0.03)
    assert np.abs(_off(est.closure_null_) - _off(data.partial_corr)).max() <= 0.01
    # ... whereas the variances of the log proportions are inflated by closure and miss the null badly
    L = np.log(data.X.to_numpy())
    naive = closure_null_partial_correlation(L.var(axis=0, ddof=1))
    assert np.abs(_off(naive) - _off(data.partial_corr)).max() > 0.1


def test_known_basis_covariance_converges():
    """Sample ρ → population ρ (pinv of G Σ_L G) at n = 10⁵, within 4 Monte Carlo SEs."""
    n, D = 100_000, 8
    data = make_logratio_network(n, n_parts=D, edge_strength=0.4, random_state=2)
    R = np.asarray(partial_correlation(data.X))
    truth = data.partial_corr
    se = (1 - truth**2) / np.sqrt(n - D)
    assert np.all(np.abs(R - truth) <= 4 * se + 1e-12)
    # the truth is far from the closure null for neighbours: a real signal
    assert truth[0, 1] > 0.3


def test_bootstrap_ci_reproducible_and_backend_free():
    X = make_logratio_network(150, n_parts=5, random_state=4).X
    est = CompositionalPartialCorrelation(n_bootstrap=60, random_state=7).fit(X)
    a = est.pair_intervals(alpha=0.1)
    b = (
        CompositionalPartialCorrelation(n_bootstrap=60, random_state=7)
        .fit(X)
        .pair_intervals(alpha=0.1)
    )
    pd.testing.assert_frame_equal(a, b)
    with parallel_config(backend="threading"):
        c = est.set_params(n_jobs=2).fit(X).pair_intervals(alpha=0.1)
    pd.testing.assert_frame_equal(a, c)
    assert np.all(a["lower"] <= a["upper"])
    assert np.all(
        (a["lower"] <= a["partial_corr"] + 0.05) & (a["partial_corr"] - 0.05 <= a["upper"])
    )
    assert list(a.columns) == ["part_i", "part_j", "partial_corr", "lower", "upper"]
    # the same intervals as conf_int, whose rows are the inference_ terms in upper-triangle order
    ci = est.conf_int(alpha=0.1)
    assert list(ci.index) == [f"{i}~{j}" for i, j in zip(a["part_i"], a["part_j"])]
    np.testing.assert_array_equal(ci.to_numpy(), a[["lower", "upper"]].to_numpy())


def test_bootstrap_is_a_shared_effect_result():
    from causalkit._base import EffectResult

    X = make_logratio_network(200, n_parts=4, random_state=8).X
    est = CompositionalPartialCorrelation(n_bootstrap=50, random_state=3).fit(X)
    res = est.inference_
    assert isinstance(res, EffectResult)
    assert res.names[0] == "part0~part1" and len(res.names) == 6
    np.testing.assert_allclose(
        res.estimate,
        est.summary_frame()
        .set_index(["part_i", "part_j"])
        .loc[
            [
                ("part0", "part1"),
                ("part0", "part2"),
                ("part0", "part3"),
                ("part1", "part2"),
                ("part1", "part3"),
                ("part2", "part3"),
            ],
            "partial_corr",
        ]
        .to_numpy(),
    )
    pd.testing.assert_frame_equal(est.conf_int(alpha=0.1), res.conf_int(alpha=0.1))
    frame = res.summary_frame()
    assert "closure_null" in frame.columns
    assert "closure" in str(res.summary())
    assert str(est.summary(alpha=0.1)) == str(res.summary(alpha=0.1))
    assert "Bootstrap replicates:       50 of 50" in str(est.summary())


def test_bootstrap_drops_failed_replicates():
    """A part that is constant in most rows makes some resamples unfittable with shrinkage."""
    rng = np.random.default_rng(0)
    X = np.exp(rng.normal(size=(12, 5)))
    X /= X.sum(axis=1, keepdims=True)
    X[2:, 1:] *= 0.9 / X[2:, 1:].sum(axis=1, keepdims=True)
    X[2:, 0] = 0.1  # the proportion of part 0 is constant except in two rows
    est = CompositionalPartialCorrelation(shrinkage="basis", n_bootstrap=60, random_state=0)
    with pytest.warns(ConvergenceWarning, match="bootstrap replicates were dropped") as record:
        est.fit(X)
    assert record[0].filename == __file__  # the warning points at the user's fit call
    res = est.inference_
    kept = len(res.bootstrap_estimates)
    assert 10 < kept < 60
    assert f"{kept} of 60" in str(est.summary())
    assert np.all(np.isfinite(est.conf_int().to_numpy()))


def test_bootstrap_ci_covers_truth_in_large_sample():
    data = make_logratio_network(3000, n_parts=6, edge_strength=0.4, random_state=11)
    est = CompositionalPartialCorrelation(n_bootstrap=100, random_state=0).fit(data.X)
    ci = est.conf_int(alpha=0.05)
    iu = np.triu_indices(6, 1)
    truth = data.partial_corr[iu]
    covered = (ci["lower"].to_numpy() <= truth) & (truth <= ci["upper"].to_numpy())
    assert covered.mean() >= 0.8, covered.mean()
    width = (ci["upper"] - ci["lower"]).to_numpy()
    assert np.all(width < 0.15)


@pytest.mark.parametrize("shrinkage", [None, "basis"])
def test_permutation_null_matches_closure_null(shrinkage):
    """Under the closure null the permutation distribution is centred on the true (closed-form) ρ."""
    s2 = [0.3, 1.0, 1.0, 2.0, 4.0]
    data = make_closure_null(3000, variances=s2, random_state=5)
    est = CompositionalPartialCorrelation(
        shrinkage=shrinkage, n_bootstrap=0, n_permutations=150, random_state=1
    ).fit(data.X)
    perm = est.permutation_test()
    iu = np.triu_indices(5, 1)
    np.testing.assert_allclose(perm["null_mean"].to_numpy(), data.partial_corr[iu], atol=0.03)
    np.testing.assert_allclose(
        perm["null_mean"].to_numpy(), np.asarray(est.closure_null_)[iu], atol=0.03
    )
    assert np.all(perm["null_mean"] > 0.03)  # the null is not 0


def test_permutation_flags_real_associations():
    cups = load_roman_cups()
    est = CompositionalPartialCorrelation(n_permutations=99, random_state=0).fit(cups)
    perm = est.permutation_test().set_index(["part_i", "part_j"])
    assert perm.loc[("Si", "Al"), "p_value"] <= 0.02
    assert perm.loc[("Al", "Fe"), "p_value"] <= 0.02
    assert perm["p_value"].between(0, 1).all()


@pytest.mark.slow
def test_bootstrap_coverage_study():
    """Percentile-bootstrap coverage over 200 replications (n = 300, D = 6, B = 200)."""
    D, reps = 6, 200
    iu = np.triu_indices(D, 1)
    hits = []
    for rep in range(reps):
        data = make_logratio_network(300, n_parts=D, edge_strength=0.4, random_state=1000 + rep)
        est = CompositionalPartialCorrelation(n_bootstrap=200, random_state=rep).fit(data.X)
        ci = est.conf_int(alpha=0.1)
        t = data.partial_corr[iu]
        hits.append((ci["lower"].to_numpy() <= t) & (t <= ci["upper"].to_numpy()))
    coverage = np.mean(hits)
    print(f"bootstrap 90% coverage: {coverage:.3f}")
    assert 0.84 <= coverage <= 0.95, coverage


@pytest.mark.slow
def test_permutation_test_size_under_closure_null():
    """Under the closure null, the per-pair permutation p-values reject at about the nominal rate."""
    D, reps = 6, 100
    rejections = []
    for rep in range(reps):
        data = make_closure_null(200, variances=np.linspace(0.5, 2.0, D), random_state=2000 + rep)
        est = CompositionalPartialCorrelation(
            n_bootstrap=0, n_permutations=99, random_state=rep
        ).fit(data.X)
        rejections.append(est.permutation_test()["p_value"].to_numpy() <= 0.05)
    rate = np.mean(rejections)
    print(f"permutation test rejection rate at 5%: {rate:.3f}")
    assert rate <= 0.09, rate
