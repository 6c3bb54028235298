"""Bad input to the rep4ex estimators and simulators raises clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.datasets import make_rep4ex_1d, make_rep4ex_2d, rep4ex_grid, rep4ex_truth_2d
from causalkit.rep4ex import ControlFunctionExtrapolator, Rep4Ex


@pytest.fixture(scope="module")
def d():
    return make_rep4ex_1d(200, random_state=0)


def _fast(**kw):
    return Rep4Ex(**{"max_epochs": 1, "random_state": 0, **kw})


def test_latent_dim_exceeds_actions(d):
    with pytest.raises(ValueError, match=r"latent_dim=2 exceeds the dimension of A \(1\)"):
        _fast(latent_dim=2).fit(d.Y, d.A, X=d.X)
    with pytest.raises(ValueError, match="at least as many actions as latent dimensions"):
        ControlFunctionExtrapolator().fit(d.Y, d.A, Z=np.column_stack([d.Z, d.Z**2]))


def test_mismatched_lengths(d):
    with pytest.raises(ValueError, match="mismatched lengths"):
        _fast().fit(d.Y, d.A[:-1], X=d.X)
    with pytest.raises(ValueError, match="mismatched lengths"):
        ControlFunctionExtrapolator().fit(d.Y[:-1], d.A, Z=d.Z)


@pytest.mark.parametrize("which", ["X", "A", "Y"])
def test_nan_and_inf(d, which):
    arrays = {"X": d.X.copy(), "A": d.A.copy(), "Y": d.Y.copy()}
    arrays[which][3] = np.nan
    with pytest.raises(ValueError, match=f"{which} must be finite"):
        _fast().fit(arrays["Y"], arrays["A"], X=arrays["X"])
    arrays[which][3] = np.inf
    with pytest.raises(ValueError, match=f"{which} must be finite"):
        _fast().fit(arrays["Y"], arrays["A"], X=arrays["X"])


def test_nan_in_Z(d):
    Z = d.Z.copy()
    Z[0] = np.nan
    with pytest.raises(ValueError, match="Z must be finite"):
        ControlFunctionExtrapolator().fit(d.Y, d.A, Z=Z)


def test_constant_or_collinear_A(d):
    with pytest.raises(ValueError, match=r"A must vary: column\(s\) \[0\] are constant"):
        _fast().fit(d.Y, np.ones(200), X=d.X)
    with pytest.raises(ValueError, match="A must vary"):
        ControlFunctionExtrapolator().fit(d.Y, np.full((200, 1), 3.0), Z=d.Z)
    A2 = np.column_stack([d.A, 2 * d.A])
    with pytest.raises(ValueError, match="linearly independent columns"):
        _fast().fit(d.Y, A2, X=d.X)


def test_wrong_shapes(d):
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        _fast().fit(d.Y, d.A, X=d.X[:, 0])
    with pytest.raises(ValueError, match="Y must be 1-dimensional"):
        _fast().fit(np.column_stack([d.Y, d.Y]), d.A, X=d.X)
    with pytest.raises(TypeError, match="A must be numeric"):
        _fast().fit(d.Y, np.array(["a"] * 200, dtype=object), X=d.X)


def test_bad_parameters(d):
    cases = [
        (dict(mmr_weight=-1.0), ValueError, "mmr_weight must be >= 0"),
        (dict(bandwidth="mean"), ValueError, "bandwidth must be 'median' or a positive number"),
        (dict(bandwidth=0.0), ValueError, "bandwidth must be > 0"),
        (dict(mmr_statistic="w"), ValueError, "mmr_statistic must be 'u' or 'v'"),
        (dict(max_epochs=0), ValueError, "max_epochs must be >= 1"),
        (dict(max_epochs="long"), ValueError, "max_epochs must be 'auto' or an integer >= 1"),
        (dict(max_epochs=2.5), TypeError, "max_epochs must be an integer; got float"),
        (dict(batch_size=1), ValueError, "batch_size must be >= 2"),
        (dict(batch_size="big"), ValueError, "batch_size must be 'auto' or an integer >= 2"),
        (dict(n_init=0), ValueError, "n_init must be >= 1"),
        (dict(n_threads=0), ValueError, "n_threads must be >= 1"),
        (dict(lr=0.0), ValueError, "lr must be > 0"),
        (dict(latent_dim=0), ValueError, "latent_dim must be >= 1"),
        (dict(latent_dim=1.0), TypeError, "latent_dim must be an integer"),
        (dict(validation_fraction=1.0), ValueError, "validation_fraction must be < 1"),
        (dict(outcome_model="gam"), ValueError, "outcome_model must be 'spline'"),
        (dict(n_knots=1), ValueError, "n_knots must be >= 2"),
        (dict(ridge_alpha=-1.0), ValueError, "ridge_alpha must be >= 0"),
        (dict(hidden=(64, 0)), ValueError, "hidden"),
        (dict(encoder="mlp"), TypeError, "encoder must be a torch.nn.Module"),
        (
            dict(device="cuda:7" if not _has_cuda() else "nodevice"),
            (ValueError, RuntimeError),
            "cuda|device",
        ),
    ]
    for kw, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            _fast(**kw).fit(d.Y, d.A, X=d.X)


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_custom_network_shapes(d):
    import torch

    with pytest.raises(ValueError, match=r"encoder must output shape \(batch, latent_dim=1\)"):
        _fast(encoder=torch.nn.Linear(3, 2)).fit(d.Y, d.A, X=d.X)
    with pytest.raises(ValueError, match="encoder must map inputs of width 3"):
        _fast(encoder=torch.nn.Linear(4, 1)).fit(d.Y, d.A, X=d.X)
    with pytest.raises(ValueError, match=r"decoder must output shape \(batch, 3\)"):
        _fast(decoder=torch.nn.Linear(1, 2)).fit(d.Y, d.A, X=d.X)


def test_predict_inputs(d):
    est = _fast().fit(d.Y, d.A, X=d.X)
    with pytest.raises(ValueError, match=r"a_values must have shape \(m, 1\)"):
        est.predict_intervention(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="a_values must be finite"):
        est.predict_intervention([np.nan])
    with pytest.raises(ValueError, match="X has 2 feature"):
        est.transform(d.X[:, :2])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Rep4Ex().transform(d.X)
    with pytest.raises(NotFittedError):
        ControlFunctionExtrapolator().predict_intervention([0.0])
    cf = ControlFunctionExtrapolator().fit(d.Y, d.A, Z=d.Z)
    with pytest.raises(ValueError, match=r"Z must have 1 column\(s\)"):
        cf.predict_conditional_intervention(np.zeros((2, 2)), [0.0])


def test_two_action_shapes():
    d2 = make_rep4ex_2d(200, random_state=0)
    cf = ControlFunctionExtrapolator(n_knots=4).fit(d2.Y, d2.A, Z=d2.Z)
    with pytest.raises(ValueError, match=r"a_values must be 2-dimensional"):
        cf.predict_intervention([0.0, 1.0])
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        rep4ex_truth_2d([0.0, 1.0])


def test_simulator_arguments():
    with pytest.raises(ValueError, match="n_samples must be >= 2"):
        make_rep4ex_1d(1)
    with pytest.raises(TypeError, match="n_samples must be an int"):
        make_rep4ex_1d(10.5)
    with pytest.raises(ValueError, match="noise_sd must be > 0"):
        make_rep4ex_1d(10, noise_sd=0.0)
    with pytest.raises(ValueError, match="dim must be 1 or 2"):
        rep4ex_grid(3)


def test_too_few_samples_for_splines(d):
    with pytest.raises(ValueError, match="at least 4 \\* n_knots"):
        ControlFunctionExtrapolator(n_knots=12).fit(d.Y[:20], d.A[:20], Z=d.Z[:20])


def test_actions_with_a_large_offset_are_refused_by_name():
    # A = 1e10 + noise is constant in float32 (the networks' precision): torch.linalg.solve failed with a
    # LinAlgError on the singular in-batch Gram matrix (thorough property profile, mode "offset")
    from causalkit.rep4ex import Rep4Ex

    rng = np.random.default_rng(0)
    X, A, Y = rng.normal(size=(40, 2)), rng.normal(size=40), rng.normal(size=40)
    with pytest.raises(ValueError, match=r"A column\(s\) \[0\] vary by less than 1e-4"):
        Rep4Ex(hidden=(4,), max_epochs=2, n_knots=2, random_state=0).fit(Y, A + 1e10, X=X)
    Rep4Ex(hidden=(4,), max_epochs=2, n_knots=2, random_state=0).fit(Y, A + 1e3, X=X)  # resolvable: fits
