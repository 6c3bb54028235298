"""Rep4Ex safety regressions (issue #12): mini-batches, global RNG state, warnings, feature names, edge inputs."""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from causalkit.datasets import make_rep4ex_1d  # noqa: E402
from causalkit.exceptions import CausalkitWarning, FeatureNamesWarning  # noqa: E402
from causalkit.rep4ex import Rep4Ex  # noqa: E402

TINY = dict(hidden=(4,), max_epochs=1, random_state=0)


class _RowRecorder(torch.nn.Module):
    """Encoder that records which standardised rows it sees while gradients are on (training batches)."""

    seen: ClassVar[list] = []  # shared across the deep copy Rep4Ex makes

    def __init__(self, m: int):
        super().__init__()
        self.lin = torch.nn.Linear(m, 1)

    def forward(self, x):
        if torch.is_grad_enabled():
            _RowRecorder.seen.append(x[:, 0].detach().clone())
        return self.lin(x)


def _rows_used(n: int, batch_size: int, epochs: int = 1):
    """Fit Rep4Ex with the recording encoder; return the row ids used in each epoch."""
    d = make_rep4ex_1d(n, random_state=0)
    ids = np.arange(n, dtype=float)
    X = np.column_stack([ids, d.X])
    _RowRecorder.seen = []
    Rep4Ex(
        encoder=_RowRecorder(X.shape[1]),
        hidden=(4,),
        max_epochs=epochs,
        batch_size=batch_size,
        random_state=0,
    ).fit(d.Y, d.A, X=X)
    # standardised id column back to the row id
    rows = [
        np.rint(t.numpy().astype(float) * ids.std() + ids.mean()).astype(int)
        for t in _RowRecorder.seen
    ]
    return rows


# ---------------------------------------------------------------------- item 8: mini-batches
@pytest.mark.parametrize("n", [257, 300, 319, 530, 600, 1000])
def test_fit_uses_every_row_once_per_epoch(n):
    """n = 257..319 raised IndexError; n = 530 used 274 of 530 rows (the first batch was dropped)."""
    batches = _rows_used(n, 256, epochs=2)
    bs = 256
    per_epoch = -(-n // bs)
    if per_epoch > 1 and 0 < n % bs < bs // 4:
        per_epoch -= 1
    assert len(batches) == 2 * per_epoch
    for e in range(2):
        used = np.concatenate(batches[e * per_epoch : (e + 1) * per_epoch])
        assert used.shape[0] == n
        np.testing.assert_array_equal(np.sort(used), np.arange(n))


def test_batch_helper_partitions_every_n():
    from causalkit.rep4ex._estimator import _make_batches, _n_batches

    gen = torch.Generator().manual_seed(0)
    for bs in (2, 7, 256):
        for n in range(1, 1101):
            if n < 2 and bs > n:
                continue
            b = min(bs, n)
            perm = torch.randperm(n, generator=gen)
            batches = _make_batches(perm, b)
            used = torch.cat(batches)
            assert used.shape[0] == n, (n, bs)
            assert torch.equal(torch.sort(used).values, torch.arange(n)), (n, bs)
            assert len(batches) == _n_batches(n, b), (n, bs)
            if len(batches) > 1:
                assert min(x.shape[0] for x in batches) >= max(2, b // 4), (n, bs)


# ---------------------------------------------------------------------- item 14: global RNG state
@pytest.mark.parametrize("random_state", [0, None, np.random.RandomState(3)])
@pytest.mark.parametrize("n", [300, 1200])  # > 1000 rows: the bandwidth heuristics subsample
def test_fit_leaves_global_rng_untouched(random_state, n):
    d = make_rep4ex_1d(n, random_state=1)
    t_before = torch.get_rng_state().clone()
    np_before = np.random.get_state()  # noqa: NPY002 (the global state is what is checked)
    Rep4Ex(hidden=(4,), max_epochs=1, n_init=2, random_state=random_state).fit(d.Y, d.A, X=d.X)
    assert torch.equal(torch.get_rng_state(), t_before)
    np_after = np.random.get_state()  # noqa: NPY002
    assert np_after[0] == np_before[0]
    np.testing.assert_array_equal(np_after[1], np_before[1])
    assert np_after[2:] == np_before[2:]


def test_same_random_state_same_fit():
    d = make_rep4ex_1d(300, random_state=1)
    a = Rep4Ex(hidden=(4,), max_epochs=3, random_state=7).fit(d.Y, d.A, X=d.X)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(999)  # the caller's global state must not matter
        b = Rep4Ex(hidden=(4,), max_epochs=3, random_state=7).fit(d.Y, d.A, X=d.X)
    np.testing.assert_array_equal(a.transform(d.X), b.transform(d.X))
    c = Rep4Ex(hidden=(4,), max_epochs=3, random_state=8).fit(d.Y, d.A, X=d.X)
    assert np.max(np.abs(a.transform(d.X) - c.transform(d.X))) > 1e-3


# ---------------------------------------------------------------------- item 13: feature names
def test_feature_names_are_checked():
    """Reordered DataFrame columns were used by position: the code (and every prediction) silently changed."""
    import pandas as pd

    d = make_rep4ex_1d(200, random_state=0)
    cols = ["x0", "x1", "x2"]
    Xdf = pd.DataFrame(d.X, columns=cols)
    est = Rep4Ex(**TINY).fit(d.Y, d.A, X=Xdf)
    np.testing.assert_array_equal(est.feature_names_in_, cols)
    with pytest.warns(FeatureNamesWarning, match="X does not have valid feature names"):
        by_position = est.transform(d.X)
    np.testing.assert_array_equal(est.transform(Xdf), by_position)
    rev = Xdf[cols[::-1]]
    for call in (
        lambda X: est.transform(X),
        lambda X: est.reconstruct(X),
        lambda X: est.predict(X, d.A),
        lambda X: est.score(X, d.A, d.Y),
        lambda X: est.mmr_score(X, d.A),
        lambda X: est.predict_conditional_intervention(X, [0.5]),
    ):
        with pytest.raises(ValueError, match="same names in another order"):
            call(rev)
        with pytest.raises(ValueError, match=r"not seen in fit \['zz'\]"):
            call(Xdf.rename(columns={"x1": "zz"}))
        # names on one side only: one FeatureNamesWarning, at the caller's line
        with pytest.warns(FeatureNamesWarning) as rec:
            call(d.X)
        assert [r.filename for r in rec if r.category is FeatureNamesWarning] == [__file__]
    est.fit(d.Y, d.A, X=d.X)  # refit on an array forgets the names
    assert not hasattr(est, "feature_names_in_")
    with pytest.warns(
        FeatureNamesWarning, match="X has feature names, but Rep4Ex was fitted without"
    ):
        est.transform(rev)


# ---------------------------------------------------------------------- named warnings
def test_extrapolation_warning_is_named_and_points_at_the_caller():
    from causalkit.exceptions import ExtrapolationWarning
    from causalkit.rep4ex import ControlFunctionExtrapolator

    d = make_rep4ex_1d(400, random_state=0)
    cf = ControlFunctionExtrapolator().fit(d.Y, d.A, Z=d.Z)
    with pytest.warns(ExtrapolationWarning, match="outside the observed range") as rec:
        cf.predict_intervention([4.0])
    assert [r.filename for r in rec] == [__file__]
    est = Rep4Ex(**TINY).fit(d.Y, d.A, X=d.X)
    with pytest.warns(ExtrapolationWarning) as rec:
        est.predict_intervention([6.0])
    assert [r.filename for r in rec] == [__file__]


# ---------------------------------------------------------------------- degenerate and extreme inputs (item 12 class)
@pytest.mark.parametrize("factor", [1e200, 1e-300])
def test_extreme_magnitudes_of_X_are_standardised_exactly(factor):
    """X * 1e200: std overflowed, the code was constant (prediction -0.16 vs 0.12, a RuntimeWarning);
    X * 1e-300: 'X must vary: every column is constant'."""
    d = make_rep4ex_1d(300, random_state=0)
    ref = Rep4Ex(**TINY).fit(d.Y, d.A, X=d.X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = Rep4Ex(**TINY).fit(d.Y, d.A, X=d.X * factor)
        np.testing.assert_allclose(
            est.predict_intervention([0.5]), ref.predict_intervention([0.5]), rtol=1e-4, atol=1e-5
        )
        np.testing.assert_allclose(est.transform(d.X * factor), ref.transform(d.X), atol=1e-5)


def test_actions_too_large_or_too_flat_are_refused_clearly():
    d = make_rep4ex_1d(300, random_state=0)
    with pytest.raises(ValueError, match=r"A has values of magnitude up to .*rescale"):
        Rep4Ex(**TINY).fit(
            d.Y, d.A * 1e200, X=d.X
        )  # was 'got rank 0 for 1 columns' + RuntimeWarning


@pytest.mark.parametrize("bandwidth", [1e-300, 1e300])
def test_degenerate_bandwidth_is_refused(bandwidth):
    """1e-300: 'cannot convert float NaN to integer'; 1e300: OverflowError."""
    d = make_rep4ex_1d(300, random_state=0)
    with pytest.raises(ValueError, match=r"bandwidth=.* too (small|large)"):
        Rep4Ex(**{**TINY, "bandwidth": bandwidth}).fit(d.Y, d.A, X=d.X)


def test_median_heuristic_with_mostly_tied_actions():
    """73% of the actions equal: the median distance is 0 and the kernel was NaN ('cannot convert float NaN')."""
    d = make_rep4ex_1d(300, random_state=0)
    A = d.A.copy()
    A[:220] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalkitWarning)
        est = Rep4Ex(**TINY).fit(d.Y, A, X=d.X)
        assert np.all(np.isfinite(est.predict_intervention([0.5])))
    assert np.isfinite(est.bandwidth_) and est.bandwidth_ > 0
    assert 0 < est.kernel_mass_ <= 1


@pytest.mark.parametrize("params", [dict(lr=1e10), dict(mmr_weight=1e300)])
def test_diverged_training_is_reported(params):
    """Was 'Z must be finite; found 300 NaN' from the second stage."""
    d = make_rep4ex_1d(300, random_state=0)
    with pytest.raises(ValueError, match=r"training diverged.*(lr|mmr_weight)"):
        Rep4Ex(**{**TINY, "max_epochs": 3, **params}).fit(d.Y, d.A, X=d.X)


def test_bad_device_and_generator_seed():
    d = make_rep4ex_1d(300, random_state=0)
    with pytest.raises(ValueError, match="device='foo'"):  # was a RuntimeError from torch
        Rep4Ex(**{**TINY, "device": "foo"}).fit(d.Y, d.A, X=d.X)
    # a numpy Generator seeds reproducibly (was a ValueError from RandomState)
    a = Rep4Ex(**{**TINY, "random_state": np.random.default_rng(4)}).fit(d.Y, d.A, X=d.X)
    b = Rep4Ex(**{**TINY, "random_state": np.random.default_rng(4)}).fit(d.Y, d.A, X=d.X)
    np.testing.assert_array_equal(a.transform(d.X), b.transform(d.X))


def test_control_function_refuses_a_representation_that_ignores_A():
    """Constant Z: M_hat ~ 1e-17 was inverted and a prediction returned (with only a support warning)."""
    from causalkit.rep4ex import ControlFunctionExtrapolator

    d = make_rep4ex_1d(300, random_state=0)
    with pytest.raises(ValueError, match="Z must vary"):
        ControlFunctionExtrapolator().fit(d.Y, d.A, Z=np.ones((300, 1)))
    Z = np.column_stack([d.Z[:, 0], np.ones(300)])
    A2 = np.column_stack([d.A, np.random.default_rng(0).uniform(size=300)])
    with pytest.raises(ValueError, match="Z must vary"):
        ControlFunctionExtrapolator().fit(d.Y, A2, Z=Z)


def test_predict_time_inputs_far_outside_fit_and_tiny_mmr_samples():
    """X * 1e200 at transform time gave NaN codes (float32 overflow); mmr_score on one row returned NaN."""
    d = make_rep4ex_1d(300, random_state=0)
    est = Rep4Ex(**TINY).fit(d.Y, d.A, X=d.X)
    with pytest.raises(ValueError, match="X lies too far outside the range seen in fit"):
        est.transform(d.X * 1e200)
    with pytest.raises(ValueError, match="X lies too far outside the range seen in fit"):
        est.predict_conditional_intervention(d.X * 1e200, [0.5])
    with pytest.raises(ValueError, match="mmr_score needs at least 2 rows"):
        est.mmr_score(d.X[:1], d.A[:1])
    assert np.isfinite(est.mmr_score(d.X[:2], d.A[:2]))


def test_truth_and_grid_helpers_validate_inputs():
    """inf gave a RuntimeWarning and NaN truths; rep4ex_grid(2, n_points=0) raised numpy AxisError."""
    from causalkit.datasets import rep4ex_grid, rep4ex_truth_1d, rep4ex_truth_2d

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="a_values must be finite"):
            rep4ex_truth_1d([np.inf, 0.0])
        with pytest.raises(ValueError, match="a_values must be finite"):
            rep4ex_truth_2d([[np.nan, 0.0]])
        with pytest.raises(ValueError, match="a_values must be finite"):
            make_rep4ex_1d(20, random_state=0).truth([np.inf])
    for dim in (1, 2):
        with pytest.raises(ValueError, match="n_points must be an integer >= 2"):
            rep4ex_grid(dim, n_points=0)
        with pytest.raises(ValueError, match="limit must be"):
            rep4ex_grid(dim, limit=np.nan)
    assert rep4ex_grid(2, n_points=3).a.shape == (9, 2)


# ---------------------------------------------------------------------- item 3: persistence without torch modules
def test_skops_round_trip_rebuilds_the_networks_exactly(tmp_path):
    """The default networks are stored as state_dict arrays: skops loads them with causalkit types only."""
    sio = pytest.importorskip("skops.io")
    d = make_rep4ex_1d(300, random_state=0)
    est = Rep4Ex(hidden=(8, 4), max_epochs=2, random_state=0).fit(d.Y, d.A, X=d.X)
    path = tmp_path / "rep4ex.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert not [t for t in untrusted if t.startswith("torch")], untrusted
    assert {t for t in untrusted if t.startswith("causalkit")} == {
        "causalkit.rep4ex._control.ControlFunctionExtrapolator",
        "causalkit.rep4ex._control._TensorSpline",
        "causalkit.rep4ex._estimator.Rep4Ex",
    }
    assert isinstance(
        est.encoder_, torch.nn.Sequential
    )  # dumping leaves the fitted estimator intact
    t_before = torch.get_rng_state().clone()
    loaded = sio.load(path, trusted=untrusted)
    assert torch.equal(torch.get_rng_state(), t_before)  # rebuilding draws no torch random numbers
    assert not loaded.encoder_.training and not loaded.decoder_.training
    for a, b in ((est.encoder_, loaded.encoder_), (est.decoder_, loaded.decoder_)):
        assert str(a) == str(b)
        for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
            assert ka == kb and torch.equal(va, vb)
    np.testing.assert_array_equal(loaded.transform(d.X), est.transform(d.X))
    np.testing.assert_array_equal(loaded.reconstruct(d.X), est.reconstruct(d.X))
    np.testing.assert_array_equal(loaded.predict(d.X, d.A), est.predict(d.X, d.A))
    # a later set_params(hidden=...) does not break loading: the widths come from the stored weights
    est.set_params(hidden=(3,))
    again = sio.loads(sio.dumps(est), trusted=untrusted)
    np.testing.assert_array_equal(again.transform(d.X), loaded.transform(d.X))


def test_pickle_keeps_custom_networks_as_modules():
    import pickle

    d = make_rep4ex_1d(300, random_state=0)
    enc = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1))
    est = Rep4Ex(encoder=enc, hidden=(6,), max_epochs=2, random_state=0).fit(d.Y, d.A, X=d.X)
    state = est.__getstate__()
    assert state["encoder_"] is est.encoder_ and "_encoder_weights" not in state
    assert state["decoder_"] is None and set(state["_decoder_weights"]) == {
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    }
    restored = pickle.loads(pickle.dumps(est))
    assert isinstance(restored.encoder_[1], torch.nn.Tanh)
    np.testing.assert_array_equal(restored.reconstruct(d.X), est.reconstruct(d.X))


# ---------------------------------------------------------------------- item 13: ControlFunctionExtrapolator names
def test_control_function_checks_feature_names_of_Z():
    """fit(y, A, Z=df[['z0', 'z1']]) then predict(df[['z1', 'z0']], A) silently swapped the latent coordinates."""
    import pandas as pd

    from causalkit.exceptions import FeatureNamesWarning
    from causalkit.rep4ex import ControlFunctionExtrapolator

    rng = np.random.default_rng(0)
    A = rng.uniform(-1, 1, size=(300, 2))
    Z = A @ np.array([[2.0, 0.5], [0.0, 1.0]]) + rng.normal(scale=0.5, size=(300, 2))
    y = np.sin(Z[:, 0]) + Z[:, 1] + rng.normal(scale=0.1, size=300)
    Zdf = pd.DataFrame(Z, columns=["z0", "z1"])
    cf = ControlFunctionExtrapolator(n_knots=4).fit(y, A, Z=Zdf)
    np.testing.assert_array_equal(cf.feature_names_in_, ["z0", "z1"])
    assert cf.n_features_in_ == 2 and cf.n_actions_ == 2
    for call in (
        lambda Zq: cf.predict(Zq, A),
        lambda Zq: cf.score(Zq, A, y),
        lambda Zq: cf.predict_conditional_intervention(Zq, [[0.0, 0.0]]),
    ):
        with pytest.raises(ValueError, match="same names in another order"):
            call(Zdf[["z1", "z0"]])
        with pytest.raises(ValueError, match=r"not seen in fit \['w'\]"):
            call(Zdf.rename(columns={"z1": "w"}))
    with pytest.warns(FeatureNamesWarning, match="does not have valid feature names") as rec:
        by_position = cf.predict(Z, A)
    assert [r.filename for r in rec] == [__file__]
    np.testing.assert_array_equal(cf.predict(Zdf, A), by_position)
    cf.fit(y, A, Z=Z)  # refit on an array forgets the names
    assert not hasattr(cf, "feature_names_in_")
    with pytest.warns(FeatureNamesWarning, match="has feature names"):
        cf.predict(Zdf, A)
    # d < k: n_features_in_ is the width of Z, not the number of actions
    one = ControlFunctionExtrapolator(n_knots=4).fit(y, A, Z=Zdf[["z0"]])
    assert one.n_features_in_ == 1 and one.n_actions_ == 2
    assert one.predict(Zdf[["z0"]], A).shape == (300,)
