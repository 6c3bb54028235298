"""Fitted GNNs of the network learners are stored as arrays and rebuilt exactly (#12 item 3)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_geometric")

from causalkit.graphs import NodeGNN, graph_tensors  # noqa: E402
from causalkit.network._state import decode_modules, encode_modules  # noqa: E402


def _graph():
    rng = np.random.default_rng(0)
    return graph_tensors(rng.normal(size=(6, 3)), np.array([[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]]))


@pytest.mark.parametrize("conv", ["sage", "gcn", "gat"])
def test_node_gnn_round_trip_is_exact_and_holds_no_torch_object(conv):
    g = _graph()
    torch.manual_seed(0)
    module = NodeGNN(3, 8, 2, 1, conv=conv, extra_dim=0)
    stored = encode_modules(
        {"final_model_": module, "models_y_": [module, module], "n": 3},
        ("final_model_", "models_y_"),
    )
    # what skops will write: arrays, dicts, ints, strings (no torch type anywhere)
    assert isinstance(stored["final_model_"]["weights"], dict)
    assert all(isinstance(v, np.ndarray) for v in stored["final_model_"]["weights"].values())
    rebuilt = decode_modules(stored, ("final_model_", "models_y_"))
    with torch.no_grad():
        expected = module(g.x, g.sx, g.S, g.edge_index)
        for got in (rebuilt["final_model_"], *rebuilt["models_y_"]):
            assert torch.equal(got(g.x, g.sx, g.S, g.edge_index), expected)
    assert rebuilt["n"] == 3


def test_user_modules_and_missing_attributes_are_left_alone():
    custom = torch.nn.Linear(3, 1)
    state = encode_modules({"final_model_": custom}, ("final_model_", "models_t_"))
    assert state["final_model_"] is custom and "models_t_" not in state


def test_fitted_graph_r_learner_pickles_without_torch_modules_and_predicts_the_same():
    from causalkit.datasets import make_network_effect
    from causalkit.network import GraphRLearner

    d = make_network_effect(150, random_state=0)
    est = GraphRLearner(
        model_y="sage", model_t="sage", model_final="sage", max_epochs=3, n_folds=2, random_state=0
    ).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
    blob = pickle.dumps(est)
    assert b"torch.nn" not in blob and b"NodeGNN" not in blob
    back = pickle.loads(blob)
    np.testing.assert_array_equal(
        back.effect(d.X, edge_index=d.edge_index), est.effect(d.X, edge_index=d.edge_index)
    )
