"""ControlFunctionExtrapolator: the oracle on the true latent Z (fast, deterministic)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from causalkit._base import check_sklearn_contract
from causalkit.datasets import make_rep4ex_1d, make_rep4ex_2d, rep4ex_grid
from causalkit.rep4ex import ControlFunctionExtrapolator


@pytest.fixture(scope="module")
def data1d():
    return make_rep4ex_1d(4000, random_state=0)


def _mse(pred, truth, mask):
    return float(np.mean((pred - truth)[mask] ** 2))


def test_oracle_extrapolates(data1d):
    g = rep4ex_grid(1)
    truth = data1d.truth(g.a)
    pred = (
        ControlFunctionExtrapolator().fit(data1d.Y, data1d.A, Z=data1d.Z).predict_intervention(g.a)
    )
    assert _mse(pred, truth, g.outside) <= 0.02
    assert _mse(pred, truth, g.inside) <= 0.02


@pytest.mark.parametrize("h, c", [(3.0, -1.0), (-0.5, 4.0)])
def test_oracle_affine_invariance(data1d, h, c):
    g = rep4ex_grid(1)
    base = ControlFunctionExtrapolator().fit(data1d.Y, data1d.A, Z=data1d.Z)
    moved = ControlFunctionExtrapolator().fit(data1d.Y, data1d.A, Z=h * data1d.Z + c)
    np.testing.assert_allclose(
        moved.predict_intervention(g.a), base.predict_intervention(g.a), atol=1e-8
    )
    np.testing.assert_allclose(moved.coef_A_, h * base.coef_A_, rtol=1e-10)
    np.testing.assert_allclose(moved.residuals_V_, h * base.residuals_V_, atol=1e-10)


def test_stage_one_recovers_M(data1d):
    cf = ControlFunctionExtrapolator().fit(data1d.Y, data1d.A, Z=data1d.Z)
    assert cf.coef_A_.shape == (1, 1) and cf.intercept_A_.shape == (1,)
    assert abs(cf.coef_A_[0, 0] - 2.0) < 0.1
    np.testing.assert_allclose(
        cf.residuals_V_, data1d.V - cf.intercept_A_ - (cf.coef_A_[0, 0] - 2) * data1d.A, atol=1e-10
    )


def test_control_function_matters(data1d):
    """Ignoring the confounding (regress Y on Z only, plug in M a + V) is biased out of support."""
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import SplineTransformer

    g = rep4ex_grid(1)
    truth = data1d.truth(g.a)
    cf = ControlFunctionExtrapolator().fit(data1d.Y, data1d.A, Z=data1d.Z)
    spl = SplineTransformer(n_knots=12, extrapolation="linear").fit(data1d.Z)
    reg = Ridge(alpha=1e-3).fit(spl.transform(data1d.Z), data1d.Y)
    plug = np.array(
        [
            reg.predict(
                spl.transform(cf.residuals_V_ + cf.intercept_A_ + cf.coef_A_[0, 0] * a)
            ).mean()
            for a in g.a
        ]
    )
    assert _mse(plug, truth, g.outside) >= 3 * _mse(cf.predict_intervention(g.a), truth, g.outside)


def test_no_confounding_psi_is_flat():
    """With U independent of V, the control function psi carries only sampling noise."""
    d = make_rep4ex_1d(4000, random_state=3)
    rng = np.random.RandomState(1)
    y = 2 * np.sin(d.Z[:, 0]) + rng.normal(size=4000)
    cf = ControlFunctionExtrapolator().fit(y, d.A, Z=d.Z)
    psi = cf._psi(cf.residuals_V_)
    assert np.std(psi) < 0.1
    g = rep4ex_grid(1)
    assert _mse(cf.predict_intervention(g.a), d.truth(g.a), g.outside) <= 0.05


def test_conditional_and_observational_predictions(data1d):
    cf = ControlFunctionExtrapolator().fit(data1d.Y, data1d.A, Z=data1d.Z)
    z = data1d.Z[:5]
    # identified where v = z - 2a lies in the support of V; the first rows have |z| < 2.5
    cond = cf.predict_conditional_intervention(z, [0.0, 0.5])
    assert cond.shape == (5, 2)
    assert np.all(np.abs(z - 2 * np.array([0.0, 0.5])) < 3)
    # E[Y | Z = z, do(A = a)] = 2 sin z + E[U | V = z - 2a] = 2 sin z + (z - 2a)
    expected = 2 * np.sin(z) + (z - 2 * np.array([0.0, 0.5]))
    np.testing.assert_allclose(cond, expected, atol=0.25)
    # at the observed action the conditional prediction equals the observational fit
    np.testing.assert_allclose(
        cf.predict(data1d.Z[:5], data1d.A[:5]),
        [cf.predict_conditional_intervention(data1d.Z[[i]], data1d.A[i])[0, 0] for i in range(5)],
        atol=1e-10,
    )
    assert cf.score(data1d.Z, data1d.A, data1d.Y) > 0.9


def test_support_warning(data1d):
    cf = ControlFunctionExtrapolator(support_tol=0.01).fit(data1d.Y, data1d.A, Z=data1d.Z)
    frac = cf.support_fraction([0.0, 1.75, 5.0])
    assert frac[0] == 0.0 and 0 < frac[1] < frac[2] and frac[2] > 0.9
    with pytest.warns(UserWarning, match="outside the observed range of Z"):
        cf.predict_intervention([5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cf.predict_intervention([0.0, 0.5])


def test_sklearn_contract(data1d):
    check_sklearn_contract(
        ControlFunctionExtrapolator(n_knots=8),
        fit=lambda est: est.fit(data1d.Y[:500], data1d.A[:500], Z=data1d.Z[:500]),
        output=lambda est: est.predict_intervention([-1.0, 0.0, 1.0]),
    )


def test_two_dimensional_oracle():
    d = make_rep4ex_2d(3000, random_state=0)
    g = rep4ex_grid(2)
    cf = ControlFunctionExtrapolator(n_knots=8).fit(d.Y, d.A, Z=d.Z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pred = cf.predict_intervention(g.a)
    truth = d.truth(g.a)
    assert _mse(pred, truth, g.inside) <= 0.02
    # out-of-support corners leave the observed Z range: looser, but far below the variance of the truth (0.69)
    assert _mse(pred, truth, g.outside) <= 0.1
    # canonical coordinates M_hat^{-1}(Z - alpha_hat): invariant to any invertible affine map of Z
    H = np.array([[2.0, 1.0], [-0.5, 1.5]])
    moved = ControlFunctionExtrapolator(n_knots=8).fit(d.Y, d.A, Z=d.Z @ H.T + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        np.testing.assert_allclose(moved.predict_intervention(g.a[:5]), pred[:5], atol=1e-8)
