"""The Graph R-learner validation suite (issue #16 item 3): designs, splits and their known truth."""

import numpy as np
import pytest

from causalkit.datasets import make_network_design, network_validation_designs
from causalkit.graphs import degree, mean_adjacency


def test_suite_has_both_halves_and_all_axes():
    names = network_validation_designs()
    tune, report = network_validation_designs("tune"), network_validation_designs("report")
    assert (
        len(names) >= 6 and sorted(tune + report) == sorted(names) and not set(tune) & set(report)
    )
    # the three outside-testing designs of the issue are reported on, never tuned on
    assert {"ws_two_hop", "ba_degree", "sbm_homophily"} <= set(report)
    with pytest.raises(ValueError, match="split"):
        network_validation_designs("train")


@pytest.mark.parametrize("name", network_validation_designs())
def test_design_is_seeded_and_consistent(name):
    a = make_network_design(name, n_nodes=300, random_state=3)
    b = make_network_design(name, n_nodes=300, random_state=3)
    c = make_network_design(name, n_nodes=300, random_state=4)
    n = 300
    assert a["X"].shape == (n, 5) and a["Y"].shape == a["T"].shape == a["true_cate"].shape == (n,)
    assert a["edge_index"].shape[0] == 2 and a["edge_index"].max() < n
    np.testing.assert_array_equal(a["Y"], b["Y"])
    assert not np.array_equal(a["Y"], c["Y"])
    assert a["true_ate"] == pytest.approx(a["true_cate"].mean(), abs=1e-12)
    assert set(np.unique(a["T"])) == {0.0, 1.0}
    assert np.all((a["propensity"] >= 0.05) & (a["propensity"] <= 0.95))
    # the outcome is the stated structural equation (noise sd 0.5)
    resid = a["Y"] - a["mu0"] - a["T"] * a["true_cate"]
    assert 0.4 < resid.std() < 0.6
    md = a["metadata"]
    assert md["split"] in ("tune", "report") and isinstance(md["graph_matters"], bool)
    assert a["groups"] is None or a["groups"].shape == (n,)


def test_designs_have_the_stated_structure():
    d = make_network_design("isolated_nodes", n_nodes=2000, random_state=0)
    assert 0.25 < d["metadata"]["n_isolated"] / 2000 < 0.35
    d = make_network_design("directed_weighted", n_nodes=2000, random_state=0)
    ei = d["edge_index"]
    pairs = set(zip(ei[0].tolist(), ei[1].tolist()))
    assert sum((j, i) in pairs for i, j in pairs) < 0.1 * len(pairs)  # mostly one-way edges
    assert d["edge_weight"].shape == (ei.shape[1],) and d["metadata"]["weighted"]
    # heterophily: most edges join the two blocks; homophily: most stay inside a block
    d = make_network_design("sbm_heterophily", n_nodes=2000, random_state=0)
    g, ei = d["groups"], d["edge_index"]
    assert np.mean(g[ei[0]] != g[ei[1]]) > 0.7
    d = make_network_design("sbm_homophily", n_nodes=2000, random_state=0)
    g, ei = d["groups"], d["edge_index"]
    assert np.mean(g[ei[0]] == g[ei[1]]) > 0.8
    # clustered treatment: the propensity is constant within a community
    d = make_network_design("clustered_treatment", n_nodes=2000, random_state=0)
    for k in range(5):
        assert np.ptp(d["propensity"][d["groups"] == k]) == 0
    # degree drives effect and treatment in the BA design (degree confounding)
    d = make_network_design("ba_degree", n_nodes=2000, random_state=0)
    ld = np.log1p(degree(d["edge_index"], 2000))
    assert (
        np.corrcoef(ld, d["true_cate"])[0, 1] > 0.5 and np.corrcoef(ld, d["propensity"])[0, 1] > 0.5
    )
    assert d["metadata"]["degree_confounded"]
    # two-hop effect: tau correlates with S^2 X_0 beyond S X_0
    d = make_network_design("ws_two_hop", n_nodes=2000, random_state=0)
    S = mean_adjacency(d["edge_index"], 2000)
    s2 = S @ (S @ d["X"][:, 0])
    assert np.corrcoef(s2, d["true_cate"])[0, 1] > 0.6
    # control design: the effect is a function of the node's own X only
    d = make_network_design("graph_irrelevant", n_nodes=500, random_state=0)
    assert not d["metadata"]["graph_matters"]
    X = d["X"]
    np.testing.assert_allclose(d["true_cate"], 1 + 0.8 * X[:, 0] + 0.5 * np.tanh(2 * X[:, 1]))


def test_large_design_and_bad_input():
    d = make_network_design("ws_two_hop", n_nodes=20000, random_state=0)
    assert d["X"].shape == (20000, 5) and d["metadata"]["n_nodes"] == 20000
    with pytest.raises(ValueError, match="name must be one of"):
        make_network_design("nope")
    with pytest.raises(ValueError, match="n_nodes"):
        make_network_design("ba_degree", n_nodes=10)
