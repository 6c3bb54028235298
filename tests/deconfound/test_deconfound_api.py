"""RewardDeconfounder on the #13 API convention, and the #12 leftovers on groups and scalar inputs.

``fit(rewards, features, *, confounders, groups=None)`` (EconML's ``fit(Y, T, *, X, W)`` order), keyword-only
constructor after the first parameter, ``inference_`` set by ``fit`` with the mixin's ``summary``/``conf_int``,
``effect``/``ate``/``ate_interval``, pandas indexes kept, the ridge final stage through ``_base.sandwich_cov``.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit._base import EffectMixin, EffectResult, InferenceMixin
from causalkit.datasets import make_confounded_content
from causalkit.deconfound import RewardDeconfounder

METHODS = ["dml", "joint", "naive", "residualize_confounders"]


@pytest.fixture(scope="module")
def d():
    data = make_confounded_content(300, random_state=0)
    index = pd.Index([f"item{i}" for i in range(300)], name="item")
    data.rewards.index = index
    data.features.index = index
    data.confounders.index = index
    return data


@pytest.fixture(scope="module")
def fitted(d):
    return RewardDeconfounder(random_state=0).fit(d.rewards, d.features, confounders=d.confounders)


# ------------------------------------------------------------------------------------------ signatures
def test_fit_takes_rewards_and_features_then_keyword_only_confounders():
    params = inspect.signature(RewardDeconfounder.fit).parameters
    assert list(params)[:3] == ["self", "rewards", "features"]
    assert params["confounders"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["confounders"].default is inspect.Parameter.empty  # required
    assert params["groups"].kind is inspect.Parameter.KEYWORD_ONLY
    for method in ("fit_transform", "transform"):
        params = inspect.signature(getattr(RewardDeconfounder, method)).parameters
        assert params["confounders"].kind is inspect.Parameter.KEYWORD_ONLY, method


def test_old_positional_order_is_refused_not_silently_swapped(d):
    """``fit(rewards, confounders, features)`` would swap the roles for an EconML user: it is a TypeError now."""
    with pytest.raises(TypeError):
        RewardDeconfounder().fit(d.rewards, d.confounders, d.features)
    with pytest.raises(TypeError, match="confounders"):
        RewardDeconfounder().fit(d.rewards, d.features)
    with pytest.raises(TypeError):
        RewardDeconfounder(random_state=0).fit(
            d.rewards, d.features, confounders=d.confounders
        ).transform(d.rewards, d.confounders, d.features)


def test_constructor_is_keyword_only_after_the_first_parameter():
    params = list(inspect.signature(RewardDeconfounder.__init__).parameters.values())[1:]
    assert params[0].name == "model_confounders"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    assert "alpha" not in [p.name for p in params]  # the ridge penalty is final_alpha
    with pytest.raises(TypeError):
        RewardDeconfounder(None, None)


# --------------------------------------------------------------------------------- results vocabulary
def test_inference_is_set_by_fit_and_read_by_the_mixin(fitted):
    assert isinstance(fitted, EffectMixin)
    assert RewardDeconfounder.conf_int is InferenceMixin.conf_int
    assert RewardDeconfounder.summary is InferenceMixin.summary
    assert not hasattr(fitted, "effect_inference")
    result = fitted.inference_
    assert isinstance(result, EffectResult)
    assert result.names == ["t_spur", "t_ent", "t_ind"]
    np.testing.assert_array_equal(result.estimate, fitted.coef_)
    np.testing.assert_array_equal(result.stderr, fitted.stderr_)
    ci = fitted.conf_int(alpha=0.1)
    assert list(ci.columns) == ["lower", "upper"] and list(ci.index) == result.names
    lower, upper = result.interval_bounds(0.1)
    np.testing.assert_array_equal(ci["lower"], lower)
    np.testing.assert_array_equal(ci["upper"], upper)
    table = fitted.summary(alpha=0.1).table
    assert list(table.columns[:6]) == [
        "estimate",
        "std_err",
        "z",
        "p_value",
        "ci_lower_90%",
        "ci_upper_90%",
    ]
    assert list(table.index) == result.names


def test_ate_effect_and_ate_interval(fitted, d):
    assert fitted.ate() == float(fitted.coef_[0])
    lower, upper = fitted.ate_interval(alpha=0.05)
    row = fitted.conf_int(alpha=0.05).iloc[0]
    assert (lower, upper) == (row["lower"], row["upper"])
    np.testing.assert_array_equal(fitted.effect(), fitted.coef_)
    rows = fitted.effect(d.features.iloc[:4])
    assert isinstance(rows, pd.DataFrame)
    assert list(rows.index) == list(d.features.index[:4])
    assert list(rows.columns) == ["t_spur", "t_ent", "t_ind"]
    np.testing.assert_array_equal(rows.to_numpy(), np.tile(fitted.coef_, (4, 1)))
    assert fitted.effect(np.zeros((5, 3))).shape == (5, 3)


def test_cluster_summary_says_cluster(d):
    groups = np.arange(300) % 25
    est = RewardDeconfounder(random_state=0).fit(
        d.rewards, d.features, confounders=d.confounders, groups=groups
    )
    assert est.n_clusters_ == 25
    text = str(est.summary())
    assert "cluster" in text and "Clusters:" in text and "25" in text


# ------------------------------------------------------------------------------------- pandas in/out
@pytest.mark.parametrize("method", METHODS)
def test_adjusted_rewards_keep_the_rewards_index(d, method):
    est = RewardDeconfounder(method=method, random_state=0).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    adj = est.adjusted_rewards_
    assert isinstance(adj, pd.Series)
    pd.testing.assert_index_equal(adj.index, d.rewards.index)
    assert adj.name == d.rewards.name
    out = RewardDeconfounder(method=method, random_state=0).fit_transform(
        d.rewards, d.features, confounders=d.confounders
    )
    pd.testing.assert_series_equal(out, adj)
    new = est.transform(d.rewards.iloc[:7], confounders=d.confounders.iloc[:7])
    assert isinstance(new, pd.Series) and list(new.index) == list(d.rewards.index[:7])
    pred = est.predict(d.features.iloc[:7])
    assert isinstance(pred, pd.Series) and list(pred.index) == list(d.features.index[:7])


def test_arrays_in_arrays_out(d):
    est = RewardDeconfounder(random_state=0).fit(
        d.rewards.to_numpy(), d.features.to_numpy(), confounders=d.confounders.to_numpy()
    )
    assert type(est.adjusted_rewards_) is np.ndarray
    assert type(est.predict(d.features.to_numpy())) is np.ndarray
    assert (
        type(est.transform(d.rewards.to_numpy(), confounders=d.confounders.to_numpy()))
        is np.ndarray
    )
    ref = RewardDeconfounder(random_state=0).fit(d.rewards, d.features, confounders=d.confounders)
    np.testing.assert_array_equal(est.adjusted_rewards_, ref.adjusted_rewards_.to_numpy())
    np.testing.assert_array_equal(est.coef_, ref.coef_)


def test_one_column_rewards_frame_keeps_its_index(d):
    est = RewardDeconfounder(method="joint").fit(
        d.rewards.to_frame("clicks"), d.features, confounders=d.confounders
    )
    assert est.adjusted_rewards_.name == "clicks"
    pd.testing.assert_index_equal(est.adjusted_rewards_.index, d.rewards.index)


# --------------------------------------------------------------------------- ridge final stage (sandwich)
@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "cluster"])
def test_ridge_sandwich_matches_the_formula(d, cov_type):
    groups = np.arange(300) % 25 if cov_type == "cluster" else None
    penalty = 3.0
    est = RewardDeconfounder(final_alpha=penalty, cov_type=cov_type, random_state=0).fit(
        d.rewards, d.features, confounders=d.confounders, groups=groups
    )
    rt, ry = est.features_residuals_, est.rewards_residuals_
    n, p = rt.shape
    bread = np.linalg.inv(rt.T @ rt + penalty * np.eye(p))
    beta = bread @ rt.T @ ry
    np.testing.assert_allclose(est.coef_, beta, rtol=1e-10)
    scores = rt * (ry - rt @ beta)[:, None]
    if groups is None:
        meat = scores.T @ scores * (n / (n - p) if cov_type == "HC1" else 1.0)
    else:
        sums = np.stack([scores[groups == g].sum(axis=0) for g in np.unique(groups)])
        meat = sums.T @ sums * (25 / 24) * ((n - 1) / (n - p))
    np.testing.assert_allclose(est.cov_, bread @ meat @ bread, rtol=1e-10)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3", "nonrobust"])
def test_ridge_refuses_other_covariances_before_fitting(d, cov_type):
    with pytest.raises(
        ValueError, match=rf"cov_type='{cov_type}' is not available with final_alpha"
    ):
        RewardDeconfounder(final_alpha=1.0, cov_type=cov_type).fit(
            d.rewards, d.features, confounders=d.confounders
        )


# ------------------------------------------------------------------------ #12 leftovers: groups, scalars
@pytest.mark.parametrize("method", METHODS)
def test_groups_mixing_str_and_int_are_cluster_labels(d, method):
    """Was ``TypeError: '<' not supported between instances of 'str' and 'int'`` from the fold splitter."""
    mixed = np.array([i % 25 if i % 2 else f"g{i % 25}" for i in range(300)], dtype=object)
    codes = pd.factorize(mixed)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 50 clusters: no ClusterWarning either
        est = RewardDeconfounder(method=method, random_state=0).fit(
            d.rewards, d.features, confounders=d.confounders, groups=mixed
        )
    ref = RewardDeconfounder(method=method, random_state=0).fit(
        d.rewards, d.features, confounders=d.confounders, groups=codes
    )
    assert est.n_clusters_ == 50
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    np.testing.assert_array_equal(est.stderr_, ref.stderr_)
    for train, test in est.fold_indices_[0] if est.fold_indices_ else []:
        assert not set(mixed[test].tolist()) & set(mixed[train].tolist())  # no cluster split


@pytest.mark.parametrize("method", ["dml", "joint"])
@pytest.mark.parametrize(
    "groups",
    [np.arange(300) % 30 + 1j, np.array([1 + 2j, 3] * 150, dtype=object)],
    ids=["complex", "object-with-complex"],
)
def test_complex_groups_are_a_type_error_naming_groups(d, method, groups):
    with pytest.raises(TypeError, match=r"groups: complex numbers are not cluster labels"):
        RewardDeconfounder(method=method, random_state=0).fit(
            d.rewards, d.features, confounders=d.confounders, groups=groups
        )


def test_scalar_groups_are_a_type_error_naming_groups(d):
    with pytest.raises(TypeError, match=r"groups must be an array of 300 cluster labels.*scalar"):
        RewardDeconfounder().fit(d.rewards, d.features, confounders=d.confounders, groups=5)


@pytest.mark.parametrize(
    "scalar", [1.0, np.float64(1.0), np.array(1.0)], ids=["float", "np", "0-d"]
)
@pytest.mark.parametrize("arg", ["rewards", "features", "confounders"])
def test_scalar_inputs_are_refused_by_name(d, arg, scalar):
    data = {"rewards": d.rewards, "features": d.features, "confounders": d.confounders}
    data[arg] = scalar
    with pytest.raises(
        (TypeError, ValueError), match=rf"^{arg} must be (array-like|an array of samples)"
    ):
        RewardDeconfounder().fit(data["rewards"], data["features"], confounders=data["confounders"])


def test_scalar_inputs_to_transform_and_predict_are_refused_by_name(fitted, d):
    with pytest.raises((TypeError, ValueError), match=r"^rewards must be"):
        fitted.transform(2.0, confounders=d.confounders)
    with pytest.raises((TypeError, ValueError), match=r"^confounders must be"):
        fitted.transform(d.rewards, confounders=2.0)
    with pytest.raises(ValueError, match="confounders is required"):
        fitted.transform(d.rewards, confounders=None)


@pytest.mark.parametrize(
    "index",
    [
        None,
        pd.Index([f"item{i}" for i in range(300)], name="item"),
        pd.RangeIndex(10, 610, 2, name="row"),
        pd.MultiIndex.from_arrays([np.arange(300) // 3, np.arange(300) % 3], names=["a", "b"]),
    ],
    ids=["array", "str-index", "range-index", "multi-index"],
)
def test_adjusted_rewards_index_survives_pickle_and_skops(tmp_path, index):
    import pickle

    sio = pytest.importorskip("skops.io")
    data = make_confounded_content(300, random_state=0)
    rewards = data.rewards.to_numpy() if index is None else data.rewards.set_axis(index)
    est = RewardDeconfounder(method="joint").fit(
        rewards, data.features, confounders=data.confounders
    )
    for restored in (pickle.loads(pickle.dumps(est)), _skops_round_trip(sio, est, tmp_path)):
        if index is None:
            np.testing.assert_array_equal(restored.adjusted_rewards_, est.adjusted_rewards_)
        else:
            pd.testing.assert_series_equal(restored.adjusted_rewards_, est.adjusted_rewards_)
        np.testing.assert_array_equal(restored.conf_int().to_numpy(), est.conf_int().to_numpy())


def _skops_round_trip(sio, est, tmp_path):
    path = tmp_path / "est.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert not [t for t in untrusted if t.startswith(("pandas", "builtins"))], untrusted
    return sio.load(path, trusted=untrusted)


def test_arrays_after_a_named_fit_warn_at_the_callers_line(fitted, d):
    from causalkit.exceptions import FeatureNamesWarning

    calls = [
        ("features", lambda: fitted.predict(d.features.to_numpy())),
        ("confounders", lambda: fitted.transform(d.rewards, confounders=d.confounders.to_numpy())),
        ("features", lambda: fitted.score(d.features.to_numpy(), d.rewards)),
    ]
    for argument, call in calls:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            call()
        named = [w for w in record if issubclass(w.category, FeatureNamesWarning)]
        assert len(named) == 1, [str(w.message) for w in record]
        assert str(named[0].message).startswith(f"{argument} does not have valid feature names")
        assert "RewardDeconfounder was fitted with feature names" in str(named[0].message)
        assert named[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureNamesWarning)
        fitted.predict(d.features)  # the same names: silent
        fitted.transform(d.rewards, d.features, confounders=d.confounders)
