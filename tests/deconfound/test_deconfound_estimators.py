"""RewardDeconfounder against the spec's DGP (known truth) and outside references (statsmodels, DoubleML).

Deviation from ``sklearn.utils.estimator_checks.check_estimator``: ``fit(rewards, confounders, features)``
takes three data arguments (and texts as features), not ``fit(X, y)``, so the generic checks cannot call it.
The contract that applies (clone, get/set_params, pickling, refit reproducibility, no fitted attributes before
fit) is checked with ``causalkit._base.check_sklearn_contract``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LinearRegression

from causalkit._base import check_sklearn_contract
from causalkit.datasets import (
    make_confounded_content,
    make_confounded_texts,
    make_content_candidates,
)
from causalkit.deconfound import RewardDeconfounder

SPUR, ENT, IND = 0, 1, 2


def fourier_basis(C):
    """The spec's basis: sin/cos of harmonics 1..5 of the season, plus the platform indicator."""
    C = np.asarray(C, dtype=float)
    season, platform = C[:, 0], C[:, 1]
    cols = [f(k * season) for k in range(1, 6) for f in (np.sin, np.cos)]
    return np.column_stack([*cols, platform])


@pytest.fixture(scope="module")
def data():
    return make_confounded_content(4000, random_state=2024)


@pytest.fixture(scope="module")
def fits(data):
    out = {}
    for method in ("dml", "joint", "naive", "residualize_confounders"):
        out[method] = RewardDeconfounder(method=method, random_state=0).fit(
            data.rewards, data.features, confounders=data.confounders
        )
    out["joint_fourier"] = RewardDeconfounder(method="joint", basis=fourier_basis).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    return out


def test_spurious_feature_removed(fits):
    assert abs(fits["naive"].coef_[SPUR]) > 1.0
    for method in ("dml", "joint", "joint_fourier"):
        assert abs(fits[method].coef_[SPUR]) < 0.1, (method, fits[method].coef_)


def test_entangled_causal_feature_recovered(fits):
    assert abs(fits["naive"].coef_[ENT] - 1.0) > 0.1
    for method in ("dml", "joint", "joint_fourier"):
        assert abs(fits[method].coef_[ENT] - 1.0) < 0.05, (method, fits[method].coef_)
        assert abs(fits[method].coef_[IND] - 0.5) < 0.06, (method, fits[method].coef_)


def test_residualizing_rewards_only_stays_biased(fits):
    """Pins the known wrong answer so nobody simplifies the estimator into it (spec: 0.90 and -0.35)."""
    wrong = fits["residualize_confounders"].coef_
    assert abs(wrong[ENT] - 1.0) > 0.05
    assert wrong[SPUR] < -0.2
    assert abs(fits["dml"].coef_[ENT] - wrong[ENT]) > 0.05


def test_naive_coef_attribute_matches_naive_method(fits):
    np.testing.assert_allclose(fits["dml"].naive_coef_, fits["naive"].coef_, rtol=1e-10)


def test_best_of_8_selection(fits):
    cand = make_content_candidates(500, 8, random_state=7)
    value = cand.causal_value.reshape(500, 8)
    oracle = value.max(axis=1).mean()

    def picked(est):
        score = est.predict(cand.features).to_numpy().reshape(500, 8)  # a Series (index kept)
        return value[np.arange(500), score.argmax(axis=1)].mean()

    naive = picked(fits["naive"])
    for method in ("dml", "joint"):
        deconf = picked(fits[method])
        assert deconf >= oracle - 0.05, (method, deconf, oracle)
        assert deconf > naive + 0.3, (method, deconf, naive)
    # randomised (A/B) rewards: the deconfounded reward ranks them better than the naive one
    y_ab = cand.causal_value + np.random.default_rng(0).normal(size=cand.causal_value.shape)
    assert fits["dml"].score(cand.features, y_ab) > fits["naive"].score(cand.features, y_ab) + 0.05


def test_no_confounding_adjusted_agrees_with_naive():
    d = make_confounded_content(4000, confounding=0.0, random_state=3)
    est = RewardDeconfounder(random_state=0).fit(d.rewards, d.features, confounders=d.confounders)
    naive = RewardDeconfounder(method="naive").fit(d.rewards, d.features, confounders=d.confounders)
    # naive's SE (confounder effect left in its noise) bounds the sampling error of the difference
    assert np.all(np.abs(est.coef_ - naive.coef_) < 3 * naive.stderr_), (est.coef_, naive.coef_)
    assert np.all(np.abs(est.coef_ - d.coef.to_numpy()) < 4 * est.stderr_)


def test_joint_invariant_to_functions_of_confounders(data, fits):
    rng = np.random.default_rng(1)
    C = data.confounders.to_numpy()
    # the spec's basis: any function in its span (h itself: 2 sin c + 1.5 plat, and random others)
    for shift in (
        5.0 * np.sin(C[:, 0]) - 3.0 * C[:, 1] + 7.0,
        fourier_basis(C) @ rng.normal(scale=10.0, size=11),
    ):
        est = RewardDeconfounder(method="joint", basis=fourier_basis).fit(
            data.rewards + shift, data.features, confounders=data.confounders
        )
        np.testing.assert_allclose(est.coef_, fits["joint_fourier"].coef_, rtol=0, atol=1e-10)
    # the default basis
    shift = fits["joint"].basis_.transform(C) @ rng.normal(scale=10.0, size=(11 + 1))
    est = RewardDeconfounder(method="joint").fit(
        data.rewards + shift, data.features, confounders=data.confounders
    )
    np.testing.assert_allclose(est.coef_, fits["joint"].coef_, rtol=0, atol=1e-10)


def test_joint_equals_statsmodels_and_fwl(data, fits):
    est = fits["joint_fourier"]
    T = data.features.to_numpy()
    Y = data.rewards.to_numpy()
    B = sm.add_constant(fourier_basis(data.confounders))
    full = sm.OLS(Y, np.column_stack([T, B])).fit(cov_type="HC0")
    np.testing.assert_allclose(est.coef_, full.params[:3], rtol=0, atol=1e-10)
    np.testing.assert_allclose(est.stderr_, full.bse[:3], rtol=1e-8)
    # Frisch-Waugh-Lovell: OLS of M_B Y on M_B T
    resid = sm.OLS(np.column_stack([Y, T]), B).fit().resid
    fwl = sm.OLS(resid[:, 0], resid[:, 1:]).fit()
    np.testing.assert_allclose(est.coef_, fwl.params, rtol=0, atol=1e-10)
    # adjusted rewards: Y minus the fitted basis part (level kept)
    h = fourier_basis(data.confounders) @ full.params[4:]
    np.testing.assert_allclose(est.adjusted_rewards_, Y - h + h.mean(), atol=1e-8)


def test_dml_equals_doubleml_plr_single_feature(data):
    doubleml = pytest.importorskip("doubleml")
    from causalkit.deconfound._estimator import default_confounder_model

    C = data.confounders.to_numpy()
    t = data.features["t_ent"].to_numpy()
    y = data.rewards.to_numpy()
    est = RewardDeconfounder(random_state=5).fit(y, t, confounders=C)
    obj = doubleml.DoubleMLData.from_arrays(C, y, t)
    ref = doubleml.DoubleMLPLR(
        obj, default_confounder_model(), default_confounder_model(), n_folds=2
    )
    ref.set_sample_splitting([est.fold_indices_[0]])
    ref.fit()
    np.testing.assert_allclose(est.coef_, ref.coef, rtol=1e-9)
    np.testing.assert_allclose(est.stderr_, ref.se, rtol=1e-9)


def test_dml_residual_on_residual_by_hand(data, fits):
    """coef_ is OLS of out-of-fold rewards residuals on out-of-fold features residuals (HC0 SEs)."""
    est = fits["dml"]
    res = sm.OLS(est.rewards_residuals_, est.features_residuals_).fit(cov_type="HC0")
    np.testing.assert_allclose(est.coef_, res.params, rtol=1e-10)
    np.testing.assert_allclose(est.stderr_, res.bse, rtol=1e-8)
    # adjusted rewards = (Y - m) + e @ beta, level kept
    Y = data.rewards.to_numpy()
    e = data.features.to_numpy() - est.features_residuals_
    adj = est.rewards_residuals_ + e @ est.coef_
    np.testing.assert_allclose(est.adjusted_rewards_, adj - adj.mean() + Y.mean(), atol=1e-10)


def test_adjusted_rewards_remove_confounder_effect(data, fits):
    """Adjusted rewards track the causal value, not the confounder effect."""
    for method in ("dml", "joint"):
        adj = fits[method].adjusted_rewards_
        noise = adj - data.causal_value
        assert abs(np.corrcoef(noise, data.confounder_effect)[0, 1]) < 0.05
        assert np.corrcoef(data.rewards - data.causal_value, data.confounder_effect)[0, 1] > 0.8
    np.testing.assert_allclose(fits["dml"].adjusted_rewards_.mean(), data.rewards.mean())


def test_transform_on_new_data(fits):
    new = make_confounded_content(3000, random_state=99)
    for method in ("dml", "joint"):
        est = fits[method]
        adj = est.transform(new.rewards, new.features, confounders=new.confounders)
        noise = adj - new.causal_value
        assert abs(np.corrcoef(noise, new.confounder_effect)[0, 1]) < 0.05
        assert abs(noise.std() - 1.0) < 0.06  # only the reward noise (sd 1) is left
    naive = fits["naive"].transform(new.rewards, confounders=new.confounders)
    np.testing.assert_allclose(naive, new.rewards)


def test_fit_transform_equals_adjusted_rewards(data):
    est = RewardDeconfounder(random_state=1)
    out = est.fit_transform(data.rewards, data.features, confounders=data.confounders)
    np.testing.assert_array_equal(out, est.adjusted_rewards_)


def test_predict_is_linear_causal_reward(data, fits):
    est = fits["dml"]
    T = data.features.iloc[:5]
    np.testing.assert_allclose(est.predict(T), T.to_numpy() @ est.coef_ + est.intercept_)
    np.testing.assert_allclose(est.reward_model_.predict(T), est.predict(T), rtol=1e-12)


def test_summary_and_conf_int_keep_feature_names(fits):
    est = fits["dml"]
    text = str(est.summary())
    for name in ("t_spur", "t_ent", "t_ind", "naive", "DML"):
        assert name in text
    ci = est.conf_int(alpha=0.05)
    assert list(ci.index) == ["t_spur", "t_ent", "t_ind"]
    np.testing.assert_allclose(ci["upper"] - ci["lower"], 2 * 1.959963984540054 * est.stderr_)
    frame = est.inference_.summary_frame()
    np.testing.assert_allclose(frame["estimate"], est.coef_)
    assert list(frame.index) == ["t_spur", "t_ent", "t_ind"]
    pd.testing.assert_frame_equal(ci, est.inference_.conf_int(alpha=0.05))


def test_determinism_and_fold_sharing(data):
    a = RewardDeconfounder(random_state=11).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    b = RewardDeconfounder(random_state=11).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    c = RewardDeconfounder(random_state=12).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    for (_tr_a, te_a), (_tr_b, te_b) in zip(a.fold_indices_[0], b.fold_indices_[0]):
        np.testing.assert_array_equal(te_a, te_b)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.adjusted_rewards_, b.adjusted_rewards_)
    assert not np.array_equal(a.fold_indices_[0][0][1], c.fold_indices_[0][0][1])
    assert len(a.nuisance_models_["features"][0]) == 3


def test_n_jobs_gives_same_numbers():
    d = make_confounded_content(600, random_state=4)
    a = RewardDeconfounder(random_state=0, n_jobs=1).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    b = RewardDeconfounder(random_state=0, n_jobs=2).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)


def test_repeated_crossfitting_median_aggregation(data):
    est = RewardDeconfounder(n_rep=3, random_state=0).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    assert est.coef_reps_.shape == (3, 3)
    np.testing.assert_allclose(est.coef_, np.median(est.coef_reps_, axis=0))
    assert abs(est.coef_[ENT] - 1.0) < 0.05 and abs(est.coef_[SPUR]) < 0.1
    assert np.all(est.stderr_ > 0)
    assert len(est.fold_indices_) == 3


def test_final_ridge_penalty_closed_form(data, fits):
    alpha = 500.0
    est = RewardDeconfounder(final_alpha=alpha, random_state=0).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    rt, ry = fits["dml"].features_residuals_, fits["dml"].rewards_residuals_
    expected = np.linalg.solve(rt.T @ rt + alpha * np.eye(3), rt.T @ ry)
    np.testing.assert_allclose(est.coef_, expected, rtol=1e-10)
    assert np.linalg.norm(est.coef_) < np.linalg.norm(fits["dml"].coef_)  # ridge shrinks
    assert "ridge" in str(est.summary()).lower()


def test_cluster_groups_give_grouped_folds_and_cluster_ses(data):
    groups = np.arange(4000) // 20
    est = RewardDeconfounder(random_state=0).fit(
        data.rewards, data.features, confounders=data.confounders, groups=groups
    )
    for _tr, te in est.fold_indices_[0]:
        assert all(np.all(np.isin(groups[groups == g], groups[te])) for g in np.unique(groups[te]))
    ref = sm.OLS(est.rewards_residuals_, est.features_residuals_).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    np.testing.assert_allclose(est.stderr_, ref.bse, rtol=1e-8)


def test_text_features_with_word_indicators():
    d = make_confounded_texts(2000, random_state=0)
    vec = CountVectorizer(binary=True, vocabulary=list(d.coef.index))
    est = RewardDeconfounder(featurizer=vec, random_state=0).fit(
        d.rewards, d.texts, confounders=d.confounders
    )
    naive = RewardDeconfounder(method="naive", featurizer=vec).fit(
        d.rewards, d.texts, confounders=d.confounders
    )
    assert list(est.feature_names_in_) == ["snow", "deal", "video"]
    np.testing.assert_allclose(est.featurizer_.transform(d.texts).toarray(), d.indicators)
    truth = d.coef.to_numpy()
    assert np.all(np.abs(est.coef_ - truth) < 4 * est.stderr_), est.coef_
    assert naive.coef_[0] > 1.0  # 'snow' looks valuable only because of the season
    assert est.predict(["a deal video"])[0] > est.predict(["snow snow"])[0] + 1.0
    np.testing.assert_allclose(
        est.reward_model_.predict(d.texts[:50]), est.predict(d.texts[:50]), rtol=1e-12
    )


def test_text_features_default_featurizer_runs_and_is_deterministic():
    d = make_confounded_texts(400, random_state=1)
    a = RewardDeconfounder(random_state=3).fit(d.rewards, d.texts, confounders=d.confounders)
    b = RewardDeconfounder(random_state=3).fit(
        d.rewards, pd.Series(d.texts), confounders=d.confounders
    )
    assert a.coef_.shape == (20,) and a.feature_names_in_[0].startswith("truncatedsvd")
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    assert a.predict(d.texts[:3]).shape == (3,)


def test_custom_nuisance_learners(data):
    est = RewardDeconfounder(
        model_confounders=LinearRegression(), model_features=LinearRegression(), random_state=0
    ).fit(data.rewards, data.features, confounders=data.confounders)
    # a linear nuisance cannot represent sin(season): the spurious feature is not fully removed
    assert abs(est.coef_[SPUR]) > 0.1
    assert isinstance(est.nuisance_models_["rewards"][0][0], LinearRegression)


def test_sklearn_contract(data):
    small = make_confounded_content(300, random_state=0)
    for method in ("dml", "joint"):
        check_sklearn_contract(
            RewardDeconfounder(method=method, random_state=0),
            lambda est: est.fit(small.rewards, small.features, confounders=small.confounders),
            lambda est: np.concatenate([est.coef_, est.adjusted_rewards_]),
        )


@pytest.mark.slow
def test_ci_coverage_100_replications():
    """95% CIs of coef_ ("dml" and "joint", HC0) cover the truth in >= 90 of 100 replications."""
    truth = np.array([0.0, 1.0, 0.5])
    hits = {"dml": np.zeros(3, dtype=int), "joint": np.zeros(3, dtype=int)}
    for rep in range(100):
        d = make_confounded_content(4000, random_state=10_000 + rep)
        for method in hits:
            est = RewardDeconfounder(method=method, random_state=rep)
            ci = (
                est.fit(d.rewards, d.features, confounders=d.confounders)
                .conf_int(alpha=0.05)
                .to_numpy()
            )
            hits[method] += (ci[:, 0] <= truth) & (truth <= ci[:, 1])
    print("coverage per feature (of 100):", hits)
    for method, h in hits.items():
        assert np.all(h >= 90), (method, h)
