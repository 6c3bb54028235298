"""GPU runs of the network estimators (skipped without CUDA)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from causalkit.datasets import make_network_effect  # noqa: E402
from causalkit.network import GraphRLearner, GraphTLearner  # noqa: E402


@pytest.mark.gpu
def test_graph_rlearner_cuda_full_batch_matches_accuracy():
    d = make_network_effect(1000, "ba", random_state=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GraphRLearner(device="cuda", random_state=0).fit(
            d.Y, d.T, X=d.X, edge_index=d.edge_index
        )
    mse = float(np.mean((est.effect() - d.tau) ** 2))
    assert mse < 1.0, mse
    assert est.effect(d.X, edge_index=d.edge_index).shape == (1000,)
    lo, hi = est.ate_interval()
    assert lo < d.ate < hi or abs(est.ate() - d.ate) < 0.3
    t = GraphTLearner(device="cuda", random_state=0).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
    assert np.mean((t.effect() - d.tau) ** 2) < 1.5


@pytest.mark.gpu
@pytest.mark.parametrize("num_layers", [1, 2])
def test_graph_rlearner_cuda_minibatch(num_layers):
    d = make_network_effect(10_000, "ba", random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GraphRLearner(
            device="cuda",
            num_layers=num_layers,
            batch_size=4096,
            num_neighbors=10,
            max_epochs=40,
            patience=10,
            random_state=0,
        ).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
    mse = float(np.mean((est.effect() - d.tau) ** 2))
    assert mse < 0.5, mse


@pytest.mark.gpu
def test_cuda_fits_leave_global_rng_untouched():
    """Seeding happens inside fork_rng on CPU and on the CUDA device used (#12 item 14)."""
    from causalkit.datasets import make_rep4ex_1d
    from causalkit.rep4ex import Rep4Ex

    d = make_network_effect(200, "er", random_state=0)
    r = make_rep4ex_1d(300, random_state=0)
    cpu, cuda = torch.get_rng_state().clone(), torch.cuda.get_rng_state().clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GraphRLearner(device="cuda", max_epochs=5, random_state=0).fit(
            d.Y, d.T, X=d.X, edge_index=d.edge_index
        )
        b = GraphRLearner(device="cuda", max_epochs=5, random_state=0).fit(
            d.Y, d.T, X=d.X, edge_index=d.edge_index
        )
        Rep4Ex(device="cuda", hidden=(8,), max_epochs=2, random_state=0).fit(r.Y, r.A, X=r.X)
    assert torch.equal(torch.get_rng_state(), cpu)
    assert torch.equal(torch.cuda.get_rng_state(), cuda)
    np.testing.assert_allclose(a.effect(), b.effect(), rtol=1e-5, atol=1e-6)
