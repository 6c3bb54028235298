"""GraphFeatureRLearner (the practitioner's baseline) and the data-driven defaults of GraphRLearner (issue #16)."""

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from causalkit.datasets import make_network_design, make_network_effect
from causalkit.exceptions import FinalStageWarning
from causalkit.graphs import degree, propagate_features
from causalkit.network import GraphFeatureRLearner, GraphRLearner


@pytest.fixture(scope="module")
def ba():
    return make_network_design("ba_degree", n_nodes=1000, random_state=0)


def _fit(est, d):
    return est.fit(d["Y"], d["T"], X=d["X"], edge_index=d["edge_index"])


def test_feature_learner_equals_the_pipeline_by_hand(ba):
    """Same folds: gradient boosting cross-fitted on [X, SX, S^2X, log(1+deg)], then least squares of Ytilde."""
    est = _fit(GraphFeatureRLearner(random_state=0), ba)
    F = np.hstack(
        [
            propagate_features(ba["X"], ba["edge_index"], 2),
            np.log1p(degree(ba["edge_index"], 1000))[:, None],
        ]
    )
    m, e = np.empty(1000), np.empty(1000)
    reg, clf = est._spec("model_y"), est._spec("model_t")
    for te in est.fold_indices_:
        tr = np.setdiff1d(np.arange(1000), te)
        m[te] = clone(reg).fit(F[tr], ba["Y"][tr]).predict(F[te])
        e[te] = clone(clf).fit(F[tr], ba["T"][tr]).predict_proba(F[te])[:, 1]
    np.testing.assert_allclose(est.m_hat_, m, rtol=1e-10)
    np.testing.assert_allclose(est.e_hat_, np.clip(e, 0.02, 0.98), rtol=1e-10)
    yt, tt = ba["Y"] - m, ba["T"] - est.e_hat_
    phi = np.hstack([np.ones((1000, 1)), F])
    theta = np.linalg.lstsq(phi * tt[:, None], yt, rcond=None)[0]
    np.testing.assert_allclose(est.effect(), phi @ theta, rtol=1e-7, atol=1e-9)
    assert isinstance(reg, HistGradientBoostingRegressor) and isinstance(
        clf, HistGradientBoostingClassifier
    )
    # known truth: degree drives effect, treatment and outcome; the baseline sees degree
    assert np.mean((est.effect() - ba["true_cate"]) ** 2) < 0.15 * ba["true_cate"].var()
    lo, hi = est.ate_interval()
    assert lo < ba["true_ate"] < hi
    assert "tau: log1p_degree" in est.conf_int().index
    # new graph: the same features are built for it
    np.testing.assert_allclose(
        est.effect(ba["X"], edge_index=ba["edge_index"]), est.effect(), rtol=1e-10
    )


def test_feature_learner_options_and_errors(ba):
    from sklearn.linear_model import Ridge

    est = _fit(
        GraphFeatureRLearner(hops=1, structural=False, model_final=Ridge(), random_state=0), ba
    )
    assert est.feature_keep_.shape == (10,) and est.final_kind_ == "sklearn"
    assert [r["candidate"] for r in est.final_scores_] == ["linear on graph features", "Ridge"]
    with pytest.raises(ValueError, match="model_final of GraphFeatureRLearner"):
        _fit(GraphFeatureRLearner(model_final="sage"), ba)
    with pytest.raises(TypeError, match="structural"):
        _fit(GraphFeatureRLearner(structural=1), ba)


def test_defaults_choose_by_cross_validated_r_loss(ba):
    est = _fit(GraphRLearner(random_state=0, n_threads=1), ba)
    labels = [r["candidate"] for r in est.final_scores_]
    assert labels[0] == "linear on graph features" and "sage (2 layers)" in labels
    assert sum(r["chosen"] for r in est.final_scores_) == 1
    best = min(r["cv_r_loss"] for r in est.final_scores_)
    chosen = next(r for r in est.final_scores_ if r["chosen"])
    assert chosen["cv_r_loss"] >= best  # the 1-SE rule may keep a simpler one
    text = str(est.summary())
    assert "Final-stage candidates (CV R-score)" in text and "Nuisance candidates" in text
    # structural input: the GNNs see log(1 + degree) as a sixth column
    assert est.scaler_.mean.shape == (6,)
    # degree-confounded design: the ATE is not biased by +0.88 as the mean-aggregation default was
    lo, hi = est.ate_interval()
    assert lo < ba["true_ate"] < hi
    base = _fit(GraphFeatureRLearner(random_state=0), ba)
    assert np.mean((est.effect() - ba["true_cate"]) ** 2) < 1.5 * np.mean(
        (base.effect() - ba["true_cate"]) ** 2
    )


def test_final_stage_warning_fires_for_a_constant_effect():
    d = make_network_effect(1000, "er", effect="constant", random_state=1)
    with pytest.warns(FinalStageWarning, match="R-score"):
        GraphFeatureRLearner(random_state=0).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)


def test_final_stage_warning_simpler_is_as_good_and_silent_otherwise():
    d = make_network_design("ws_two_hop", n_nodes=1000, random_state=2)
    with pytest.warns(FinalStageWarning, match="no better on held-out nodes than the simpler"):
        _fit(GraphRLearner(model_final="sage", random_state=0, n_threads=1), d)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FinalStageWarning)
        _fit(GraphFeatureRLearner(random_state=0), d)


def test_final_layers_validation(ba):
    with pytest.raises(ValueError, match="final_layers"):
        _fit(GraphRLearner(final_layers=[], max_epochs=2), ba)
