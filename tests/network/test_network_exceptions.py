"""Bad input to the network estimators and graph helpers raises clear errors naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsRegressor

from causalkit.datasets import make_network_effect
from causalkit.exceptions import ClusterWarning
from causalkit.graphs import barabasi_albert_graph, erdos_renyi_graph, make_graph, to_edge_index
from causalkit.network import (
    BlindRLearner,
    GraphRLearner,
    GraphSLearner,
    GraphTLearner,
    hub_periphery_report,
)

N = 60


@pytest.fixture(scope="module")
def data():
    return make_network_effect(N, "er", mean_degree=4, random_state=0)


def fit(est, d, **kw):
    args = dict(X=d.X, T=d.T, Y=d.Y, edge_index=d.edge_index)
    args.update(kw)
    return est.fit(args.pop("Y"), args.pop("T"), **args)


FAST = dict(max_epochs=3)


@pytest.mark.parametrize(
    "ei, err, match",
    [
        (np.zeros((3, 5), dtype=int), ValueError, r"edge_index must have shape \(2, E\)"),
        (np.zeros((5, 2), dtype=int), ValueError, r"shape \(2, E\).*transpose"),
        (np.zeros(4, dtype=int), ValueError, r"shape \(2, E\)"),
        (np.zeros((2, 3)), TypeError, "edge_index must hold integer node ids"),
        (np.array([[0, 1], [1, N]]), ValueError, rf"node id {N} but there are only {N} nodes"),
        (np.array([[0, -1], [1, 0]]), ValueError, "negative node ids"),
        (None, ValueError, "edge_index is required"),
    ],
)
def test_bad_edge_index(data, ei, err, match):
    with pytest.raises(err, match=match):
        fit(GraphRLearner(**FAST), data, edge_index=ei)


def test_sparse_and_networkx_mismatch():
    import networkx as nx
    import scipy.sparse as sp

    with pytest.raises(ValueError, match="expected 5 nodes"):
        to_edge_index(sp.eye(4, format="csr"), 5)
    with pytest.raises(ValueError, match="must be square"):
        to_edge_index(sp.csr_matrix(np.ones((3, 4))), 3)
    with pytest.raises(ValueError, match="node labels must be the integers"):
        to_edge_index(nx.relabel_nodes(nx.path_graph(3), {0: "a", 1: "b", 2: "c"}), 3)
    with pytest.raises(TypeError, match="integer node ids"):
        to_edge_index(np.array([[True, False], [False, True]]), 2)


def test_length_mismatch(data):
    with pytest.raises(ValueError, match="mismatched lengths"):
        fit(GraphRLearner(**FAST), data, Y=data.Y[:-1])
    with pytest.raises(ValueError, match="mismatched lengths"):
        fit(GraphRLearner(**FAST), data, T=data.T[:-2])
    with pytest.raises(ValueError, match=r"node id .* only 59 nodes"):
        fit(GraphRLearner(**FAST), data, X=data.X[:-1], T=data.T[:-1], Y=data.Y[:-1])


def test_treatment_not_binary_and_swapped(data):
    with pytest.raises(ValueError, match="T must be binary"):
        fit(GraphRLearner(**FAST), data, T=data.T * 2)
    with pytest.raises(ValueError, match="both treated"):
        fit(GraphRLearner(**FAST), data, T=np.ones(N))
    # Y binary and T continuous: the arguments were swapped
    ybin = (data.Y > np.median(data.Y)).astype(float)
    with pytest.raises(ValueError, match="T and Y look swapped"):
        fit(GraphRLearner(**FAST), data, T=data.Y, Y=ybin)
    # continuous outcome passed as T
    with pytest.raises(ValueError, match="check the argument order"):
        fit(GraphRLearner(**FAST), data, T=data.Y, Y=2 * data.Y)


def test_non_finite(data):
    X = data.X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        fit(GraphRLearner(**FAST), data, X=X)
    Y = data.Y.copy()
    Y[3] = np.inf
    with pytest.raises(ValueError, match="Y must be finite"):
        fit(GraphRLearner(**FAST), data, Y=Y)
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        fit(GraphRLearner(**FAST), data, X=data.X[:, 0])
    with pytest.raises(TypeError, match="X must be numeric"):
        fit(GraphRLearner(**FAST), data, X=np.array([["a"] * 2] * N))


def test_weights_and_groups(data):
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        fit(GraphRLearner(**FAST), data, sample_weight=-np.ones(N))
    with pytest.raises(ValueError, match="sample_weight has length"):
        fit(GraphRLearner(**FAST), data, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="groups has length"):
        fit(GraphRLearner(**FAST), data, groups=np.ones(3))
    with pytest.raises(ValueError, match="groups has 1 distinct cluster"):
        fit(GraphRLearner(fold_strategy="cluster", **FAST), data, groups=np.zeros(N))
    with (
        pytest.warns(ClusterWarning, match="only 2 clusters"),
        pytest.raises(ValueError, match="needs at least n_folds=3 clusters"),
    ):
        fit(
            GraphRLearner(fold_strategy="cluster", n_folds=3, **FAST),
            data,
            groups=np.arange(N) % 2,
        )
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        fit(
            BlindRLearner(model_y=KNeighborsRegressor(), model_t=LogisticRegression()),
            data,
            sample_weight=np.arange(N) + 1.0,
        )
    # weights are relative: constant weights are no weights, so a model without sample_weight is fine (#12)
    fit(
        BlindRLearner(model_y=KNeighborsRegressor(), model_t=LogisticRegression()),
        data,
        sample_weight=np.ones(N) * 2,
    )


@pytest.mark.parametrize(
    "params, err, match",
    [
        (dict(n_folds=1), ValueError, "n_folds must be >= 2"),
        (dict(propensity_clip=(0.5, 0.2)), ValueError, "propensity_clip must be a pair"),
        (dict(propensity_clip=0.1), ValueError, "propensity_clip must be a pair"),
        (dict(fold_strategy="kmeans"), ValueError, "fold_strategy must be 'random' or 'cluster'"),
        (dict(model_y="mlp"), ValueError, "model_y must be one of"),
        (dict(model_final=3), TypeError, "model_final must be a string"),
        (dict(hidden_channels=0), ValueError, "hidden_channels must be >= 1"),
        (dict(lr=-1.0), ValueError, "lr must be > 0"),
        (dict(val_fraction=0.7), ValueError, "val_fraction must be < 0.5"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(max_epochs=2.5), TypeError, "max_epochs must be an integer; got float"),
        (dict(n_threads=0), ValueError, "n_threads must be >= 1"),
        (dict(n_threads=1.5), TypeError, "n_threads must be an integer; got float"),
        (dict(device="cuda:99"), ValueError, "CUDA is not available|device"),
    ],
)
def test_bad_parameters(data, params, err, match):
    import torch

    if "device" in params and torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(err, match=match):
        fit(GraphRLearner(**{**FAST, **params}), data)


def test_final_without_sample_weight(data):
    with pytest.raises(
        TypeError, match="does not accept sample_weight, so it cannot minimise the R-loss"
    ):
        fit(GraphRLearner(model_final=KNeighborsRegressor(), **FAST), data)


def test_propensity_at_clip_bounds_warns_with_count(data):
    # a nearly separable treatment: propensities pile up at the bounds
    T = (data.X[:, 2] > 0).astype(float)
    with pytest.warns(
        UserWarning, match=r"\d+ of 60 estimated propensity values are at the clipping bounds"
    ):
        est = fit(
            GraphRLearner(
                model_t=LogisticRegression(C=1e6), model_y=LinearRegression(), model_final="linear"
            ),
            data,
            T=T,
        )
    assert est.n_clipped_ > 0


def test_outputs_before_fit_and_bad_new_data(data):
    from sklearn.exceptions import NotFittedError

    est = GraphRLearner(**FAST)
    for call in (est.effect, est.ate, est.ate_interval, est.summary):
        with pytest.raises(NotFittedError):
            call()
    fit(est, data)
    with pytest.raises(ValueError, match="edge_index is required with new X"):
        est.effect(data.X)
    with pytest.raises(ValueError, match="X has 3 features"):
        est.effect(data.X[:, :3], edge_index=data.edge_index)
    with pytest.raises(ValueError, match="edge_index given without X"):
        est.effect(edge_index=data.edge_index)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        est.ate_interval(alpha=1.5)
    with pytest.raises(TypeError):  # alpha is keyword-only
        est.ate_interval(0.1)
    with pytest.raises(ValueError, match="BlindRLearner must be an sklearn estimator"):
        BlindRLearner(model_y="sage").fit(data.Y, data.T, X=data.X)


def test_meta_learners_and_report_inputs(data):
    with pytest.raises(ValueError, match="edge_index is required"):
        GraphTLearner(**FAST).fit(data.Y, data.T, X=data.X, edge_index=None)
    with pytest.raises(ValueError, match="T must be binary"):
        GraphSLearner(**FAST).fit(data.Y, data.Y, X=data.X, edge_index=data.edge_index)
    with pytest.raises(TypeError, match="model must be a string"):
        GraphSLearner(model=1.5).fit(data.Y, data.T, X=data.X, edge_index=data.edge_index)
    with pytest.raises(ValueError, match="tau has length"):
        hub_periphery_report(np.zeros(5), np.zeros(4), degree=np.ones(5))
    with pytest.raises(ValueError, match="degree is required"):
        hub_periphery_report(np.zeros(5), np.zeros(5))
    with pytest.raises(TypeError, match="KNeighborsRegressor does not accept sample_weight"):
        GraphTLearner(model=KNeighborsRegressor()).fit(
            data.Y, data.T, X=data.X, edge_index=data.edge_index, sample_weight=np.arange(N) + 1.0
        )
    # unit weights: a model without sample_weight is fine
    GraphTLearner(model=KNeighborsRegressor()).fit(
        data.Y, data.T, X=data.X, edge_index=data.edge_index
    )
    GraphSLearner(model=Lasso()).fit(data.Y, data.T, X=data.X, edge_index=data.edge_index)


def test_generator_arguments():
    with pytest.raises(ValueError, match="m must be smaller than n"):
        barabasi_albert_graph(3, 3)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        erdos_renyi_graph(0, 0.1)
    with pytest.raises(ValueError, match="p must be in"):
        erdos_renyi_graph(10, 1.5)
    with pytest.raises(ValueError, match="kind must be 'ba', 'er' or 'sbm'"):
        make_graph("ws", 10)
    with pytest.raises(ValueError, match="effect must be"):
        make_network_effect(10, effect="quadratic")
