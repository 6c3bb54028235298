"""Network estimators: safety regressions of issue #12 (global RNG, degenerate weights and graphs, clusters,
feature names, named warnings)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_geometric")

from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402

from causalkit.datasets import make_network_effect  # noqa: E402
from causalkit.exceptions import CausalkitWarning  # noqa: E402
from causalkit.network import (  # noqa: E402
    BlindRLearner,
    GraphRLearner,
    GraphSLearner,
    GraphTLearner,
)

N = 80
FAST = dict(hidden_channels=4, max_epochs=3, patience=2, n_threads=1)


@pytest.fixture(scope="module")
def data():
    return make_network_effect(N, "er", mean_degree=4, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*clipping bounds.*")
        yield


def _fit(est, d, **kw):
    args = dict(X=d.X, T=d.T, Y=d.Y, edge_index=d.edge_index)
    args.update(kw)
    return est.fit(args.pop("Y"), args.pop("T"), **args)


TORCH_ESTIMATORS = {
    "rlearner_sage": lambda rs: GraphRLearner(**FAST, random_state=rs),
    "rlearner_gcn_linear": lambda rs: GraphRLearner(
        model_y="gcn", model_t="gat", model_final="linear", **FAST, random_state=rs
    ),
    "rlearner_minibatch": lambda rs: GraphRLearner(
        num_layers=2, batch_size=16, **FAST, random_state=rs
    ),
    "slearner": lambda rs: GraphSLearner(**FAST, random_state=rs),
    "tlearner": lambda rs: GraphTLearner(model="gcn", **FAST, random_state=rs),
}


# ---------------------------------------------------------------------- item 14: global RNG state
@pytest.mark.parametrize("name", sorted(TORCH_ESTIMATORS))
@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_global_rng_untouched(data, name, random_state):
    t_before = torch.get_rng_state().clone()
    np_before = np.random.get_state()  # noqa: NPY002 (the global state is what is checked)
    _fit(TORCH_ESTIMATORS[name](random_state), data)
    assert torch.equal(torch.get_rng_state(), t_before), name
    np_after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(np_after[1], np_before[1])
    assert np_after[2:] == np_before[2:]


@pytest.mark.parametrize("name", sorted(TORCH_ESTIMATORS))
def test_same_random_state_same_effects(data, name):
    a = _fit(TORCH_ESTIMATORS[name](5), data).effect()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(12345)  # the caller's global state must not matter
        b = _fit(TORCH_ESTIMATORS[name](5), data).effect()
    np.testing.assert_array_equal(a, b)
    c = _fit(TORCH_ESTIMATORS[name](6), data).effect()
    assert np.max(np.abs(a - c)) > 1e-6


# ---------------------------------------------------------------------- item 12: degenerate samples and graphs
ALL_ESTIMATORS = {
    "rlearner_gnn": lambda: GraphRLearner(**FAST, random_state=0),
    "rlearner_linear": lambda: GraphRLearner(
        model_y=LinearRegression(),
        model_t=LogisticRegression(),
        model_final="linear",
        random_state=0,
    ),
    "blind": lambda: BlindRLearner(
        model_y=LinearRegression(), model_t=LogisticRegression(), random_state=0
    ),
    "slearner_gnn": lambda: GraphSLearner(**FAST, random_state=0),
    "slearner_sk": lambda: GraphSLearner(model=LinearRegression()),
    "tlearner_gnn": lambda: GraphTLearner(**FAST, random_state=0),
    "tlearner_sk": lambda: GraphTLearner(model=LinearRegression()),
}


@pytest.mark.parametrize("name", sorted(ALL_ESTIMATORS))
@pytest.mark.parametrize("arm", [1, 0])
def test_zero_weight_on_a_whole_arm_is_refused(data, name, arm):
    """Before: ATE 1.22 / 5.97 / 0 or NaN reported for an arm that carries no weight at all."""
    w = np.where(data.T == arm, 0.0, 1.0)
    group = "treated" if arm == 1 else "control"
    with pytest.raises(ValueError, match=rf"sample_weight.*{group}"):
        _fit(ALL_ESTIMATORS[name](), data, sample_weight=w)


@pytest.mark.parametrize("name", ["rlearner_gnn", "rlearner_linear", "blind"])
def test_rlearner_needs_both_arms_in_every_training_fold(data, name):
    """One treated node cannot be cross-fitted: sklearn's 'at least 2 classes' error, or a GNN silently fitted."""
    T = np.zeros(N)
    T[3] = 1.0
    with pytest.raises(ValueError, match=r"T: cross-fitting.*treated"):
        _fit(ALL_ESTIMATORS[name](), data, T=T)
    w = np.ones(N)
    w[np.flatnonzero(data.T == 1)[1:]] = 0.0  # one treated node with positive weight
    with pytest.raises(ValueError, match=r"sample_weight.*treated"):
        _fit(ALL_ESTIMATORS[name](), data, sample_weight=w)


@pytest.mark.parametrize("name", sorted(ALL_ESTIMATORS))
@pytest.mark.parametrize("which", ["X", "Y"])
def test_overflowing_magnitudes_are_refused(data, name, which):
    """Y * 1e300 gave a NaN ATE (GNNs) or an infinite effect spread; X * 1e200 silently zeroed the features."""
    big = {"X": data.X * 1e200, "Y": data.Y * 1e300}[which]
    with pytest.raises(ValueError, match=rf"{which}.*magnitude"):
        _fit(ALL_ESTIMATORS[name](), data, **{which: big})


@pytest.mark.parametrize("name", sorted(ALL_ESTIMATORS))
@pytest.mark.parametrize(
    "graph",
    ["no_edges", "self_loops_only", "isolated_half", "with_self_loops", "empty_list"],
)
def test_degenerate_graphs_give_finite_answers(data, name, graph):
    n, ei = N, data.edge_index
    loops = np.vstack([np.arange(n), np.arange(n)])
    edge_index = {
        "no_edges": np.zeros((2, 0), dtype=int),
        "self_loops_only": loops,
        "isolated_half": ei[:, (ei[0] < n // 2) & (ei[1] < n // 2)],
        "with_self_loops": np.hstack([ei, loops]),
        "empty_list": [],
    }[graph]
    est = _fit(ALL_ESTIMATORS[name](), data, edge_index=edge_index)
    assert np.all(np.isfinite(est.effect())) and np.isfinite(est.ate())
    if graph in ("with_self_loops",):  # self loops are dropped: same fit as without them
        ref = _fit(ALL_ESTIMATORS[name](), data)
        np.testing.assert_allclose(est.effect(), ref.effect(), rtol=1e-6, atol=1e-9)
    if graph in ("self_loops_only", "empty_list"):
        ref = _fit(ALL_ESTIMATORS[name](), data, edge_index=np.zeros((2, 0), dtype=int))
        np.testing.assert_allclose(est.effect(), ref.effect(), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- item 10: clusters
@pytest.mark.parametrize("name", ["rlearner_gnn", "rlearner_linear", "blind"])
def test_one_cluster_is_refused_and_few_clusters_warn(data, name):
    """One cluster raised ZeroDivisionError from statsmodels; 3 clusters gave a CI without any warning."""
    from causalkit.exceptions import ClusterWarning

    with pytest.raises(ValueError, match="groups has 1 distinct cluster"):
        _fit(ALL_ESTIMATORS[name](), data, groups=np.zeros(N))
    with pytest.warns(ClusterWarning, match="only 3 clusters") as rec:
        _fit(ALL_ESTIMATORS[name](), data, groups=np.arange(N) % 3)
    assert all(r.filename == __file__ for r in rec if r.category is ClusterWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClusterWarning)
        _fit(ALL_ESTIMATORS[name](), data, groups=np.arange(N) % 20)


# ---------------------------------------------------------------------- item 13: feature names
@pytest.mark.parametrize("name", sorted(ALL_ESTIMATORS))
def test_feature_names_are_checked_on_new_graphs(data, name):
    """Reordered DataFrame columns were used by position: effects silently changed."""
    import pandas as pd

    cols = [f"f{j}" for j in range(data.X.shape[1])]
    Xdf = pd.DataFrame(data.X, columns=cols)
    est = _fit(ALL_ESTIMATORS[name](), data, X=Xdf)
    np.testing.assert_array_equal(est.feature_names_in_, cols)
    ei = None if name == "blind" else data.edge_index
    kw = {} if ei is None else {"edge_index": ei}
    same = est.effect(Xdf, **kw)
    # float32 GNNs: a DataFrame is column-major, so reductions may round differently
    np.testing.assert_allclose(same, est.effect(data.X, **kw), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="same names in another order"):
        est.effect(Xdf[cols[::-1]], **kw)
    with pytest.raises(ValueError, match=r"not seen in fit \['zz'\]"):
        est.effect(Xdf.rename(columns={"f0": "zz"}), **kw)
    if hasattr(est, "score"):
        with pytest.raises(ValueError, match="same names in another order"):
            est.score(data.Y, data.T, X=Xdf[cols[::-1]], **kw)
    # refit on an array forgets the names
    _fit(est, data)
    assert not hasattr(est, "feature_names_in_")
    est.effect(Xdf[cols[::-1]], **kw)  # no names to check against: used by position, like sklearn


# ---------------------------------------------------------------------- collinear and constant features
@pytest.mark.parametrize("name", sorted(ALL_ESTIMATORS))
def test_constant_features_give_sane_effects(data, name):
    """X of constant columns: the propagated features [X, SX, S^2X] are collinear up to rounding and
    LinearRegression nuisances returned m_hat up to 6e15 (R-learner ATE 1.7e14, T-learner -5.7e13)."""
    X = np.ones((N, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalkitWarning)
        est = _fit(ALL_ESTIMATORS[name](), data, X=X)
    eff = est.effect()
    assert np.all(np.isfinite(eff))
    # no covariate information: effects are bounded by the outcome's range
    assert np.max(np.abs(eff)) < 2 * np.ptp(data.Y), np.max(np.abs(eff))
    if hasattr(est, "m_hat_"):
        assert np.max(np.abs(est.m_hat_)) < 2 * np.max(np.abs(data.Y))


def test_linear_final_stage_drops_collinear_terms_with_a_named_warning(data):
    from causalkit.exceptions import CollinearityWarning

    X = np.column_stack([data.X, np.ones(N), 2.0 * data.X[:, 1]])
    est = GraphRLearner(
        model_y=LinearRegression(),
        model_t=LogisticRegression(),
        model_final="linear",
        random_state=0,
    )
    with pytest.warns(CollinearityWarning, match=r"x5.*x6") as rec:
        _fit(est, data, X=X)
    assert all(r.filename == __file__ for r in rec if r.category is CollinearityWarning)
    assert "x5" not in est.coef_names_ and "x6" not in est.coef_names_
    assert np.all(np.isfinite(est.coef_stderr_)) and np.max(est.coef_stderr_) < 100
    ref = GraphRLearner(
        model_y=LinearRegression(),
        model_t=LogisticRegression(),
        model_final="linear",
        random_state=0,
    )
    _fit(ref, data)
    # the same span of features: the same effects up to the nuisances' penalty on the extra columns
    assert abs(est.ate() - ref.ate()) < 0.2, (est.ate(), ref.ate())


def test_bad_device_and_constant_outcome(data):
    with pytest.raises(ValueError, match="device='foo'"):  # was a RuntimeError from torch
        _fit(GraphRLearner(**FAST, device="foo"), data)
    with pytest.raises(ValueError, match="device='foo'"):
        _fit(GraphTLearner(**FAST, device="foo"), data)
    # a constant outcome: no RuntimeWarning (the fold R^2 was 0/0), effects zero for linear models
    est = ALL_ESTIMATORS["rlearner_linear"]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=CausalkitWarning)
        _fit(est, data, Y=np.full(N, 3.0))
    assert np.all(np.isnan(est.nuisance_scores_["model_y"]["r2"]))
    np.testing.assert_allclose(est.effect(), 0.0, atol=1e-8)


# ---------------------------------------------------------------------- graph helpers and simulators
def test_graph_helpers_validate_their_inputs():
    import scipy.sparse as sp

    from causalkit.graphs import (
        erdos_renyi_graph,
        make_graph,
        neighbour_mean,
        propagate_features,
        stochastic_block_graph,
        to_edge_index,
    )

    with pytest.raises(ValueError, match="edge_index: a sparse adjacency must hold finite values"):
        to_edge_index(sp.csr_matrix(np.array([[0.0, np.nan], [1.0, 0.0]])), 2)  # NaN was an edge
    with pytest.raises(ValueError, match="hops must be an integer >= 0"):
        propagate_features(np.ones((3, 1)), np.array([[0], [1]]), -1)  # silently [X]
    with pytest.raises(ValueError, match="hops must be an integer >= 0"):
        propagate_features(np.ones((3, 1)), np.array([[0], [1]]), 1.5)  # silently one hop
    with pytest.raises(ValueError, match="X must be finite"):
        propagate_features(np.array([[np.nan], [1.0], [2.0]]), np.array([[0], [1]]), 1)
    with pytest.raises(TypeError, match="X must be numeric"):
        neighbour_mean(np.array([["a"], ["b"]]), np.array([[0], [1]]))
    with pytest.raises(TypeError, match="p_in must be a real number"):
        stochastic_block_graph([3, 3], [[0.5, 0.1], [0.1, 0.5]], 0.1, random_state=0)
    with pytest.raises(TypeError, match="p must be a real number"):
        erdos_renyi_graph(10, "0.5", random_state=0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_graph("er", 0, random_state=0)  # was ZeroDivisionError
    with pytest.raises(ValueError, match="mean_degree must be >= 0"):
        make_graph("er", 10, random_state=0, mean_degree=-1.0)
    ei = make_graph("sbm", 3, random_state=0)  # fewer nodes than blocks: was 'sizes ... got 0'
    assert ei.shape[0] == 2 and (ei.size == 0 or ei.max() < 3)
    np.testing.assert_array_equal(neighbour_mean(np.ones(3), np.array([[0], [1]])), [0.0, 1.0, 0.0])


def test_simulators_leave_global_rng_untouched_and_take_generators():
    from causalkit.datasets import make_rep4ex_1d, make_rep4ex_2d

    before = np.random.get_state()  # noqa: NPY002 (the global state is what is checked)
    make_rep4ex_1d(20)
    make_rep4ex_2d(20)
    make_network_effect(20, "er")
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2:] == before[2:]
    a = make_rep4ex_1d(20, random_state=np.random.default_rng(3))
    b = make_rep4ex_1d(20, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(a.X, b.X)
    with pytest.raises(ValueError, match="mixing_state must be an integer >= 0"):
        make_rep4ex_1d(20, mixing_state=-1, random_state=0)
    with pytest.raises(ValueError, match="mixing_state must be an integer >= 0"):
        make_rep4ex_2d(20, mixing_state="a", random_state=0)


def test_linear_final_stage_needs_more_nodes_than_terms(data):
    """4 nodes and 4 terms: HC1 divided by df_resid = 0 (RuntimeWarning, infinite standard errors)."""
    est = ALL_ESTIMATORS["rlearner_linear"]()
    T4 = np.array([0.0, 1.0, 0.0, 1.0])
    with (
        pytest.warns(CausalkitWarning, match="collinear"),
        pytest.raises(ValueError, match="'linear' has 4 terms but there are only 4 nodes"),
    ):
        est.fit(data.Y[:4], T4, X=data.X[:4, :3], edge_index=np.array([[0, 1], [1, 0]]))


def test_new_graph_features_beyond_float32(data):
    """effect() on new nodes with X * 1e200 returned NaN effects from the float32 GNN."""
    # a GNN final (the default may choose a linear one)
    est = GraphRLearner(**FAST, model_final="sage", random_state=0)
    _fit(est, data)
    with pytest.raises(ValueError, match="exceed the float32 range"):
        est.effect(data.X * 1e200, edge_index=data.edge_index)
    s = GraphSLearner(**FAST, random_state=0)
    _fit(s, data)
    with pytest.raises(ValueError, match="exceed the float32 range"):
        s.effect(data.X * 1e200, edge_index=data.edge_index)


def test_graph_tensors_validate_features():
    """NaN features went silently into the tensors; a list X raised AttributeError."""
    from causalkit.graphs import graph_tensors

    ei = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="X must be finite"):
        graph_tensors(np.array([[np.nan], [1.0]]), ei)
    g = graph_tensors([[1.0], [2.0]], ei)
    assert g.x.shape == (2, 1)
