"""Bad input to RewardDeconfounder and the deconfound simulators gets clear, named errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from causalkit.datasets import make_confounded_content, make_content_candidates
from causalkit.deconfound import OverlapWarning, RewardDeconfounder


def fourier_basis(C):
    C = np.asarray(C, dtype=float)
    cols = [f(k * C[:, 0]) for k in range(1, 6) for f in (np.sin, np.cos)]
    return np.column_stack([*cols, C[:, 1]])


@pytest.fixture(scope="module")
def d():
    return make_confounded_content(400, random_state=0)


@pytest.fixture(scope="module")
def fitted(d):
    return RewardDeconfounder(random_state=0).fit(d.rewards, d.features, confounders=d.confounders)


def test_mismatched_lengths(d):
    with pytest.raises(
        ValueError, match=r"mismatched lengths \(rewards: 399, features: 400, confounders: 400"
    ):
        RewardDeconfounder().fit(d.rewards[:-1], d.features, confounders=d.confounders)
    with pytest.raises(ValueError, match="features: 300"):
        RewardDeconfounder().fit(d.rewards, d.features[:300], confounders=d.confounders)


@pytest.mark.parametrize("arg", ["rewards", "confounders", "features"])
def test_nan_and_inf_name_the_argument(d, arg):
    data = {
        "rewards": d.rewards.to_numpy().copy(),
        "confounders": d.confounders.to_numpy().copy(),
        "features": d.features.to_numpy().copy(),
    }
    bad = data[arg]
    bad.flat[3] = np.nan
    with pytest.raises(ValueError, match=rf"{arg} must be finite; found 1 NaN"):
        RewardDeconfounder().fit(**data)
    bad.flat[3] = np.inf
    with pytest.raises(ValueError, match=rf"{arg} must be finite; found 0 NaN and 1 infinite"):
        RewardDeconfounder().fit(**data)


def test_missing_and_wrong_shapes(d):
    with pytest.raises(ValueError, match="confounders is required"):
        RewardDeconfounder().fit(d.rewards, d.features, confounders=None)
    with pytest.raises(ValueError, match="rewards must be 1-dimensional"):
        RewardDeconfounder().fit(np.ones((400, 2)), d.features, confounders=d.confounders)
    with pytest.raises(TypeError, match="confounders must be numeric"):
        RewardDeconfounder().fit(
            d.rewards, d.features, confounders=d.confounders.assign(platform="a")
        )


@pytest.mark.parametrize("method", ["dml", "joint"])
def test_features_determined_by_confounders_raise_with_rank(d, method):
    C = d.confounders.to_numpy()
    T = np.column_stack([np.sin(C[:, 0]), d.features["t_ind"]])
    basis = fourier_basis if method == "joint" else None
    model = None
    if method == "dml":
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        # a nuisance model that represents sin(season) exactly: the partialled-out feature is zero
        model = make_pipeline(FunctionTransformer(fourier_basis), LinearRegression())
    est = RewardDeconfounder(method=method, basis=basis, model_confounders=model, random_state=0)
    with pytest.raises(ValueError, match=r"no overlap.*numerical rank 1 of 2.*condition number"):
        est.fit(d.rewards, T, confounders=d.confounders)


def test_nearly_determined_features_warn_with_condition_number(d):
    C = d.confounders.to_numpy()
    T = np.column_stack([np.sin(C[:, 0]) + 0.05 * d.features["t_ind"], d.features["t_ent"]])
    with pytest.warns(OverlapWarning, match=r"weak overlap.*condition number"):
        RewardDeconfounder(random_state=0).fit(d.rewards, T, confounders=d.confounders)


def test_constant_feature(d):
    T = d.features.assign(t_ind=1.0)
    with pytest.raises(ValueError, match=r"features: column\(s\) \[2\] are constant"):
        RewardDeconfounder().fit(d.rewards, T, confounders=d.confounders)


@pytest.mark.parametrize(
    ("params", "err", "match"),
    [
        ({"method": "ols"}, ValueError, "method must be one of"),
        ({"cov_type": "HC9"}, ValueError, "cov_type must be one of"),
        ({"n_rep": 0}, ValueError, "n_rep must be >= 1; got 0"),
        ({"n_rep": 2.0}, TypeError, "n_rep must be an integer; got float"),
        ({"n_jobs": 1.5}, TypeError, "n_jobs must be an integer; got float"),
        ({"n_jobs": "x"}, TypeError, "n_jobs must be an integer; got str"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be None, a positive integer or negative"),
        ({"final_alpha": -1.0}, ValueError, r"final_alpha must be >= 0\.0"),
        ({"final_alpha": "big"}, TypeError, "final_alpha must be a real number"),
        ({"cv": 1}, ValueError, "cv must be an integer >= 2"),
        ({"cv": 2.5}, TypeError, "cv must be an integer >= 2 or a scikit-learn splitter"),
        ({"keep_mean": "yes"}, TypeError, "keep_mean must be a bool"),
        ({"model_confounders": "ridge"}, TypeError, "model_confounders must be a scikit-learn"),
        ({"model_features": 3}, TypeError, "model_features must be a scikit-learn"),
        ({"basis": 3, "method": "joint"}, TypeError, "basis must be a scikit-learn transformer"),
        ({"featurizer": "tfidf"}, TypeError, "featurizer must be a scikit-learn transformer"),
        ({"final_alpha": 1.0, "cov_type": "HC3"}, ValueError, "not available with final_alpha"),
    ],
)
def test_bad_parameters(d, params, err, match):
    with pytest.raises(err, match=match):
        RewardDeconfounder(**params).fit(d.rewards, d.features, confounders=d.confounders)


def test_bad_text_features(d):
    with pytest.raises(TypeError, match="features: got a single string"):
        RewardDeconfounder().fit(d.rewards[:1], "one text", confounders=d.confounders[:1])
    mixed = ["a text"] * 399 + [3.0]
    with pytest.raises(TypeError, match="features: mixes strings and non-strings"):
        RewardDeconfounder().fit(d.rewards, mixed, confounders=d.confounders)


def test_groups_wrong_length(d):
    with pytest.raises(ValueError, match="groups has length 10; expected 400"):
        RewardDeconfounder().fit(
            d.rewards, d.features, confounders=d.confounders, groups=np.arange(10)
        )
    with pytest.raises(ValueError, match="cov_type='cluster' needs cluster labels: pass groups"):
        RewardDeconfounder(cov_type="cluster").fit(d.rewards, d.features, confounders=d.confounders)


def test_use_before_fit(d):
    est = RewardDeconfounder()
    with pytest.raises(NotFittedError):
        est.predict(d.features)
    with pytest.raises(NotFittedError):
        est.transform(d.rewards, confounders=d.confounders)
    with pytest.raises(NotFittedError):
        est.summary()


def test_predict_and_transform_check_columns(d, fitted):
    with pytest.raises(ValueError, match="features has 2 column"):
        fitted.predict(d.features.iloc[:, :2])
    with pytest.raises(ValueError, match="confounders has 1 column"):
        fitted.transform(d.rewards, confounders=d.confounders.iloc[:, :1])
    with pytest.raises(TypeError, match="features: got texts"):
        fitted.predict(["a text", "another"])
    with pytest.raises(ValueError, match="mismatched lengths"):
        fitted.transform(d.rewards, confounders=d.confounders[:10])
    with pytest.raises(ValueError, match="y_randomized must be finite"):
        fitted.score(d.features, np.full(400, np.nan))
    with pytest.raises(ValueError, match="alpha must be in"):
        fitted.conf_int(alpha=2.0)
    with pytest.raises(TypeError):
        fitted.conf_int(0.1)  # alpha is keyword-only


def test_simulator_arguments():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_confounded_content(0)
    with pytest.raises(ValueError, match=r"confounding must be >= 0\.0"):
        make_confounded_content(10, confounding=-1.0)
    with pytest.raises(ValueError, match="n_candidates must be a positive integer"):
        make_content_candidates(10, 0)
