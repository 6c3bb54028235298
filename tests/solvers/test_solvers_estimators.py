"""LipSDP: golden numbers, exact cases, sandwiches against brute force and sampled bounds, certification."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from causalkit._base import check_sklearn_contract
from causalkit.datasets import (
    load_lipsdp_weights,
    make_diagonal_network,
    make_orthogonal_maxmin_network,
    make_random_network,
)
from causalkit.exceptions import SolverWarning
from causalkit.solvers import (
    Implicit,
    LipschitzEstimator,
    Residual,
    installed_solvers,
    lipschitz_bound,
    pattern_bound,
    sampled_lower_bound,
)

GOLDEN = {"neuron": 36.482, "layer": 39.839, "split": 37.668, "naive": 43.306}


def independent_lmi_check(weights, res, alpha=0.0, beta=1.0, tol=1e-7):
    """Rebuild the LipSDP-neuron LMI of Fazlyab et al. (Thm 2) from the spec's block formula with the
    returned multipliers and check M(ρ = bound², T) ⪯ 0 by an eigenvalue computation."""
    Ws = [np.asarray(w, float) for w in weights]
    lam = np.asarray(res.multipliers["lambda"], float)
    n0, widths = Ws[0].shape[1], [w.shape[0] for w in Ws[:-1]]
    N = sum(widths)
    assert lam.shape == (N,) and np.all(lam >= 0)
    A = np.zeros((N, n0 + N))
    r = c = 0
    for W in Ws[:-1]:
        A[r : r + W.shape[0], c : c + W.shape[1]] = W
        r += W.shape[0]
        c += W.shape[1]
    B = np.hstack([np.zeros((N, n0)), np.eye(N)])
    T = np.diag(lam)
    Q = np.block([[-2 * alpha * beta * T, (alpha + beta) * T], [(alpha + beta) * T, -2 * T]])
    AB = np.vstack([A, B])
    M = AB.T @ Q @ AB
    M[:n0, :n0] -= res.bound**2 * np.eye(n0)
    M[n0 + N - Ws[-1].shape[1] :, n0 + N - Ws[-1].shape[1] :] += Ws[-1].T @ Ws[-1]
    top = np.linalg.eigvalsh(M)[-1]
    assert top <= tol * max(1.0, res.bound**2), f"λ_max(M) = {top}"


def independent_maxmin_chain_check(weights, res, tol=1e-7):
    """Pauli et al.'s MaxMin chain (S = P = 0) rebuilt from the multipliers: ρI − W₁ᵀT₁W₁ ⪰ 0,
    T_k − W_{k+1}ᵀT_{k+1}W_{k+1} ⪰ 0, T_{l−1} − W_lᵀW_l ⪰ 0 with T = blkdiag(λ_j I₂ + γ_j 11ᵀ), ρ = bound²."""
    lam, gam = res.multipliers["lambda"], res.multipliers["gamma"]
    Ws = [np.asarray(w, float) for w in weights]
    Ts, pos, grp = [], 0, 0
    for W in Ws[:-1]:
        n = W.shape[0]
        T = np.zeros((n, n))
        for j in range(n // 2):
            sl = slice(2 * j, 2 * j + 2)
            T[sl, sl] = lam[pos + 2 * j] * np.eye(2) + gam[grp + j] * np.ones((2, 2))
        Ts.append(T)
        pos += n
        grp += n // 2
    mats = [res.bound**2 * np.eye(Ws[0].shape[1]) - Ws[0].T @ Ts[0] @ Ws[0]]
    mats += [Ts[k] - Ws[k + 1].T @ Ts[k + 1] @ Ws[k + 1] for k in range(len(Ts) - 1)]
    mats.append(Ts[-1] - Ws[-1].T @ Ws[-1])
    for M in mats:
        assert np.linalg.eigvalsh(M)[0] >= -tol * max(1.0, res.bound**2)


def independent_linf_check(W1, W2, res, i=0, tol=1e-7):
    """GeoLIP's ℓ∞ matrix for one hidden ReLU layer and output i, rebuilt from (ρ = bound, μ, λ): must be PSD."""
    mu, lam, rho = res.multipliers["mu"], res.multipliers["lambda"], res.bound
    n0, n1 = W1.shape[1], W1.shape[0]
    T = np.diag(lam)
    c = W2[i]
    P = np.zeros((1 + n0 + n1, 1 + n0 + n1))
    P[0, 0] = 2 * rho - mu.sum()
    P[0, 1 + n0 :] = P[1 + n0 :, 0] = -c
    P[1 : 1 + n0, 1 : 1 + n0] = np.diag(mu)
    P[1 : 1 + n0, 1 + n0 :] = -W1.T @ T
    P[1 + n0 :, 1 : 1 + n0] = -T @ W1
    P[1 + n0 :, 1 + n0 :] = 2 * T
    assert np.linalg.eigvalsh(P)[0] >= -tol * max(1.0, rho)


# ---------------------------------------------------------------------------------------------- golden


@pytest.mark.parametrize("method", ["neuron", "layer", "split", "naive"])
def test_golden_lipsdp_weights(method):
    weights = load_lipsdp_weights()
    res = lipschitz_bound(weights, method=method, split_size=2)
    assert res.bound == pytest.approx(GOLDEN[method], abs=1e-3)
    assert res.certified and res.method == method
    assert res.naive_bound == pytest.approx(GOLDEN["naive"], abs=1e-3)
    if method in ("neuron", "layer"):
        independent_lmi_check(weights, res)


def test_golden_shared_file_matches_bundled(shared_data):
    from scipy.io import loadmat

    mat = loadmat(shared_data / "lipsdp" / "random_weights.mat")
    ws = [np.asarray(w, float) for w in mat["weights"].ravel()]
    assert lipschitz_bound(ws).bound == pytest.approx(GOLDEN["neuron"], abs=1e-3)


def test_chordal_and_eclipse_on_golden():
    weights = load_lipsdp_weights()
    neuron = lipschitz_bound(weights).bound
    chordal = lipschitz_bound(weights, method="chordal")
    assert chordal.certified and chordal.bound == pytest.approx(neuron, rel=1e-5)
    ecl = lipschitz_bound(weights, method="eclipse_fast")
    assert ecl.certified and ecl.method == "eclipse_fast"
    assert neuron - 1e-6 <= ecl.bound <= GOLDEN["naive"]
    independent_lmi_check(weights, ecl)


# ---------------------------------------------------------------------------------------------- exact cases


def test_single_hidden_neuron():
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=(1, 5)), np.array([[-1.7]])
    for method in ("neuron", "layer"):
        res = lipschitz_bound([w1, w2], method=method)
        assert res.bound == pytest.approx(1.7 * np.linalg.norm(w1), rel=1e-5)


def test_diagonal_net():
    weights, truth = make_diagonal_network()
    assert lipschitz_bound(weights).bound == pytest.approx(truth, rel=1e-5)
    assert lipschitz_bound(weights, method="layer").bound == pytest.approx(3.1945, abs=1e-4)
    assert lipschitz_bound(weights, method="naive").bound == pytest.approx(6.0)
    assert sampled_lower_bound(weights, random_state=0) == pytest.approx(truth, rel=1e-9)


def test_no_hidden_layer_and_linear_activation():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 4))
    res = lipschitz_bound([W])
    assert res.bound == pytest.approx(np.linalg.norm(W, 2), rel=1e-12) and res.certified
    Ws = [rng.normal(size=(5, 4)), rng.normal(size=(3, 5)), rng.normal(size=(2, 3))]
    lin = lipschitz_bound(Ws, activation="linear")
    assert lin.bound == pytest.approx(np.linalg.norm(Ws[2] @ Ws[1] @ Ws[0], 2), rel=1e-10)


def test_single_maxmin_and_relu_rewrite():
    I2 = np.eye(2)
    qc = lipschitz_bound([I2, I2], activation="maxmin")
    assert qc.bound == pytest.approx(1.0, rel=1e-6) and qc.certified
    # max(a, b) = b + relu(a − b), min(a, b) = b − relu(b − a): a ReLU block with a linear shortcut
    rewrite = Residual(
        W=np.array([[1.0, -1.0], [-1.0, 1.0]]),
        V=np.array([[1.0, 0.0], [0.0, -1.0]]),
        skip=np.array([[0.0, 1.0], [0.0, 1.0]]),
    )
    x = np.random.default_rng(0).normal(size=(50, 2))
    out = x @ rewrite.skip.T + np.maximum(x @ rewrite.W.T, 0) @ rewrite.V.T
    np.testing.assert_allclose(out, np.c_[x.max(1), x.min(1)], atol=1e-12)
    assert lipschitz_bound([rewrite]).bound == pytest.approx(np.sqrt(2), rel=1e-6)


def test_orthogonal_maxmin_stack():
    weights, truth = make_orthogonal_maxmin_network(6, 4, random_state=3)
    for act in ("maxmin", ("groupsort", 2), "householder"):
        res = lipschitz_bound(weights, activation=act)
        assert res.bound == pytest.approx(truth, rel=1e-6) and res.certified
        if act != "householder":  # its invariant is I − vvᵀ = 11ᵀ/2, a rescaled γ
            independent_maxmin_chain_check(weights, res)


def test_random_maxmin_sandwich():
    rng = np.random.default_rng(4)
    Ws = [rng.normal(size=(8, 4)) / 2, rng.normal(size=(8, 8)) / 3, rng.normal(size=(3, 8)) / 3]
    qc = lipschitz_bound(Ws, activation="maxmin")
    independent_maxmin_chain_check(Ws, qc)
    lower = sampled_lower_bound(Ws, activation="maxmin", random_state=0)
    assert lower - 1e-9 <= qc.bound <= qc.naive_bound + 1e-9
    assert lipschitz_bound(Ws, activation="maxmin", method="layer").bound >= qc.bound - 1e-6
    inf = lipschitz_bound(Ws, activation="maxmin", norm="inf", output_index=0)
    low_inf = sampled_lower_bound(
        Ws, activation="maxmin", norm="inf", output_index=0, random_state=0
    )
    assert low_inf - 1e-9 <= inf.bound <= inf.naive_bound + 1e-9
    assert inf.certified


def test_groupsort_4():
    rng = np.random.default_rng(5)
    Ws = [rng.normal(size=(8, 3)) / 2, rng.normal(size=(8, 8)) / 3, rng.normal(size=(2, 8))]
    res = lipschitz_bound(Ws, activation=("groupsort", 4))
    low = sampled_lower_bound(Ws, activation=("groupsort", 4), random_state=0)
    assert low - 1e-9 <= res.bound <= res.naive_bound + 1e-9


# ---------------------------------------------------------------------------------------------- sandwiches


@pytest.mark.parametrize("dims,seed", [([4, 10, 2], 0), ([3, 6, 6, 2], 1), ([4, 6, 5, 3], 2)])
def test_sandwich_relu(dims, seed):
    Ws = make_random_network(dims, random_state=seed)
    neuron = lipschitz_bound(Ws)
    layer = lipschitz_bound(Ws, method="layer")
    pattern = pattern_bound(Ws)
    lower = sampled_lower_bound(Ws, random_state=seed)
    eps = 1e-6 * neuron.bound
    assert lower <= pattern + eps
    assert pattern <= neuron.bound + eps
    assert neuron.bound <= layer.bound + eps
    assert layer.bound <= neuron.naive_bound + eps
    independent_lmi_check(Ws, neuron)
    independent_lmi_check(Ws, layer)
    if len(dims) > 3:
        split = lipschitz_bound(Ws, method="split", split_size=1)
        assert split.bound >= neuron.bound - eps
        assert lipschitz_bound(Ws, method="chordal").bound == pytest.approx(neuron.bound, rel=1e-5)


def test_pattern_equals_neuron_one_hidden_layer():
    """On 4-10-2 the spec observed pattern = neuron (the relaxation is tight there)."""
    Ws = make_random_network([4, 10, 2], random_state=0)
    assert lipschitz_bound(Ws).bound >= pattern_bound(Ws) - 1e-6


def test_svd_reduction_is_exact():
    Ws = make_random_network([20, 16, 16, 3], random_state=7)
    red = lipschitz_bound(Ws, reduce=True)
    full = lipschitz_bound(Ws, reduce=False)
    assert red.bound == pytest.approx(full.bound, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_linf_one_hidden_layer(seed):
    rng = np.random.default_rng(seed)
    W1, W2 = rng.normal(size=(10, 5)), rng.normal(size=(1, 10))
    brute = max(
        np.abs((W2 * np.array(D)) @ W1).sum() for D in itertools.product((0.0, 1.0), repeat=10)
    )
    res = lipschitz_bound([W1, W2], norm="inf")
    independent_linf_check(W1, W2, res)
    rowsum = np.abs(W2).sum() * np.abs(W1).sum(axis=1).max()
    assert brute - 1e-6 <= res.bound <= rowsum + 1e-6
    assert res.bound <= 1.783 * brute  # GeoLIP's Grothendieck-constant guarantee
    assert pattern_bound([W1, W2], norm="inf") == pytest.approx(brute)


def test_linf_vector_output_and_margin():
    Ws = make_random_network([3, 6, 3], random_state=11)
    per = [lipschitz_bound(Ws, norm="inf", output_index=i).bound for i in range(3)]
    allout = lipschitz_bound(Ws, norm="inf")
    assert allout.bound == pytest.approx(max(per), rel=1e-6)
    assert len(allout.multipliers) == 3
    margin = lipschitz_bound(Ws, norm="inf", output_index=(0, 1))
    low = sampled_lower_bound(Ws, norm="inf", output_index=(0, 1), random_state=0)
    assert low - 1e-9 <= margin.bound <= margin.naive_bound + 1e-9


@pytest.mark.parametrize("dims", [[3, 6, 4], [3, 4, 6]])
def test_output_index_l2(dims):
    Ws = make_random_network(dims, random_state=12)
    one = lipschitz_bound(Ws, output_index=2)
    full = lipschitz_bound(Ws)
    low = sampled_lower_bound(Ws, output_index=2, random_state=0)
    assert low - 1e-9 <= one.bound <= full.bound + 1e-6
    assert one.bound == pytest.approx(lipschitz_bound([Ws[0], Ws[1][2:3]]).bound, rel=1e-5)
    assert full.bound == pytest.approx(lipschitz_bound(Ws, reduce=False).bound, rel=1e-6)


# ---------------------------------------------------------------------------------------------- soundness


def _network_coupling_bound(W1, W2):
    """LipSDP-'Network' coupling, written out here only to document that it is unsound."""
    import cvxpy as cp

    n, n0 = W1.shape
    lam = cp.Variable(n, nonneg=True)
    lij = cp.Variable((n, n), nonneg=True)
    rho = cp.Variable()
    T = cp.diag(lam)
    for i, j in itertools.combinations(range(n), 2):
        e = np.zeros(n)
        e[i], e[j] = 1.0, -1.0
        T = T + lij[i, j] * np.outer(e, e)
    M = cp.bmat([[-rho * np.eye(n0), W1.T @ T], [T @ W1, -2 * T + W2.T @ W2]])
    cp.Problem(cp.Minimize(rho), [(M + M.T) / 2 << 0]).solve(solver="CLARABEL")
    return float(np.sqrt(rho.value))


def test_network_coupling_is_refused_and_unsound():
    W1, W2 = make_random_network([2, 3, 1], random_state=0)
    lower = sampled_lower_bound([W1, W2], n_samples=20000, random_state=0)
    assert (
        _network_coupling_bound(W1, W2) < lower - 0.05
    )  # 0.549 < 0.637: below a valid lower bound
    assert lipschitz_bound([W1, W2]).bound >= lower - 1e-9
    with pytest.raises(ValueError, match="unsound"):
        lipschitz_bound([W1, W2], method="network")


def test_uncertified_falls_back(monkeypatch):
    from causalkit.solvers import _sdp

    monkeypatch.setattr(_sdp, "certify_rho", lambda lmi, y: None)
    weights, _ = make_diagonal_network()
    with pytest.warns(SolverWarning, match="naive"):
        res = lipschitz_bound(weights)
    assert res.status == "fallback" and res.method == "naive" and res.bound == pytest.approx(6.0)
    raw = lipschitz_bound(weights, certify=False)
    assert (
        not raw.certified
        and raw.status == "uncertified"
        and raw.bound == pytest.approx(2.0, rel=1e-5)
    )


@pytest.mark.parametrize("solver", ["SCS", "CLARABEL", "CVXOPT", "SDPA"])
def test_each_solver_is_certified(solver):
    if solver not in installed_solvers():
        pytest.skip(f"{solver} not installed")
    Ws = make_random_network([3, 6, 6, 2], random_state=3)
    res = lipschitz_bound(Ws, solver=solver)
    assert res.certified and res.solver == solver
    independent_lmi_check(Ws, res)
    ref = pattern_bound(Ws)
    assert ref - 1e-6 <= res.bound <= 1.01 * lipschitz_bound(Ws, solver="auto").bound


# ---------------------------------------------------------------------------------------------- architectures


def test_residual_network():
    rng = np.random.default_rng(8)
    blocks = [Residual(rng.normal(size=(6, 4)) / 3, rng.normal(size=(4, 6)) / 3) for _ in range(2)]
    net = [rng.normal(size=(4, 3)), *blocks, rng.normal(size=(2, 4))]
    res = lipschitz_bound(net)
    low = sampled_lower_bound(net, random_state=0)
    assert res.certified and low - 1e-9 <= res.bound <= res.naive_bound
    emb, head = np.linalg.norm(net[0], 2), np.linalg.norm(net[-1], 2)
    naive = (
        emb * head * np.prod([1 + np.linalg.norm(b.V, 2) * np.linalg.norm(b.W, 2) for b in blocks])
    )
    assert res.naive_bound == pytest.approx(naive)


def test_implicit_layer_reduces_to_feedforward():
    rng = np.random.default_rng(9)
    U, C = rng.normal(size=(6, 3)), rng.normal(size=(2, 6))
    imp = lipschitz_bound(Implicit(np.zeros((6, 6)), U, C))
    ff = lipschitz_bound([U, C])
    assert imp.bound == pytest.approx(ff.bound, rel=1e-5)
    W = 0.2 * rng.normal(size=(6, 6)) / np.sqrt(6)
    res = lipschitz_bound(Implicit(W, U, C))
    # sampled lower bound by fixed-point iteration of the equilibrium and finite differences
    x = rng.normal(size=(400, 3))
    d = 1e-6 * rng.normal(size=(400, 3))

    def eq(x):
        z = np.zeros((x.shape[0], 6))
        for _ in range(200):
            z = np.maximum(z @ W.T + x @ U.T, 0)
        return z @ C.T

    ratio = np.linalg.norm(eq(x + d) - eq(x), axis=1) / np.linalg.norm(d, axis=1)
    assert ratio.max() <= res.bound * (1 + 1e-4) and res.certified


def test_leaky_relu_and_sigmoid_sandwich():
    Ws = make_random_network([3, 6, 6, 2], random_state=10)
    for act, ab in [
        (("leaky_relu", 0.1), (0.1, 1.0)),
        ("sigmoid", (0.0, 0.25)),
        ("tanh", (0.0, 1.0)),
    ]:
        res = lipschitz_bound(Ws, activation=act)
        low = sampled_lower_bound(Ws, activation=act, random_state=0)
        assert low - 1e-9 <= res.bound <= res.naive_bound * (1 + 1e-9)
        independent_lmi_check(Ws, res, *ab)


# ---------------------------------------------------------------------------------------------- estimator


def test_first_order_solver_is_certified_and_close():
    weights = load_lipsdp_weights()
    fo = lipschitz_bound(weights, solver="first_order")
    assert fo.certified and fo.solver == "FIRST_ORDER"
    independent_lmi_check(weights, fo)
    assert GOLDEN["neuron"] - 1e-3 <= fo.bound <= GOLDEN["neuron"] * 1.002
    Ws = make_random_network([4, 12, 12, 3], random_state=6)
    ref = lipschitz_bound(Ws).bound
    fo = lipschitz_bound(Ws, solver="first_order")
    independent_lmi_check(Ws, fo)
    assert ref * (1 - 1e-6) <= fo.bound <= ref * 1.002


def test_estimator_contract():
    """sklearn contract via causalkit's shared check. ``sklearn.utils.estimator_checks.check_estimator`` does
    not apply: ``fit`` takes a network (weights or a torch model), not a data matrix ``X``, and there is no
    ``predict``/``transform``; clone / get_params / set_params / pickling are covered here."""
    weights, _ = make_diagonal_network()
    est = LipschitzEstimator(method="neuron")
    check_sklearn_contract(est, lambda e: e.fit(weights), lambda e: np.round(e.bound_, 6))
    assert est.bound_ == pytest.approx(2.0, rel=1e-5) and est.result_.certified


@pytest.mark.slow
def test_soundness_study_random_nets():
    """40 random ReLU / tanh nets: every certified bound passes the independent LMI check, sits above the
    brute-force pattern bound (ReLU) and the sampled lower bound, and below the naive product."""
    rng = np.random.default_rng(123)
    n_checked = 0
    for k in range(40):
        depth = 1 + k % 3
        dims = (
            [int(rng.integers(2, 5))]
            + [int(rng.integers(2, 13 // depth + 1)) for _ in range(depth)]
            + [int(rng.integers(1, 4))]
        )
        Ws = make_random_network(dims, random_state=k)
        act = "relu" if k % 2 == 0 else "tanh"
        res = lipschitz_bound(Ws, activation=act)
        assert res.certified
        independent_lmi_check(Ws, res)
        low = sampled_lower_bound(Ws, activation=act, n_samples=4000, random_state=k)
        assert low <= res.bound * (1 + 1e-7) <= res.naive_bound * (1 + 1e-6)
        if act == "relu":
            assert pattern_bound(Ws, max_neurons=13) <= res.bound * (1 + 1e-6)
        n_checked += 1
    assert n_checked == 40


def test_auto_switches_to_first_order_for_large_lmis(monkeypatch):
    from causalkit.solvers import _sdp

    Ws = make_random_network([4, 10, 10, 2], random_state=13)
    ref = lipschitz_bound(Ws, solver="auto")
    assert ref.solver != "FIRST_ORDER"  # LMI size 24 < threshold
    monkeypatch.setattr(_sdp, "FIRST_ORDER_MIN_SIZE", 10)
    big = lipschitz_bound(Ws, solver="auto")
    assert big.solver == "FIRST_ORDER" and big.certified
    independent_lmi_check(Ws, big)
    assert ref.bound * (1 - 1e-6) <= big.bound <= ref.bound * 1.002
    # an explicitly named solver is never replaced
    assert lipschitz_bound(
        Ws, solver="CVXOPT" if "CVXOPT" in installed_solvers() else "SCS"
    ).solver != ("FIRST_ORDER")
