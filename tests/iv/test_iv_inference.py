"""Standard errors against Monte Carlo spread (the sandwich at 0 < kappa < 1 has no peer implementation)."""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.iv import IVLRegression


def _draw(rng, n):
    Z = rng.normal(size=(n, 3))
    u = rng.normal(size=n)
    X = Z @ np.array([[1.0, 0.2], [0.5, 1.0], [0.0, 0.4]]) + u[:, None] + rng.normal(size=(n, 2))
    y = X @ np.array([1.0, -0.5]) + u + rng.normal(size=n) * (0.5 + np.abs(Z[:, 0]))
    return X, y, Z


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_hc_stderr_matches_monte_carlo_spread(alpha):
    rng = np.random.default_rng(7)
    coefs, ses = [], []
    for _ in range(300):
        X, y, Z = _draw(rng, 400)
        est = IVLRegression(ivl_alpha=alpha, cov_type="HC1").fit(X, y, instruments=Z)
        coefs.append(est.coef_)
        ses.append(est.stderr_[1:])
    ratio = np.mean(ses, axis=0) / np.std(coefs, axis=0)
    np.testing.assert_allclose(ratio, 1.0, atol=0.15)


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.0, 0.5, 5.0])
def test_hc_coverage_study(alpha):
    """95% Wald intervals cover the probability limit of IVL(alpha) about 95% of the time (1000 reps)."""
    rng = np.random.default_rng(2024)
    X, y, Z = _draw(np.random.default_rng(1), 2_000_000)
    target = IVLRegression(ivl_alpha=alpha, cov_type=None).fit(X, y, instruments=Z).coef_
    hits = []
    for _ in range(1000):
        X, y, Z = _draw(rng, 500)
        ci = IVLRegression(ivl_alpha=alpha).fit(X, y, instruments=Z).conf_int(alpha=0.05)
        ci = ci.to_numpy()[1:]
        hits.append((ci[:, 0] <= target) & (target <= ci[:, 1]))
    cover = np.mean(hits, axis=0)
    assert np.all(np.abs(cover - 0.95) < 0.025), cover
