"""Basis shrinkage (propr's pcor.bshrink; corpcor cov.shrink on log proportions), spec §5.6."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causalkit.compositional import (
    CompositionalPartialCorrelation,
    closure_null_partial_correlation,
    cov_shrink,
    partial_correlation,
    partial_correlation_from_covariance,
)
from causalkit.datasets import load_roman_cups, make_logratio_network

HERE = Path(__file__).resolve().parent

# Golden values printed by tests/compositional/corpcor_lambda.R (R 4.2.2, corpcor 1.6.10) on the bundled
# Roman cups data: corpcor::cov.shrink(log(P)), all 47 cups and the first 8 cups (n < D).
R_LAMBDA = 0.059122933203734483
R_LAMBDA_VAR = 0.081467115685544739
R_SMALL_LAMBDA = 0.37408828131140331
R_SMALL_LAMBDA_VAR = 0.8455018728718261


@pytest.fixture(scope="module")
def cups() -> pd.DataFrame:
    return load_roman_cups()


def _logp(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    return np.log(X / X.sum(axis=1, keepdims=True))


def test_lambda_matches_corpcor(cups):
    _, lam, lam_v = cov_shrink(_logp(cups))
    assert lam == pytest.approx(R_LAMBDA, abs=1e-12)
    assert lam_v == pytest.approx(R_LAMBDA_VAR, abs=1e-12)
    _, lam_s, lam_vs = cov_shrink(_logp(cups.iloc[:8]))
    assert lam_s == pytest.approx(R_SMALL_LAMBDA, abs=1e-12)
    assert lam_vs == pytest.approx(R_SMALL_LAMBDA_VAR, abs=1e-12)
    est = CompositionalPartialCorrelation(shrinkage="basis").fit(cups)
    assert est.shrinkage_ == pytest.approx(R_LAMBDA, abs=1e-12)
    assert 0 <= est.shrinkage_ <= 1 and 0 <= est.variance_shrinkage_ <= 1


@pytest.mark.parametrize(
    ("golden_file", "rows"),
    [
        ("corpcor_bshrink_roman_cups.csv", slice(None)),
        ("corpcor_bshrink_roman_cups_first8.csv", slice(0, 8)),
    ],
)
def test_bshrink_matrix_matches_propr_recipe_in_r(cups, golden_file, rows):
    """The whole clr pcor.bshrink matrix equals R's cor2pcor(G cov.shrink(log P) G) (also with n < D)."""
    golden = pd.read_csv(HERE / golden_file, index_col=0)
    golden.index = golden.index.str.strip()
    golden.columns = golden.columns.str.strip()
    ours = partial_correlation(cups.iloc[rows], shrinkage="basis")
    np.testing.assert_allclose(ours.to_numpy(), golden.loc[ours.index, ours.columns], atol=1e-10)


def test_lambda_zero_reproduces_unshrunk(cups):
    plain = CompositionalPartialCorrelation().fit(cups)
    zero = CompositionalPartialCorrelation(shrinkage=0.0).fit(cups)
    np.testing.assert_allclose(zero.partial_corr_, plain.partial_corr_, atol=1e-10)
    np.testing.assert_allclose(zero.precision_, plain.precision_, rtol=1e-9, atol=1e-9)
    assert zero.shrinkage_ == 0 and zero.variance_shrinkage_ == 0


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9, "basis"])
def test_clr_and_alr_outputs_agree(cups, lam):
    """propr's alr variant F S* Fᵀ (any reference) gives the clr ρ* on shared indices."""
    L = _logp(cups)
    D = L.shape[1]
    S, lam_used, _ = cov_shrink(L, "auto" if lam == "basis" else lam, "auto")
    est = CompositionalPartialCorrelation(
        shrinkage=lam, variance_shrinkage=None if lam == "basis" else "auto"
    ).fit(cups)
    R = np.asarray(est.partial_corr_)
    assert est.shrinkage_ == pytest.approx(lam_used)
    for r in (D - 1, 0, 4):
        keep = [k for k in range(D) if k != r]
        F = np.zeros((D - 1, D))
        F[np.arange(D - 1), keep] = 1.0
        F[:, r] = -1.0
        Ralr = partial_correlation_from_covariance(F @ S @ F.T)
        np.testing.assert_allclose(Ralr, R[np.ix_(keep, keep)], atol=1e-10)
    G = np.eye(D) - 1.0 / D
    np.testing.assert_allclose(partial_correlation_from_covariance(G @ S @ G), R, atol=1e-10)


def test_shrunk_row_scale_invariant_but_not_perturbation_invariant(cups):
    X = cups.to_numpy()
    rng = np.random.default_rng(0)
    base = np.asarray(partial_correlation(X, shrinkage="basis"))
    scaled = X * rng.uniform(0.5, 20, size=(X.shape[0], 1))
    np.testing.assert_allclose(
        np.asarray(partial_correlation(scaled, shrinkage="basis")), base, atol=1e-10
    )
    perturbed = X * rng.uniform(0.01, 100, size=(1, X.shape[1]))
    diff = np.abs(np.asarray(partial_correlation(perturbed, shrinkage="basis")) - base).max()
    assert diff > 1e-3, diff  # documented: perturbation invariance is lost once λ > 0


def test_lambda_one_is_closure_null_of_shrunk_variances(cups):
    est = CompositionalPartialCorrelation(shrinkage=1.0, variance_shrinkage="auto").fit(cups)
    L = _logp(cups)
    _, _, lam_v = cov_shrink(L)
    v = L.var(axis=0, ddof=1)
    v_star = lam_v * np.median(v) + (1 - lam_v) * v
    np.testing.assert_allclose(
        est.partial_corr_, closure_null_partial_correlation(v_star), atol=1e-10
    )
    np.testing.assert_allclose(est.partial_corr_, est.closure_null_, atol=1e-10)


def test_shrinkage_helps_when_n_below_d():
    """n < D: unshrunk pinv warns; basis shrinkage is closer to the truth."""
    data = make_logratio_network(15, n_parts=20, edge_strength=0.4, random_state=0)
    truth = data.partial_corr
    with pytest.warns(UserWarning, match="rank-deficient"):
        plain = CompositionalPartialCorrelation().fit(data.X)
    shrunk = CompositionalPartialCorrelation(shrinkage="basis").fit(data.X)
    off = ~np.eye(20, dtype=bool)
    err_plain = np.sqrt(np.mean((np.asarray(plain.partial_corr_) - truth)[off] ** 2))
    err_shrunk = np.sqrt(np.mean((np.asarray(shrunk.partial_corr_) - truth)[off] ** 2))
    assert err_shrunk < err_plain, (err_shrunk, err_plain)
    assert 0 < shrunk.shrinkage_ <= 1


def test_cov_shrink_fixed_intensities():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6))
    S0, lam, lam_v = cov_shrink(Z, 0.0, 0.0)
    np.testing.assert_allclose(S0, np.cov(Z.T), atol=1e-12)
    S1, _, _ = cov_shrink(Z, 1.0, 1.0)
    np.testing.assert_allclose(S1, np.median(np.var(Z, axis=0, ddof=1)) * np.eye(6), atol=1e-12)
    assert (lam, lam_v) == (0.0, 0.0)
