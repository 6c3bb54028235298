"""Rep4Ex on the spec's 1-D DGP: affine identification, extrapolation, contract, determinism, units."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.preprocessing import SplineTransformer  # noqa: E402

from causalkit._base import check_sklearn_contract  # noqa: E402
from causalkit.datasets import make_rep4ex_1d, make_rep4ex_2d, rep4ex_grid  # noqa: E402
from causalkit.rep4ex import ControlFunctionExtrapolator, Rep4Ex  # noqa: E402
from causalkit.rep4ex._torch import gaussian_gram, median_bandwidth, mmr_penalty  # noqa: E402

SEED = 1  # acceptance seed; the 10-seed study below (slow) reports the spread


def _r2(Z, code):
    return LinearRegression().fit(code, Z).score(code, Z)


def _mse(pred, truth, mask):
    return float(np.mean((pred - truth)[mask] ** 2))


def _fit_all(seed: int, n: int = 4000):
    d = make_rep4ex_1d(n, random_state=seed)
    g = rep4ex_grid(1)
    truth = d.truth(g.a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rep = Rep4Ex(random_state=seed).fit(d.Y, d.A, X=d.X)
        van = Rep4Ex(mmr_weight=0.0, random_state=seed).fit(d.Y, d.A, X=d.X)
        p_rep = rep.predict_intervention(g.a)
    mlp = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=500, random_state=seed).fit(d.A, d.Y)
    p_mlp = mlp.predict(g.a[:, None])
    # no control function: regress Y on the code only and plug in alpha + M a + V_hat
    code = rep.transform(d.X)
    spl = SplineTransformer(n_knots=12, extrapolation="linear").fit(code)
    reg = Ridge(alpha=1e-3).fit(spl.transform(code), d.Y)
    cf = rep.control_function_
    p_plug = np.array(
        [
            reg.predict(
                spl.transform(cf.residuals_V_ + cf.intercept_A_ + cf.coef_A_[0, 0] * a)
            ).mean()
            for a in g.a
        ]
    )
    return {
        "r2_rep": _r2(d.Z, code),
        "r2_van": _r2(d.Z, van.transform(d.X)),
        "out_rep": _mse(p_rep, truth, g.outside),
        "in_rep": _mse(p_rep, truth, g.inside),
        "out_mlp": _mse(p_mlp, truth, g.outside),
        "in_mlp": _mse(p_mlp, truth, g.inside),
        "out_plug": _mse(p_plug, truth, g.outside),
        "data": d,
        "rep": rep,
    }


@pytest.fixture(scope="module")
def acceptance():
    return _fit_all(SEED)


def test_affine_identification(acceptance):
    r = acceptance
    assert r["r2_rep"] >= 0.97, r["r2_rep"]
    assert r["r2_rep"] - r["r2_van"] >= 0.04, (r["r2_rep"], r["r2_van"])


def test_extrapolation(acceptance):
    r = acceptance
    assert r["out_rep"] <= 0.6, r["out_rep"]
    assert r["out_rep"] <= 0.5 * r["out_mlp"], (r["out_rep"], r["out_mlp"])
    assert r["in_rep"] <= 0.1, r["in_rep"]
    # the baseline fails only outside the support
    assert r["in_mlp"] <= 0.05 and r["out_mlp"] >= 0.8, (r["in_mlp"], r["out_mlp"])
    # the control function matters
    assert r["out_plug"] >= 3 * r["out_rep"], (r["out_plug"], r["out_rep"])


def test_fitted_attributes_and_conditional(acceptance):
    est, d = acceptance["rep"], acceptance["data"]
    assert isinstance(est.encoder_, torch.nn.Sequential) and isinstance(
        est.decoder_, torch.nn.Sequential
    )
    assert all(isinstance(m, (torch.nn.Linear, torch.nn.LeakyReLU)) for m in est.encoder_)
    assert est.coef_A_.shape == (1, 1) and est.residuals_V_.shape == (4000, 1)
    assert len(est.history_["loss"]) == est.n_epochs_ == 100
    # the MMR penalty falls during training
    assert np.mean(est.history_["mmr"][-10:]) < est.history_["mmr"][0]
    # conditional effect E[Y | X = g(z), do(a)] = 2 sin z + (z - 2a) (U = V + noise, V = z - 2a)
    z = np.linspace(-2.0, 2.0, 9)
    x = d.mixing(z)
    cond = est.predict_conditional_intervention(x, [-0.5, 0.5])
    truth = 2 * np.sin(z)[:, None] + z[:, None] - 2 * np.array([-0.5, 0.5])
    assert cond.shape == (9, 2)
    assert np.sqrt(np.mean((cond - truth) ** 2)) < 0.3
    assert est.score(d.X, d.A, d.Y) > 0.9
    np.testing.assert_allclose(est.reconstruct(d.X[:200]), d.X[:200], atol=0.1)
    assert est.mmr_score(d.X, d.A) < 1e-2


def test_same_seed_same_result_and_pickle():
    d = make_rep4ex_1d(600, random_state=0)
    g = rep4ex_grid(1)

    def fit(est):
        return est.fit(d.Y, d.A, X=d.X)

    def out(est):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return np.concatenate([est.transform(d.X[:50]).ravel(), est.predict_intervention(g.a)])

    check_sklearn_contract(Rep4Ex(max_epochs=5, random_state=3), fit=fit, output=out)
    a = fit(Rep4Ex(max_epochs=5, random_state=3))
    b = fit(Rep4Ex(max_epochs=5, random_state=4))
    assert not np.allclose(out(a), out(b))
    restored = pickle.loads(pickle.dumps(a))
    for p, q in zip(a.encoder_.state_dict().values(), restored.encoder_.state_dict().values()):
        assert torch.equal(p, q)
    # fitting does not disturb the caller's global torch RNG or thread setting
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    fit(Rep4Ex(max_epochs=1, random_state=0))
    assert torch.equal(torch.rand(1), before)


def test_early_stopping_and_verbose():
    d = make_rep4ex_1d(600, random_state=0)
    est = Rep4Ex(
        max_epochs=300, early_stopping=True, n_iter_no_change=3, random_state=0, verbose=True
    ).fit(d.Y, d.A, X=d.X)
    assert est.n_epochs_ < 300
    assert len(est.history_["val_loss"]) == est.n_epochs_
    assert est.transform(d.X).shape == (600, 1)


def test_n_init_keeps_lowest_objective_and_auto_sizes():
    d = make_rep4ex_1d(600, random_state=0)
    single = Rep4Ex(max_epochs=3, random_state=0).fit(d.Y, d.A, X=d.X)
    multi = Rep4Ex(max_epochs=3, n_init=3, random_state=0).fit(d.Y, d.A, X=d.X)
    assert single.init_objectives_ is None
    assert multi.init_objectives_.shape == (3,)
    # the kept networks are those with the lowest objective; the first initialisation equals the single fit
    torch_mod, T = torch, __import__("causalkit.rep4ex._torch", fromlist=["x"])
    Xs = (d.X - multi.x_mean_) / multi.x_scale_
    kept = multi._objective(torch_mod, T, multi.encoder_, multi.decoder_, Xs, d.A)
    assert np.isclose(kept, multi.init_objectives_.min(), rtol=1e-5, atol=1e-7)
    first = single._objective(torch_mod, T, single.encoder_, single.decoder_, Xs, d.A)
    assert np.isclose(first, multi.init_objectives_[0], rtol=1e-5, atol=1e-7)
    # per-coordinate bandwidth, kernel mass, auto batch: 1-D uniform A gives about 0.24 and 256 rows
    assert 0.2 < single.kernel_mass_ < 0.28 and single.batch_size_ == 256
    d2 = make_rep4ex_2d(2000, random_state=0)
    two = Rep4Ex(max_epochs=1, random_state=0).fit(d2.Y, d2.A, X=d2.X)
    assert 0.06 < two.kernel_mass_ < 0.11 and 380 < two.batch_size_ < 520
    assert two.batch_size_ * (two.batch_size_ - 1) * two.kernel_mass_ >= 15_000


def test_custom_networks_are_used():
    d = make_rep4ex_1d(400, random_state=0)
    enc = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    est = Rep4Ex(encoder=enc, hidden=(16,), max_epochs=2, random_state=0).fit(d.Y, d.A, X=d.X)
    assert isinstance(est.encoder_[1], torch.nn.Tanh)
    assert est.encoder_ is not enc  # the parameter is copied, not trained in place
    assert est.get_params()["encoder"] is enc


def test_mmr_units():
    """MMR(true Z) ~ 0, MMR(Z^3) clearly > 0; the U-statistic is centred under the restriction."""
    d = make_rep4ex_1d(2000, random_state=5)
    A = torch.as_tensor(d.A, dtype=torch.float64)
    sigma = 0.5 * median_bandwidth(d.A, np.random.RandomState(0))
    K = gaussian_gram(A, sigma)
    z = torch.as_tensor(d.Z, dtype=torch.float64)
    m_true = float(mmr_penalty(z, A, K))
    m_cube = float(mmr_penalty(z**3, A, K))
    null = []
    for s in range(8):
        dd = make_rep4ex_1d(2000, random_state=200 + s)
        As = torch.as_tensor(dd.A, dtype=torch.float64)
        null.append(float(mmr_penalty(torch.as_tensor(dd.Z), As, gaussian_gram(As, sigma))))
    assert abs(m_true) < 1e-2
    assert m_cube > 5 * abs(m_true) and m_cube > np.mean(null) + 5 * np.std(null)
    # the V-statistic adds the (positive) diagonal term
    assert float(mmr_penalty(z, A, K, statistic="v")) > m_true
    # centred: the mean of the U-statistic over resamples is ~ 0
    vals = []
    for s in range(20):
        dd = make_rep4ex_1d(256, random_state=100 + s)
        As = torch.as_tensor(dd.A, dtype=torch.float64)
        vals.append(float(mmr_penalty(torch.as_tensor(dd.Z), As, gaussian_gram(As, sigma))))
    assert abs(np.mean(vals)) < 3 * np.std(vals) / np.sqrt(len(vals)) + 1e-4


@pytest.mark.slow
def test_acceptance_over_seeds():
    """10 seeds of the acceptance setting; measured spread is reported in the PR."""
    rows = [_fit_all(s) for s in range(10)]
    r2 = np.array([r["r2_rep"] for r in rows])
    gap = r2 - np.array([r["r2_van"] for r in rows])
    out = np.array([r["out_rep"] for r in rows])
    ratio = out / np.array([r["out_mlp"] for r in rows])
    inside = np.array([r["in_rep"] for r in rows])
    print(
        "r2",
        r2.round(4),
        "gap",
        gap.round(3),
        "out",
        out.round(3),
        "ratio",
        ratio.round(3),
        "in",
        inside.round(4),
    )
    assert np.all(r2 >= 0.97)
    assert np.median(gap) >= 0.04
    assert np.median(out) <= 0.3 and np.all(ratio <= 0.5)
    assert np.all(inside <= 0.1)


@pytest.mark.slow
def test_two_dimensional():
    """d = k = 2 over 3 seeds (n = 4000): oracle, identification, in-support fit, and the issue's target:
    Rep4Ex beats the MLP on A out of support (mean over seeds). Measured: Rep4Ex 0.673/0.149/0.304 (mean 0.375),
    MLP 0.644/0.666/0.577 (mean 0.629), R² 0.897/0.976/0.974."""
    g = rep4ex_grid(2)
    rows = []
    for seed in (0, 1, 2):
        d = make_rep4ex_2d(4000, random_state=seed)
        truth = d.truth(g.a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            rep = Rep4Ex(random_state=seed, n_knots=8).fit(d.Y, d.A, X=d.X)
            p = rep.predict_intervention(g.a)
            oracle = (
                ControlFunctionExtrapolator(n_knots=8)
                .fit(d.Y, d.A, Z=d.Z)
                .predict_intervention(g.a)
            )
        mlp = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=500, random_state=seed)
        p_mlp = mlp.fit(d.A, d.Y).predict(g.a)
        rows.append(
            dict(
                r2=_r2(d.Z, rep.transform(d.X)),
                out=_mse(p, truth, g.outside),
                inside=_mse(p, truth, g.inside),
                mlp=_mse(p_mlp, truth, g.outside),
                oracle=_mse(oracle, truth, g.outside),
            )
        )
    print("2-D", rows)
    r2 = np.array([r["r2"] for r in rows])
    out = np.array([r["out"] for r in rows])
    out_mlp = np.array([r["mlp"] for r in rows])
    assert all(r["oracle"] <= 0.1 for r in rows)
    assert np.all(r2 >= 0.85) and np.median(r2) >= 0.95, (
        r2
    )  # was 0.78-0.86 before kernel normalisation
    assert all(r["inside"] <= 0.3 for r in rows)
    assert np.median(out) <= 0.6, out
    assert out.mean() <= 0.6 and out.mean() <= 0.8 * out_mlp.mean(), (out, out_mlp)


@pytest.mark.gpu
def test_fit_on_cuda():
    d = make_rep4ex_1d(4000, random_state=SEED)
    g = rep4ex_grid(1)
    est = Rep4Ex(device="cuda", random_state=SEED).fit(d.Y, d.A, X=d.X)
    assert next(est.encoder_.parameters()).device.type == "cpu"
    assert _r2(d.Z, est.transform(d.X)) >= 0.97
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        p = est.predict_intervention(g.a)
    assert _mse(p, d.truth(g.a), g.outside) <= 0.6
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.transform(d.X[:10]), est.transform(d.X[:10]))


@pytest.mark.parametrize("Est", [Rep4Ex, ControlFunctionExtrapolator])
def test_sklearn_checks_that_apply(Est):
    """The sklearn checks that do not call ``fit(X, y)``.

    Deviation from ``check_estimator``: ``fit`` follows the effect-estimator convention (#13), ``Rep4Ex.fit(Y, A,
    *, X)`` and ``ControlFunctionExtrapolator.fit(Y, A, *, Z)`` (outcome, action, observation/representation),
    and the main output is ``predict_intervention(a_values)``, not ``predict(X)``; the ``fit(X, y)``-based checks
    cannot run.
    The contract they cover (clone, get/set_params, pickling, determinism, no attributes before fit) is checked by
    ``check_sklearn_contract`` above and in test_rep4ex_control.py.
    """
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    name = Est.__name__
    check_no_attributes_set_in_init(name, Est())
    check_parameters_default_constructible(name, Est())
    check_get_params_invariance(name, Est())
    check_set_params(name, Est())


def test_dataframe_inputs_match_arrays():
    import pandas as pd

    d = make_rep4ex_1d(400, random_state=0)
    est_np = Rep4Ex(max_epochs=3, random_state=0).fit(d.Y, d.A[:, 0], X=d.X)
    X = pd.DataFrame(d.X, columns=["x0", "x1", "x2"])
    est_pd = Rep4Ex(max_epochs=3, random_state=0).fit(
        pd.Series(d.Y), pd.Series(d.A[:, 0], name="a"), X=X
    )
    np.testing.assert_array_equal(est_pd.transform(X), est_np.transform(d.X))


def test_pandas_in_pandas_out():
    # #13 item 6: transform, reconstruct and predict keep a DataFrame's index (arrays in, arrays out)
    import pandas as pd

    d = make_rep4ex_1d(300, random_state=0)
    cols = [f"x{j}" for j in range(d.X.shape[1])]
    X = pd.DataFrame(d.X, columns=cols, index=pd.RangeIndex(1000, 1300, name="unit"))
    est = Rep4Ex(hidden=(8,), max_epochs=3, random_state=0).fit(d.Y, d.A, X=X)
    code = est.transform(X)
    assert isinstance(code, pd.DataFrame) and code.index.equals(X.index)
    assert list(code.columns) == [f"code{j}" for j in range(code.shape[1])]
    back = est.reconstruct(X)
    assert list(back.columns) == cols and back.index.equals(X.index)
    pred = est.predict(X, d.A)
    assert isinstance(pred, pd.Series) and pred.index.equals(X.index)
    np.testing.assert_array_equal(pred.to_numpy(), est.predict(d.X, d.A))
    np.testing.assert_array_equal(code.to_numpy(), est.transform(d.X))
