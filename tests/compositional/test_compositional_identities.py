"""Exact identities of compositional partial correlations (spec §3 and §5.3-5.5, 5.7), to 1e-10."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from causalkit.compositional import (
    ILR,
    CompositionalPartialCorrelation,
    alr,
    clr,
    helmert_basis,
    ilr,
    partial_correlation,
    partial_correlation_from_covariance,
    variation_matrix,
)
from causalkit.datasets import load_roman_cups, make_logratio_network

TOL = 1e-10


@pytest.fixture(scope="module")
def cups() -> pd.DataFrame:
    return load_roman_cups()


@pytest.fixture(scope="module")
def sim() -> np.ndarray:
    return make_logratio_network(300, n_parts=7, edge_strength=0.4, random_state=3).X.to_numpy()


@pytest.fixture(scope="module", params=["cups", "sim"])
def data(request, cups, sim) -> np.ndarray:
    return cups.to_numpy() if request.param == "cups" else sim


def _pcor(X) -> np.ndarray:
    return np.asarray(partial_correlation(X))


def _residuals(y: np.ndarray, Z: np.ndarray) -> np.ndarray:
    A = np.column_stack([np.ones(len(y)), Z])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return y - A @ beta


def test_alr_route_every_reference(data):
    """cov(alr_r)⁻¹ is P with row/column r deleted, so ρ matches on the shared indices for every r."""
    R = _pcor(data)
    D = data.shape[1]
    for r in range(D):
        A = alr(data, reference=r)
        Pi = np.linalg.inv(np.cov(A.T))
        d = np.sqrt(np.diag(Pi))
        Ralr = -Pi / np.outer(d, d)
        np.fill_diagonal(Ralr, 1.0)
        keep = [k for k in range(D) if k != r]
        np.testing.assert_allclose(Ralr, R[np.ix_(keep, keep)], atol=TOL, rtol=0)


def test_precision_block_identity(data):
    est = CompositionalPartialCorrelation().fit(data)
    P = np.asarray(est.precision_)
    D = data.shape[1]
    np.testing.assert_allclose(P.sum(axis=1), 0, atol=TOL * np.abs(P).max())
    for r in (0, D - 1):
        keep = [k for k in range(D) if k != r]
        Pi = np.linalg.inv(np.cov(alr(data, reference=r).T))
        np.testing.assert_allclose(Pi, P[np.ix_(keep, keep)], rtol=1e-9, atol=1e-9)


def test_erb_residual_definition_every_reference(data):
    """Erb: corr of residuals of log(xi/xr), log(xj/xr) on the other log-ratios, the same for every r."""
    R = _pcor(data)
    L = np.log(data)
    D = L.shape[1]
    for i, j in itertools.combinations(range(D), 2):
        for r in range(D):
            if r in (i, j):
                continue
            others = [k for k in range(D) if k not in (i, j, r)]
            Z = L[:, others] - L[:, [r]]
            ei = _residuals(L[:, i] - L[:, r], Z)
            ej = _residuals(L[:, j] - L[:, r], Z)
            rho = np.corrcoef(ei, ej)[0, 1]
            assert abs(rho - R[i, j]) < TOL, (i, j, r, rho, R[i, j])


@pytest.mark.parametrize("ddof", [0, 1])
def test_partial_variance_is_residual_variance(data, ddof):
    """Regressing log(xi/xr) on all other log-ratios leaves variance 1/Pii, for every r."""
    est = CompositionalPartialCorrelation(ddof=ddof).fit(data)
    pv = np.asarray(est.partial_var_)
    L = np.log(data)
    n, D = L.shape
    for i in range(D):
        for r in range(D):
            if r == i:
                continue
            others = [k for k in range(D) if k not in (i, r)]
            e = _residuals(L[:, i] - L[:, r], L[:, others] - L[:, [r]])
            assert abs((e @ e) / (n - ddof) - pv[i]) < TOL * max(1.0, pv[i])


def test_ilr_bases_agree(data):
    R = _pcor(data)
    D = data.shape[1]
    rng = np.random.default_rng(0)
    # random orthonormal basis of the clr hyperplane: rotate the Helmert basis
    rot, _ = np.linalg.qr(rng.normal(size=(D - 1, D - 1)))
    V_random = helmert_basis(D) @ rot
    gamma = np.cov(clr(data).T)
    for V in (helmert_basis(D), V_random):
        Z = ilr(data, basis=V)
        P = V @ np.linalg.inv(np.cov(Z.T)) @ V.T
        d = np.sqrt(np.diag(P))
        Rv = -P / np.outer(d, d)
        np.fill_diagonal(Rv, 1.0)
        np.testing.assert_allclose(Rv, R, atol=TOL, rtol=0)
        np.testing.assert_allclose(V @ (V.T @ gamma @ V) @ V.T, gamma, atol=1e-12)
    # the transformer gives the same coordinates
    np.testing.assert_allclose(ILR(basis=V_random).fit_transform(data), ilr(data, V_random))


def test_clr_covariance_from_variation_matrix(data):
    """Γ = -½ G T G."""
    D = data.shape[1]
    G = np.eye(D) - 1.0 / D
    T = variation_matrix(data)
    gamma = np.cov(clr(data).T)
    np.testing.assert_allclose(-0.5 * G @ T @ G, gamma, atol=TOL, rtol=0)
    est = CompositionalPartialCorrelation().fit(data)
    np.testing.assert_allclose(est.covariance_, gamma, atol=TOL, rtol=0)


def test_pingouin_oracle_on_alr(data):
    """pingouin's pcorr on alr data (full rank) reproduces ρ on the shared indices for two references."""
    pg = pytest.importorskip("pingouin")
    assert pg is not None
    R = _pcor(data)
    D = data.shape[1]
    for r in (D - 1, 0):
        keep = [k for k in range(D) if k != r]
        frame = pd.DataFrame(alr(data, reference=r), columns=[f"p{k}" for k in keep])
        np.testing.assert_allclose(frame.pcorr().to_numpy(), R[np.ix_(keep, keep)], atol=1e-8)


def test_pingouin_partial_corr_alr_residual_design(cups):
    pg = pytest.importorskip("pingouin")
    R = _pcor(cups)
    L = np.log(cups.to_numpy())
    i, j, r = 0, 1, 5
    others = [k for k in range(L.shape[1]) if k not in (i, j, r)]
    frame = pd.DataFrame(
        {"yi": L[:, i] - L[:, r], "yj": L[:, j] - L[:, r]}
        | {f"z{k}": L[:, k] - L[:, r] for k in others}
    )
    out = pg.partial_corr(frame, x="yi", y="yj", covar=[f"z{k}" for k in others])
    assert abs(float(out["r"].iloc[0]) - R[i, j]) < 1e-8


def test_minus_one_trap_is_avoided(cups):
    """Regressing clr_i and clr_j on the other clr columns always gives -1; the public API must not."""
    C = clr(cups)
    D = C.shape[1]
    i, j = 0, 1
    others = [k for k in range(D) if k not in (i, j)]
    rho_trap = np.corrcoef(_residuals(C[:, i], C[:, others]), _residuals(C[:, j], C[:, others]))[
        0, 1
    ]
    assert rho_trap == pytest.approx(-1.0, abs=1e-8)
    R = _pcor(cups)
    off = R[~np.eye(D, dtype=bool)]
    assert np.all(off > -0.99) and np.any(off > 0)


def test_invariances(data):
    R = _pcor(data)
    rng = np.random.default_rng(1)
    n, D = data.shape
    # row scaling and closure
    scaled = data * rng.uniform(0.1, 50, size=(n, 1))
    np.testing.assert_allclose(_pcor(scaled), R, atol=TOL, rtol=0)
    closed = data / data.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_pcor(closed), R, atol=TOL, rtol=0)
    # perturbation by column constants (no shrinkage)
    perturbed = data * rng.uniform(0.01, 100, size=(1, D))
    np.testing.assert_allclose(_pcor(perturbed), R, atol=TOL, rtol=0)
    # permutation of parts permutes ρ
    perm = rng.permutation(D)
    np.testing.assert_allclose(_pcor(data[:, perm]), R[np.ix_(perm, perm)], atol=TOL, rtol=0)
    # log base
    for base in (2.0, 10.0):
        Lb = np.log(data) / np.log(base)
        Cb = Lb - Lb.mean(axis=1, keepdims=True)
        np.testing.assert_allclose(
            partial_correlation_from_covariance(np.cov(Cb.T)), R, atol=TOL, rtol=0
        )
    # structure
    np.testing.assert_allclose(R, R.T, atol=0)
    np.testing.assert_array_equal(np.diag(R), 1.0)
    assert np.all(np.abs(R) <= 1)


def test_subcompositional_incoherence(cups):
    """Reclosed subcomposition ρ ≠ block of the full ρ, but = pinv route on -½ G_S T[S,S] G_S."""
    S = ["Si", "Al", "Fe", "Ca", "Na", "K"]
    full = partial_correlation(cups)
    sub = partial_correlation(cups[S])
    diff = np.abs(sub.to_numpy() - full.loc[S, S].to_numpy()).max()
    assert diff > 0.05, diff
    T = variation_matrix(cups)
    idx = [list(cups.columns).index(s) for s in S]
    G = np.eye(len(S)) - 1.0 / len(S)
    route = partial_correlation_from_covariance(-0.5 * G @ T[np.ix_(idx, idx)] @ G)
    np.testing.assert_allclose(sub.to_numpy(), route, atol=TOL, rtol=0)
    # reclosing does not matter
    reclosed = cups[S].div(cups[S].sum(axis=1), axis=0)
    np.testing.assert_allclose(partial_correlation(reclosed).to_numpy(), route, atol=TOL)


def test_normalisation_equivalence(cups):
    """Normalising by a reference set R keeps ρ for pairs outside R, not for pairs inside R."""
    X = cups.to_numpy()
    L = np.log(X)
    D = L.shape[1]
    ref = [7, 8, 9]  # Ti, P, Mn
    y = L - L[:, ref].mean(axis=1, keepdims=True)
    Ry = partial_correlation_from_covariance(np.cov(y.T))
    R = _pcor(X)
    out = [k for k in range(D) if k not in ref]
    np.testing.assert_allclose(Ry[np.ix_(out, out)], R[np.ix_(out, out)], atol=1e-9, rtol=0)
    inside = Ry[np.ix_(ref, ref)] - R[np.ix_(ref, ref)]
    assert np.abs(inside).max() > 0.05


def test_raw_log_partial_correlations_differ(cups):
    """Raw-log partial correlations are not the compositional ones (pitfall)."""
    L = np.log(cups.to_numpy())
    raw = partial_correlation_from_covariance(np.cov(L.T))
    assert np.abs(raw - _pcor(cups)).max() > 0.1
