"""Degenerate and adversarial input to RewardDeconfounder (#12 items 10-13).

Every case either raises a ValueError/TypeError naming the argument or returns a valid result, with named
causalkit warnings that point at the caller's line; nothing returns NaN or infinity as an estimate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from causalkit.datasets import make_confounded_content
from causalkit.deconfound import RewardDeconfounder
from causalkit.exceptions import (
    CausalkitWarning,
    ClusterWarning,
    FeatureNamesWarning,
    OverlapWarning,
)

METHODS = ["dml", "joint", "naive", "residualize_confounders"]


@pytest.fixture(scope="module")
def d():
    return make_confounded_content(300, random_state=0)


@pytest.fixture(scope="module")
def fitted(d):
    return RewardDeconfounder(random_state=0).fit(d.rewards, d.features, confounders=d.confounders)


def _only_named(record) -> list:
    for w in record:
        assert issubclass(w.category, CausalkitWarning), (w.category, str(w.message))
        assert w.filename == __file__, (w.filename, w.lineno, str(w.message))
    return list(record)


# ------------------------------------------------------------------- clusters (item 10)
@pytest.mark.parametrize("method", METHODS)
def test_single_cluster_is_a_value_error_naming_groups(d, method):
    est = RewardDeconfounder(method=method, random_state=0)
    with pytest.raises(ValueError, match=r"groups has 1 distinct cluster"):
        est.fit(d.rewards, d.features, confounders=d.confounders, groups=np.zeros(300))


@pytest.mark.parametrize("method", METHODS)
def test_few_clusters_warn_at_the_caller(d, method):
    groups = np.arange(300) % 5
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = RewardDeconfounder(method=method, random_state=0).fit(
            d.rewards, d.features, confounders=d.confounders, groups=groups
        )
    got = _only_named(record)
    assert ClusterWarning in [w.category for w in got]
    assert np.all(np.isfinite(est.stderr_)) and np.all(est.stderr_ > 0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        RewardDeconfounder(method=method, random_state=0).fit_transform(
            d.rewards, d.features, confounders=d.confounders, groups=groups
        )
    assert ClusterWarning in [w.category for w in _only_named(record)]


def test_fewer_clusters_than_folds_names_groups_and_cv(d):
    with pytest.raises(ValueError, match=r"groups has 3 clusters.*cv=5"):
        RewardDeconfounder(cv=5, random_state=0).fit(
            d.rewards, d.features, confounders=d.confounders, groups=np.arange(300) % 3
        )


def test_overlap_warning_points_at_the_caller_through_fit_transform(d):
    C = d.confounders.to_numpy()
    T = np.column_stack([np.sin(C[:, 0]) + 0.05 * d.features["t_ind"], d.features["t_ent"]])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        RewardDeconfounder(random_state=0).fit_transform(d.rewards, T, confounders=d.confounders)
    assert OverlapWarning in [w.category for w in _only_named(record)]


# ------------------------------------------------------------------- collinear features (item 11)
@pytest.mark.parametrize("method", METHODS)
def test_duplicate_feature_is_named(d, method):
    F = d.features.assign(dup=d.features["t_spur"])
    with pytest.raises(ValueError, match=r"features: columns \['t_spur', 'dup'\] are collinear"):
        RewardDeconfounder(method=method, random_state=0).fit(
            d.rewards, F, confounders=d.confounders
        )


@pytest.mark.parametrize("method", METHODS)
def test_linear_combination_of_features_is_named(d, method):
    F = d.features.assign(combo=d.features["t_spur"] + 2 * d.features["t_ent"] - 1.0)
    with pytest.raises(
        ValueError, match=r"features: columns \['t_spur', 't_ent', 'combo'\] are collinear"
    ):
        RewardDeconfounder(method=method, random_state=0).fit(
            d.rewards, F, confounders=d.confounders
        )


def test_collinear_confounders_leak_no_foreign_warning(d):
    C = d.confounders.assign(dup=d.confounders["season"])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = RewardDeconfounder(method="joint", random_state=0).fit(
            d.rewards, d.features, confounders=C
        )
    _only_named(record)
    ref = RewardDeconfounder(method="joint", random_state=0).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-8)


# ------------------------------------------------------------------- tiny and extreme samples (item 12)
def test_joint_basis_wider_than_the_sample_is_named(d):
    with pytest.raises(ValueError, match=r"method='joint'.*basis\(confounders\) has \d+ columns"):
        RewardDeconfounder(method="joint").fit(
            d.rewards[:12], d.features[:12], confounders=d.confounders[:12]
        )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [1e120, 1e-120])
def test_feature_magnitude_does_not_matter(d, method, scale):
    ref = RewardDeconfounder(method=method, random_state=0).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    est = RewardDeconfounder(method=method, random_state=0).fit(
        d.rewards, d.features * scale, confounders=d.confounders
    )
    np.testing.assert_allclose(est.coef_ * scale, ref.coef_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(est.stderr_ * scale, ref.stderr_, rtol=1e-6)
    np.testing.assert_allclose(est.adjusted_rewards_, ref.adjusted_rewards_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        est.predict(d.features * scale), ref.predict(d.features), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        est.transform(d.rewards, confounders=d.confounders),
        ref.transform(d.rewards, confounders=d.confounders),
        rtol=1e-6,
        atol=1e-8,
    )


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_features_whose_effect_covariance_overflows_are_named(d, scale):
    F = d.features.assign(t_ind=d.features["t_ind"] * scale)
    with pytest.raises(ValueError, match=r"features: column\(s\) \['t_ind'\] vary on a scale"):
        RewardDeconfounder(random_state=0).fit(d.rewards, F, confounders=d.confounders)


def test_rewards_whose_effects_overflow_are_refused(d):
    with pytest.raises(ValueError, match=r"rewards: .*overflow"):
        RewardDeconfounder(random_state=0).fit(
            d.rewards * 1e300, d.features, confounders=d.confounders
        )


def test_score_refuses_constant_or_tiny_targets(fitted, d):
    with pytest.raises(ValueError, match=r"y_randomized is constant"):
        fitted.score(d.features, np.ones(300))
    with pytest.raises(ValueError, match=r"at least 3"):
        fitted.score(d.features[:2], d.rewards[:2])
    assert -1 <= fitted.score(d.features, d.rewards) <= 1


def test_string_cv_is_a_type_error_naming_cv(d):
    with pytest.raises(TypeError, match=r"cv must be an integer >= 2 or a scikit-learn splitter"):
        RewardDeconfounder(cv="five").fit(d.rewards, d.features, confounders=d.confounders)


# ------------------------------------------------------------------- feature names (item 13)
def test_predict_and_score_check_feature_names(fitted, d):
    F = d.features
    with pytest.raises(ValueError, match=r"features has columns .* but fit saw"):
        fitted.predict(F[F.columns[::-1]])
    with pytest.raises(ValueError, match=r"not seen in fit"):
        fitted.predict(F.set_axis(["a", "b", "c"], axis=1))
    with pytest.raises(ValueError, match=r"features has columns"):
        fitted.score(F[F.columns[::-1]], d.rewards)
    with pytest.warns(FeatureNamesWarning, match="features does not have valid feature names"):
        by_position = fitted.predict(F.to_numpy())
    np.testing.assert_array_equal(by_position, fitted.predict(F))


def test_transform_checks_confounder_and_feature_names(fitted, d):
    C, F = d.confounders, d.features
    with pytest.raises(ValueError, match=r"confounders has columns .* but fit saw"):
        fitted.transform(d.rewards, confounders=C[C.columns[::-1]])
    with pytest.raises(ValueError, match=r"features has columns"):
        fitted.transform(d.rewards, F[F.columns[::-1]], confounders=C)
    with pytest.warns(FeatureNamesWarning, match="confounders does not have valid feature names"):
        by_position = fitted.transform(d.rewards, confounders=C.to_numpy())
    np.testing.assert_array_equal(by_position, fitted.transform(d.rewards, confounders=C))


def test_fit_on_arrays_accepts_any_frame_later(d):
    est = RewardDeconfounder(random_state=0).fit(
        d.rewards, d.features.to_numpy(), confounders=d.confounders.to_numpy()
    )
    renamed = d.features.set_axis(["a", "b", "c"], axis=1)
    np.testing.assert_array_equal(est.predict(renamed), est.predict(d.features.to_numpy()))


# ------------------------------------------------------------------- simulators
def test_simulator_refuses_overflowing_scales():
    for arg in ("confounding", "noise"):
        with pytest.raises(ValueError, match=rf"{arg} must be <= "):
            make_confounded_content(50, **{arg: 1e308})


def test_simulators_accept_a_generator():
    from causalkit.datasets import make_confounded_texts, make_content_candidates

    for make in (make_confounded_content, make_confounded_texts, make_content_candidates):
        a = make(20, random_state=np.random.default_rng(3))
        b = make(20, random_state=np.random.default_rng(3))
        first = next(iter(a.values()))
        np.testing.assert_array_equal(np.asarray(first), np.asarray(next(iter(b.values()))))


def test_standalone_reward_model_checks_feature_names(fitted, d):
    F = d.features
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "fitted without feature names" warning
        np.testing.assert_allclose(fitted.reward_model_.predict(F), fitted.predict(F), atol=1e-12)
    with pytest.raises(ValueError, match="feature names"):
        fitted.reward_model_.predict(F[F.columns[::-1]])


# ------------------------------------------------------------------- nuisance models, seeds, labels
class _NaNModel(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(len(X), np.nan)


class _NotCloneable:
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X))


@pytest.mark.parametrize("method", ["dml", "residualize_confounders"])
def test_nuisance_model_with_non_finite_predictions_is_named(d, method):
    est = RewardDeconfounder(method=method, model_confounders=_NaNModel(), random_state=0)
    with pytest.raises(ValueError, match=r"model_confounders returned 300 non-finite prediction"):
        est.fit(d.rewards, d.features, confounders=d.confounders)
    est = RewardDeconfounder(model_features=_NaNModel(), random_state=0)
    with pytest.raises(ValueError, match=r"model_features returned 300 non-finite .* 't_spur'"):
        est.fit(d.rewards, d.features, confounders=d.confounders)


def test_model_that_cannot_be_cloned_is_a_type_error_naming_it(d):
    with pytest.raises(TypeError, match=r"model_confounders must be a scikit-learn regressor"):
        RewardDeconfounder(model_confounders=_NotCloneable()).fit(
            d.rewards, d.features, confounders=d.confounders
        )


def test_random_state_is_validated_by_name(d):
    with pytest.raises(TypeError, match=r"random_state must be None, an int, a RandomState or a"):
        RewardDeconfounder(random_state="seed").fit(
            d.rewards, d.features, confounders=d.confounders
        )
    a = RewardDeconfounder(random_state=np.random.default_rng(2)).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    b = RewardDeconfounder(random_state=np.random.default_rng(2)).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_groups_with_missing_labels_are_named(d):
    groups = np.array([None] * 10 + list(range(290)), dtype=object)
    with pytest.raises(ValueError, match=r"groups .*missing label"):
        RewardDeconfounder(random_state=0).fit(
            d.rewards, d.features, confounders=d.confounders, groups=groups
        )


def test_two_dimensional_string_features_are_refused_by_name():
    """A 2-D string array was fed to the text featurizer row by row (AttributeError: no attribute 'lower')."""
    d = make_confounded_content(120, random_state=0)
    with pytest.raises(TypeError, match=r"features: got a 2-D array of strings"):
        RewardDeconfounder().fit(
            d.rewards, np.asarray(d.features).astype(str), confounders=d.confounders
        )
