"""Network estimators: safety regressions of issue #12 (global RNG, degenerate weights and graphs, clusters,
feature names, named warnings)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_geometric")


from causalkit.datasets import make_network_effect  # noqa: E402
from causalkit.network import (  # noqa: E402
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
    return est.fit(args.pop("X"), args.pop("T"), args.pop("Y"), **args)


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
