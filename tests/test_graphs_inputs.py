"""Bad inputs to the graph helpers (issue #12): clear ValueError/TypeError naming the argument, no foreign errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit.graphs import (
    barabasi_albert_graph,
    connected_components,
    degree,
    erdos_renyi_graph,
    make_graph,
    mean_adjacency,
    stochastic_block_graph,
    to_edge_index,
)

N = 40
EI = erdos_renyi_graph(N, 0.15, random_state=1)

N_NODE_FUNCTIONS = {
    "degree": degree,
    "connected_components": connected_components,
    "mean_adjacency": mean_adjacency,
    "to_edge_index": to_edge_index,
}


@pytest.mark.parametrize("fn", sorted(N_NODE_FUNCTIONS))
@pytest.mark.parametrize("bad", ["40", np.array("40"), float("nan"), 40.0, True, [40]])
def test_n_nodes_non_integer_is_a_type_error_naming_it(fn, bad):
    # was numpy UFuncTypeError for a str, "'float' object cannot be interpreted as an integer" for NaN
    with pytest.raises(TypeError, match="n_nodes must be an integer"):
        N_NODE_FUNCTIONS[fn](EI, bad)


@pytest.mark.parametrize("fn", ["degree", "connected_components", "mean_adjacency"])
def test_n_nodes_none_is_a_type_error_naming_it(fn):
    # was "'NoneType' object cannot be interpreted as an integer"
    with pytest.raises(TypeError, match="n_nodes must be an integer; got NoneType"):
        N_NODE_FUNCTIONS[fn](EI, None)


def test_to_edge_index_accepts_n_nodes_none():
    np.testing.assert_array_equal(to_edge_index(EI, None), EI)


@pytest.mark.parametrize("fn", ["degree", "connected_components", "mean_adjacency"])
@pytest.mark.parametrize("huge", [10**12, 2**31, np.int64(10**15)])
def test_n_nodes_too_large_to_allocate_is_a_value_error(fn, huge):
    # was MemoryError: Unable to allocate 7.28 TiB (degree, connected_components, mean_adjacency)
    with pytest.raises(ValueError, match=r"n_nodes must be <= 2\*\*31 - 1"):
        N_NODE_FUNCTIONS[fn](EI, huge)


def test_to_edge_index_huge_n_nodes_only_bounds_the_ids():
    # to_edge_index allocates nothing per node: a huge (integer) n_nodes is valid
    np.testing.assert_array_equal(to_edge_index(EI, 10**12), EI)


def test_n_nodes_beyond_memory_is_a_value_error(monkeypatch):
    from causalkit.graphs import _graph

    monkeypatch.setattr(_graph, "_physical_memory", lambda: 2**20)  # a 1 MiB machine
    with pytest.raises(ValueError, match=r"n_nodes=1000000 needs about .* GiB"):
        degree(EI, 10**6)
    assert degree(EI, N).shape == (N,)


@pytest.mark.parametrize("fn", sorted(N_NODE_FUNCTIONS))
def test_n_nodes_negative_is_a_value_error(fn):
    with pytest.raises(ValueError, match="n_nodes must be >= 0"):
        N_NODE_FUNCTIONS[fn](EI, -1)


def test_valid_n_nodes_unchanged():
    deg = degree(EI, np.int64(N))
    A = mean_adjacency(EI, N)
    assert deg.shape == (N,) and A.shape == (N, N)
    np.testing.assert_array_equal(deg, np.asarray((A != 0).sum(axis=1)).ravel())
    assert connected_components(np.zeros((2, 0), dtype=int), 0).shape == (0,)


def test_stochastic_block_graph_empty_sizes_names_sizes():
    # was "need at least one array to concatenate"
    with pytest.raises(ValueError, match="sizes must list at least one block"):
        stochastic_block_graph([], 0.5, 0.1, random_state=0)
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        stochastic_block_graph("x", 0.5, 0.1, random_state=0)
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        stochastic_block_graph(5, 0.5, 0.1, random_state=0)
    ei = stochastic_block_graph(np.array([5, 5]), 0.5, 0.1, random_state=0)
    np.testing.assert_array_equal(ei, stochastic_block_graph([5, 5], 0.5, 0.1, random_state=0))


def test_make_graph_ba_mean_degree_too_large_names_mean_degree():
    # was "m must be smaller than n; got m=500000000, n=20."
    with pytest.raises(ValueError, match=r"mean_degree=1e\+09 is too large .* n=20"):
        make_graph("ba", 20, random_state=0, mean_degree=1e9)
    with pytest.raises(ValueError, match="mean_degree=40 is too large"):
        make_graph("ba", 20, random_state=0, mean_degree=40.0)
    # the largest BA graph on 20 nodes still works
    ei = make_graph("ba", 20, random_state=0, mean_degree=37.0)
    assert ei.max() < 20


def test_make_graph_er_and_sbm_saturate_at_the_complete_graph():
    for kind in ("er", "sbm"):
        ei = make_graph(kind, 20, random_state=0, mean_degree=1e9)
        assert ei.shape == (2, 20 * 19)
    ei = make_graph(
        "sbm", 3, random_state=0
    )  # fewer nodes than blocks, default mean_degree 6 > n - 1
    assert ei.shape[0] == 2 and ei.max() < 3


def test_dense_graphs_beyond_memory_are_value_errors():
    # an Erdos-Renyi graph with 5e13 edges was a MemoryError in the pair enumeration
    with pytest.raises(ValueError, match="mean_degree: the graph would have about"):
        make_graph("er", 10**7, random_state=0, mean_degree=1e9)
    with pytest.raises(ValueError, match="p and n: the graph would have about"):
        erdos_renyi_graph(10**7, 0.9, random_state=0)
    with pytest.raises(ValueError, match="sizes, p_in and p_out"):
        stochastic_block_graph([10**7, 10**7], 0.9, 0.0, random_state=0)
    with pytest.raises(ValueError, match="m and n"):
        barabasi_albert_graph(10**9, 10**5, random_state=0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: erdos_renyi_graph(10**12, 0.0, random_state=0), r"n must be <= 2\*\*31 - 1"),
        (
            lambda: make_graph("er", 10**10, random_state=0, mean_degree=0.0),
            r"n must be <= 2\*\*31",
        ),
        (lambda: stochastic_block_graph([10**12], 0.0, 0.0), r"sum\(sizes\) must be <= 2\*\*31"),
    ],
)
def test_generators_too_many_nodes_are_value_errors(call, match):
    # edgeless but huge graphs were MemoryError (np.arange over every node)
    with pytest.raises(ValueError, match=match):
        call()


def test_uint64_ids_beyond_int64_are_named():
    # were cast to negative int64 and reported as "negative node ids"
    with pytest.raises(ValueError, match="node id 9223372036854775808, beyond the int64 range"):
        to_edge_index(np.array([[2**63], [0]], dtype=np.uint64))
    np.testing.assert_array_equal(to_edge_index(np.array([[2], [0]], dtype=np.uint64)), [[2], [0]])


def test_propagate_features_hops_beyond_memory_is_a_value_error():
    from causalkit.graphs import propagate_features

    # was a loop of 10**12 sparse products ending in MemoryError
    with pytest.raises(ValueError, match="hops=1000000000000: the propagated features"):
        propagate_features(np.ones((3, 1)), np.array([[0], [1]]), hops=10**12)
    with pytest.raises(ValueError, match="hops must be an integer >= 0"):
        propagate_features(np.ones((3, 1)), np.array([[0], [1]]), hops=1.5)
    out = propagate_features(np.ones((3, 1)), np.array([[0], [1]]), hops=np.int64(2))
    assert out.shape == (3, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda rs: erdos_renyi_graph(20, 0.2, random_state=rs),
        lambda rs: barabasi_albert_graph(20, 2, random_state=rs),
        lambda rs: stochastic_block_graph([5, 5], 0.5, 0.1, random_state=rs),
        lambda rs: make_graph("er", 20, random_state=rs),
    ],
)
def test_generators_negative_seed_names_random_state(call):
    # was numpy's "expected non-negative integer"
    with pytest.raises(ValueError, match="random_state must be >= 0"):
        call(-1)
    np.testing.assert_array_equal(
        call(2**40), call(2**40)
    )  # large seeds (drawn from a Generator) still work


def test_generators_seeded_output_unchanged():
    """The validation did not move the RNG stream: the same seed gives the graph drawn from default_rng."""
    rng = np.random.default_rng(3)
    from causalkit.graphs._generators import _sample_pairs, _undirected

    nodes = np.arange(50, dtype=np.int64)
    s, d = _sample_pairs(rng, nodes, nodes, 0.1, same=True)
    np.testing.assert_array_equal(erdos_renyi_graph(50, 0.1, random_state=3), _undirected(s, d))


def test_graph_tensors_pandas_input_no_torch_warning():
    pytest.importorskip("torch")
    import torch

    from causalkit.graphs import graph_tensors

    X = np.random.default_rng(0).normal(size=(N, 2))
    df = pd.DataFrame(X, index=np.arange(N)[::-1] + 1000)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # was torch's "The given NumPy array is not writable" UserWarning
        g = graph_tensors(df, EI)
    ref = graph_tensors(X, EI)
    assert torch.equal(g.x, ref.x) and torch.equal(g.sx, ref.sx)
    assert torch.equal(g.x, torch.as_tensor(X, dtype=torch.float32))
    g.x[0, 0] = 5.0  # the tensor owns writable memory; the caller's frame is untouched
    assert df.iloc[0, 0] == X[0, 0]


# ------------------------------------------------------------------ network.hub_periphery_report
def _report_inputs(n=N, seed=8):
    r = np.random.default_rng(seed)
    return r.normal(size=n), r.normal(size=n), r.integers(1, 10, size=n)


def _finite_report(df):
    assert np.all(np.isfinite(df.select_dtypes("number").to_numpy(float))), df


def test_hub_report_wrong_length_names_estimates():
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    # was "tau has length 40; expected 39" for estimates one short
    with pytest.raises(
        ValueError, match=r"estimates \(estimator\) has length 39 but tau has length 40"
    ):
        hub_periphery_report(est[:-1], tau, degree=deg)


def test_hub_report_regular_values_unchanged():
    """The overflow-safe moments equal the direct formulas bit for bit on ordinary data."""
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    rep = hub_periphery_report(est, tau, degree=deg)
    assert list(rep.index) == ["hub", "middle", "periphery", "all"]
    hub = deg >= np.quantile(deg, 0.9)
    for name, m in (("hub", hub), ("all", np.ones(N, bool))):
        err = est[m] - tau[m]
        assert rep.loc[name, "mse"] == float(np.mean(err**2))
        assert rep.loc[name, "var_tau"] == float(np.var(tau[m]))
        assert rep.loc[name, "mse_over_var"] == float(np.mean(err**2)) / float(np.var(tau[m]))
        assert rep.loc[name, "bias"] == float(err.mean())
        assert rep.loc[name, "mean_degree"] == float(deg[m].mean())
    _finite_report(rep)


@pytest.mark.parametrize("scale", [1e150, 1e120, 1e-120, 1e-150])
def test_hub_report_extreme_but_representable_scales_are_finite(scale):
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    base = hub_periphery_report(est, tau, degree=deg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was "overflow encountered in square" for large scales
        rep = hub_periphery_report(est * scale, tau * scale, degree=deg)
    _finite_report(rep)
    # the normalised error is scale-free
    np.testing.assert_allclose(rep["mse_over_var"], base["mse_over_var"], rtol=1e-12)
    np.testing.assert_allclose(rep["bias"], base["bias"] * scale, rtol=1e-12)


@pytest.mark.parametrize(
    "which, factor, match",
    [
        ("est", 1e300, "mean squared error .* exceeds the float64 range"),
        ("tau", 1e300, "exceeds the float64 range"),
        ("tau", 1e-300, "underflows float64"),
    ],
)
def test_hub_report_unrepresentable_scales_are_value_errors(which, factor, match):
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    est, tau = (est * factor, tau) if which == "est" else (est, tau * factor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was an inf/NaN report with a numpy RuntimeWarning
        with pytest.raises(ValueError, match=match):
            hub_periphery_report(est, tau, degree=deg)


def test_hub_report_constant_tau_or_degree_are_value_errors():
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    # were reports with NaN mse_over_var (constant tau) or NaN rows (constant degree)
    with pytest.raises(ValueError, match="tau is constant"):
        hub_periphery_report(est, np.ones(N), degree=deg)
    with pytest.raises(ValueError, match="degree is constant"):
        hub_periphery_report(est, tau, degree=np.full(N, 3))
    with pytest.raises(TypeError, match="degree must hold node degrees"):
        hub_periphery_report(est, tau, degree=deg > np.median(deg))
    with pytest.raises(ValueError, match="degree must be non-negative"):
        hub_periphery_report(est, tau, degree=-deg)


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_hub_report_too_few_nodes_is_a_value_error(rows):
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    with pytest.raises(ValueError, match="needs at least 4 nodes"):
        hub_periphery_report(est[:rows], tau[:rows], degree=deg[:rows])


def test_hub_report_leaves_out_empty_groups():
    from causalkit.network import hub_periphery_report

    est, tau, deg = _report_inputs()
    two = np.where(deg > 5, 9, 1)  # two degree values: no middle group (was a row of NaN)
    rep = hub_periphery_report(est, tau, degree=two)
    assert list(rep.index) == ["hub", "periphery", "all"]
    _finite_report(rep)
    assert rep.loc["hub", "n"] + rep.loc["periphery", "n"] == N
    # a one-node group has no effect variance: mse_over_var is NaN there (documented), all else finite
    tau4 = np.array([1.0, 2.0, 3.0, 4.0])
    rep = hub_periphery_report(tau4 + 0.1, tau4, degree=np.array([1, 1, 2, 10]))
    assert np.isnan(rep.loc["hub", "mse_over_var"]) and rep.loc["hub", "var_tau"] == 0
    assert np.isfinite(rep.drop(columns="mse_over_var").to_numpy(float)).all()


def test_dense_pair_enumeration_beyond_memory_is_a_value_error(monkeypatch):
    from causalkit.graphs import _graph

    n_pairs = 200 * 199 // 2
    # enough memory for the edges (48 bytes per pair at p = 0.5) but not for enumerating all pairs
    monkeypatch.setattr(_graph, "_physical_memory", lambda: 50 * n_pairs)
    with pytest.raises(
        ValueError, match=r"p=0.5: a dense block .* enumerates its 1.99e\+04 node pairs"
    ):
        erdos_renyi_graph(200, 0.5, random_state=0)
    with pytest.raises(ValueError, match=r"p_in=0\.5: a dense block"):
        stochastic_block_graph([200, 2], 0.5, 0.0, random_state=0)
    assert (
        erdos_renyi_graph(200, 0.01, random_state=0).shape[0] == 2
    )  # the sparse sampler needs no pairs
