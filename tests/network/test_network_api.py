"""The #13 API convention for the network learners: fit(Y, T, *, X, edge_index, ...), keyword-only constructors,
``inference_`` read by the mixin's ``summary``/``conf_int``/``ate``/``ate_interval``, pandas index kept."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit.exceptions import FinalStageWarning

pytest.importorskip("torch")

from sklearn.linear_model import LinearRegression, LogisticRegression

from causalkit.datasets import make_network_effect
from causalkit.network import (
    BlindRLearner,
    GraphRLearner,
    GraphSLearner,
    GraphTLearner,
)

N = 80
FAST = dict(hidden_channels=4, max_epochs=3, patience=2, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_network_effect(N, "er", mean_degree=4, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*clipping bounds.*")
        warnings.filterwarnings("ignore", category=FinalStageWarning)
        yield


def _linear():
    return GraphRLearner(
        LinearRegression(), model_t=LogisticRegression(), model_final="linear", random_state=0
    )


@pytest.mark.parametrize("cls", [GraphRLearner, BlindRLearner, GraphSLearner, GraphTLearner])
def test_constructor_keyword_only_after_the_first(cls):
    with pytest.raises(TypeError):
        cls("sage", "sage")


@pytest.mark.parametrize("cls", [GraphRLearner, GraphSLearner, GraphTLearner])
def test_old_positional_order_is_refused(data, cls):
    # fit(X, T, Y, ...) of causalkit < #13 passes three positional arguments: a TypeError, not a silent swap
    with pytest.raises(TypeError):
        cls(**FAST).fit(data.X, data.T, data.Y, edge_index=data.edge_index)
    with pytest.raises(TypeError):  # X is keyword-only and required
        cls(**FAST).fit(data.Y, data.T, edge_index=data.edge_index)


def test_inference_terms_and_mixin_accessors(data):
    est = _linear().fit(data.Y, data.T, X=data.X, edge_index=data.edge_index)
    r = est.inference_
    assert r.names[0] == "ATE" and all(n.startswith("tau: ") for n in r.names[1:])
    assert len(r.names) == 1 + len(est.coef_names_)
    ci = est.conf_int(alpha=0.1)
    assert list(ci.columns) == ["lower", "upper"] and list(ci.index) == r.names
    lo, hi = est.ate_interval(alpha=0.1)
    assert (lo, hi) == (ci.loc["ATE", "lower"], ci.loc["ATE", "upper"])
    assert est.ate() == float(r.estimate[0]) == pytest.approx(est.psi_.mean(), rel=1e-12)
    table = est.summary(alpha=0.1).table
    assert list(table.index) == r.names
    np.testing.assert_array_equal(table["estimate"].to_numpy()[1:], est.coef_)
    assert not hasattr(est, "ate_result_")
    # a GNN final stage: the ATE alone
    gnn = GraphRLearner(**FAST).fit(data.Y, data.T, X=data.X, edge_index=data.edge_index)
    assert gnn.inference_.names == ["ATE"] and list(gnn.conf_int().index) == ["ATE"]


def test_meta_learners_have_a_point_ate_only(data):
    for cls in (GraphSLearner, GraphTLearner):
        est = cls(LinearRegression()).fit(data.Y, data.T, X=data.X, edge_index=data.edge_index)
        assert est.ate() == pytest.approx(float(np.mean(est.effect())))
        assert not hasattr(est, "inference_") and not hasattr(est, "ate_interval")


@pytest.mark.parametrize(
    "make",
    [
        _linear,
        lambda: GraphRLearner(**FAST),
        lambda: BlindRLearner(LinearRegression(), model_t=LogisticRegression(), random_state=0),
        lambda: GraphSLearner(LinearRegression()),
        lambda: GraphTLearner(**FAST),
    ],
)
def test_effect_keeps_a_dataframe_index(data, make):
    warnings.simplefilter(
        "error", UserWarning
    )  # torch's warning on read-only (pandas) arrays must not reach users
    warnings.filterwarnings("ignore", category=FinalStageWarning)  # 80 nodes: R-score near zero
    cols = [f"f{j}" for j in range(data.X.shape[1])]
    idx = pd.Index([f"node{i}" for i in range(N)], name="node")
    Xdf = pd.DataFrame(data.X, columns=cols, index=idx)
    est = make().fit(
        pd.Series(data.Y, index=idx),
        pd.Series(data.T, index=idx),
        X=Xdf,
        edge_index=data.edge_index,
    )
    kw = {} if isinstance(est, BlindRLearner) else {"edge_index": data.edge_index}
    out = est.effect(Xdf.iloc[::-1], **kw)
    assert isinstance(out, pd.Series) and out.name == "effect"
    pd.testing.assert_index_equal(out.index, idx[::-1])
    arr = est.effect(data.X[::-1], **kw)
    assert isinstance(arr, np.ndarray)
    # float32 GNNs: a DataFrame is column-major, so reductions may round differently (as test_network_safety)
    np.testing.assert_allclose(out.to_numpy(), arr, rtol=1e-5, atol=1e-6)
    assert isinstance(est.effect(), np.ndarray)  # transductive: the fitted nodes' effects, an array


def test_groups_accepted_and_validated_by_the_meta_learners(data):
    est = GraphTLearner(LinearRegression())
    est.fit(data.Y, data.T, X=data.X, edge_index=data.edge_index, groups=np.arange(N) % 4)
    with pytest.raises(ValueError, match="groups has length"):
        est.fit(data.Y, data.T, X=data.X, edge_index=data.edge_index, groups=np.ones(3))


@pytest.mark.parametrize(
    "make",
    [
        lambda: BlindRLearner(random_state=0),
        lambda: BlindRLearner(
            LinearRegression(), model_t=LogisticRegression(), model_final="linear", random_state=0
        ),
        _linear,
        lambda: GraphRLearner(**FAST),
    ],
)
def test_weights_scaled_by_1e300_give_the_same_finite_interval(data, make):
    """#12: weights times 1e300 gave a NaN lower CI bound (the sandwich meat sum w^2 e^2 overflowed)."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, N)
    groups = np.arange(N) % 20
    fits = [
        make().fit(
            data.Y, data.T, X=data.X, edge_index=data.edge_index, groups=groups, sample_weight=w * c
        )
        for c in (1.0, 1e300, 1e-300)
    ]
    ref = fits[0].conf_int(alpha=0.05).to_numpy()
    assert np.all(np.isfinite(ref))
    for est in fits[1:]:
        np.testing.assert_allclose(est.conf_int(alpha=0.05).to_numpy(), ref, rtol=1e-9, atol=1e-12)
        assert est.ate() == pytest.approx(fits[0].ate(), rel=1e-9)


@pytest.mark.parametrize("cls", [GraphSLearner, GraphTLearner])
def test_meta_learner_weights_are_relative(data, cls):
    w = np.random.default_rng(1).uniform(0.5, 1.5, N)
    ates = [
        cls(LinearRegression())
        .fit(data.Y, data.T, X=data.X, edge_index=data.edge_index, sample_weight=w * c)
        .ate()
        for c in (1.0, 1e300, 1e-300)
    ]
    assert np.all(np.isfinite(ates))
    np.testing.assert_allclose(ates, ates[0], rtol=1e-9)


def test_fit_warnings_point_at_the_callers_line(data):
    from causalkit.exceptions import ClusterWarning, OverlapWarning

    T = (data.X[:, 2] > 0).astype(float)  # nearly separable: propensities at the clipping bounds
    est = GraphRLearner(LinearRegression(), model_t=LogisticRegression(C=1e6), model_final="linear")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        est.fit(data.Y, T, X=data.X, edge_index=data.edge_index, groups=np.arange(N) % 4)
    caught = [r for r in rec if r.category in (OverlapWarning, ClusterWarning)]
    assert {r.category for r in caught} == {OverlapWarning, ClusterWarning}
    assert all(r.filename == __file__ for r in caught), [(r.category, r.filename) for r in caught]
