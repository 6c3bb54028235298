"""torch models as input: nn.Sequential with causalkit's activation modules, residual blocks, wrappers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cvxpy")
torch = pytest.importorskip("torch")

from causalkit.solvers import lipschitz_bound, sampled_lower_bound  # noqa: E402
from causalkit.solvers.nn import GroupSort, Householder, MaxMin, ResidualBlock  # noqa: E402


def _weights(model):
    return [m.weight.detach().double().numpy() for m in model if isinstance(m, torch.nn.Linear)]


def _torch_grad_lower(model, n0, n=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n0, generator=g, dtype=torch.float64)
    model = model.double()
    best = 0.0
    for i in range(n):
        J = torch.autograd.functional.jacobian(model, x[i : i + 1]).reshape(-1, n0)
        best = max(best, float(torch.linalg.matrix_norm(J, ord=2)))
    return best


def test_sequential_matches_weight_list():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 2),
    )
    a = lipschitz_bound(model)
    b = lipschitz_bound(_weights(model), activation="relu")
    assert a.bound == pytest.approx(b.bound, rel=1e-6) and a.certified
    assert _torch_grad_lower(model, 3) <= a.bound * (1 + 1e-6)


@pytest.mark.parametrize("act", [MaxMin(), GroupSort(4), Householder(2)])
def test_group_activation_modules(act):
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), act, torch.nn.Linear(8, 8), act, torch.nn.Linear(8, 2)
    )
    res = lipschitz_bound(model)
    assert res.certified and res.bound <= res.naive_bound * (1 + 1e-9)
    assert _torch_grad_lower(model, 4) <= res.bound * (1 + 1e-6)


def test_model_ending_in_activation():
    torch.manual_seed(6)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
    res = lipschitz_bound(model)
    assert res.certified and _torch_grad_lower(model, 3) <= res.bound * (1 + 1e-6)
    assert res.bound <= np.linalg.norm(model[0].weight.detach().numpy(), 2) * (1 + 1e-6)


def test_householder_forward_matches_maxmin():
    x = torch.randn(10, 6)
    torch.testing.assert_close(Householder(2)(x), MaxMin()(x))


def test_residual_block_and_wrapper():
    torch.manual_seed(2)

    class Wrapper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(3, 4),
                ResidualBlock(4, 6),
                ResidualBlock(4, 6, torch.nn.Tanh()),
                torch.nn.Linear(4, 2),
            )

        def forward(self, x):
            return self.net(x)

    model = Wrapper()
    res = lipschitz_bound(model)
    assert res.certified and res.bound <= res.naive_bound
    assert _torch_grad_lower(model, 3) <= res.bound * (1 + 1e-6)


def test_batchnorm_and_leaky_elu_sigmoid():
    torch.manual_seed(3)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 6),
        torch.nn.BatchNorm1d(6),
        torch.nn.LeakyReLU(0.2),
        torch.nn.Linear(6, 6),
        torch.nn.ELU(),
        torch.nn.Linear(6, 6),
        torch.nn.Sigmoid(),
        torch.nn.Linear(6, 1),
    )
    model(torch.randn(64, 3))  # populate running stats
    model.eval()
    res = lipschitz_bound(model)
    assert res.certified and _torch_grad_lower(model, 3) <= res.bound * (1 + 1e-6)


def test_unsupported_layer_and_module():
    with pytest.raises(ValueError, match="unsupported layer"):
        lipschitz_bound(
            torch.nn.Sequential(
                torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1), torch.nn.Linear(2, 1)
            )
        )

    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(2, 2)
            self.b = torch.nn.Linear(2, 2)

    with pytest.raises(TypeError, match=r"nn\.Sequential"):
        lipschitz_bound(Two())


def test_sampled_lower_bound_matches_torch():
    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    ours = sampled_lower_bound(_weights(model), activation="tanh", n_samples=1000, random_state=0)
    ref = _torch_grad_lower(model, 3, n=300)
    assert ours == pytest.approx(ref, rel=0.05)  # different sample points, same smooth landscape


@pytest.mark.gpu
def test_cuda_model_is_accepted():
    torch.manual_seed(5)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2)
    ).cuda()
    res = lipschitz_bound(model)
    ref = lipschitz_bound(_weights(model.cpu()))
    assert res.bound == pytest.approx(ref.bound, rel=1e-6)
