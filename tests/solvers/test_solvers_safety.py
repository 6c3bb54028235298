"""Issue #12 (slice A): no solver may end the process, no unsound or silently wrong Lipschitz bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from causalkit.solvers import Residual, lipschitz_bound, sampled_lower_bound

# ----------------------------------------------------------------------------------------- item 4: parsing


def test_two_row_nested_list_is_a_matrix_not_a_pair():
    W = [[1.0, 2.0], [3.0, 4.0]]  # one 2x2 layer, true constant ‖W‖₂ = 5.4650
    truth = np.linalg.norm(np.array(W), 2)
    res = lipschitz_bound([W])
    assert res.certified
    # was 2.2361: read as W = [1, 2] with bias [3, 4]
    assert res.bound == pytest.approx(truth, rel=1e-10)
    # the same layer inside a network: relu between two 2x2 layers
    W2 = [[0.5, -1.0], [2.0, 0.25]]
    a = lipschitz_bound([W, W2])
    b = lipschitz_bound([np.array(W), np.array(W2)])
    assert a.bound == pytest.approx(b.bound, rel=1e-9)
    assert a.naive_bound == pytest.approx(truth * np.linalg.norm(np.array(W2), 2), rel=1e-12)


def test_weight_bias_pair_only_as_tuple():
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(1, 3)), [0.5]
    ref = lipschitz_bound([W1, W2]).bound
    assert lipschitz_bound([(W1, b1), (W2, b2)]).bound == pytest.approx(ref, rel=1e-9)
    # a list [W, b] is not a pair: refused with a hint rather than guessed
    with pytest.raises(TypeError, match=r"weights\[0\].*tuple"):
        lipschitz_bound([[W1, b1], W2])
    # a bias that does not match the rows of W
    with pytest.raises(ValueError, match=r"weights\[0\].*bias"):
        lipschitz_bound([(W1, np.ones(2)), W2])


def test_ambiguous_top_level_inputs_are_refused():
    # a single (W, b) tuple at top level could be a pair or a 2-layer net ending in a row vector
    W, b = np.ones((2, 3)), np.ones(2)
    with pytest.raises(ValueError, match="ambiguous"):
        lipschitz_bound((W, b))
    # a nested list of numbers: one matrix, or a list of one-row layers?
    with pytest.raises(ValueError, match="ambiguous"):
        lipschitz_bound([[1.0], [2.0]])
    # the explicit forms work
    assert lipschitz_bound([(W, b)]).bound == pytest.approx(np.linalg.norm(W, 2), rel=1e-12)
    assert lipschitz_bound(np.array([[1.0], [2.0]])).bound == pytest.approx(np.sqrt(5), rel=1e-12)


# ------------------------------------------------------------------------- item 5: residual activations


def test_residual_block_takes_its_activation_from_the_list():
    # x -> 3-slope act -> x + act(x) -> identity: true constant 3 * (1 + 3) = 12 on the negative orthant
    I2 = np.eye(2)
    net = [I2, Residual(I2, I2), I2]
    leaky3 = ("leaky_relu", 3.0)  # slopes [1, 3]: v if v > 0 else 3 v
    truth = 12.0
    low = sampled_lower_bound(net, activation=[leaky3, leaky3], random_state=0)
    assert low == pytest.approx(truth, rel=1e-9)
    for acts in ([("slope", 0.0, 3.0)] * 2, [leaky3, leaky3]):
        res = lipschitz_bound(net, activation=acts)
        assert res.certified
        assert res.bound >= truth * (1 - 1e-7)  # was 6.0: the block silently got ReLU
        assert res.bound <= res.naive_bound * (1 + 1e-6)
    # the single-spec form still applies one activation everywhere
    assert lipschitz_bound(net, activation=leaky3).bound >= truth * (1 - 1e-7)


def test_activation_list_too_short_for_residual_blocks_is_refused():
    I2 = np.eye(2)
    with pytest.raises(ValueError, match="residual"):
        lipschitz_bound([I2, Residual(I2, I2), I2], activation=[("slope", 0.0, 3.0)])
    # a block with its own activation needs no entry
    blk = Residual(I2, I2, activation=("leaky_relu", 3.0))
    res = lipschitz_bound([I2, blk, I2], activation=[("leaky_relu", 3.0)])
    assert res.bound >= 12.0 * (1 - 1e-7)


# ------------------------------------------------------------------------ item 7: sampled lower bounds


def _chain_1x1(*layers):
    """Sequential of 1x1 Linear layers with weights ±1 (no bias) and the given activation modules."""
    torch = pytest.importorskip("torch")
    mods = []
    for w, act in layers:
        lin = torch.nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            lin.weight.fill_(w)
        mods.append(lin)
        if act is not None:
            mods.append(act)
    return torch.nn.Sequential(*mods)


def test_lower_bound_uses_elu_alpha():
    torch = pytest.importorskip("torch")
    alpha = 0.1
    # f(x) = ELU_a(−ELU_a(x)): slope a·e^{−x} (x > 0) or a·e^{x} (x < 0); constant exactly a
    net = _chain_1x1((1.0, torch.nn.ELU(alpha)), (-1.0, torch.nn.ELU(alpha)), (1.0, None))
    low = sampled_lower_bound(net, random_state=0)
    assert 0.9 * alpha <= low <= alpha * (1 + 1e-9)  # was 0.9988 (alpha read as 1)
    res = lipschitz_bound(net)
    assert res.certified and res.bound >= alpha


def test_lower_bound_uses_softplus_beta():
    torch = pytest.importorskip("torch")
    beta = 0.1
    # f(x) = ELU(−softplus_b(x)); |f'| = (1 + t)^(−1/b) t / (1 + t) with t = e^{b x}, maximal at t = b
    truth = beta * (1 + beta) ** (-(1 + beta) / beta)  # 0.03505
    net = _chain_1x1((1.0, torch.nn.Softplus(beta=beta)), (-1.0, torch.nn.ELU()), (1.0, None))
    low = sampled_lower_bound(net, n_samples=4000, scale=30.0, random_state=0)
    assert 0.99 * truth <= low <= truth * (1 + 1e-9)  # was 0.2499 (beta read as 1)
    res = lipschitz_bound(net)
    assert res.certified and res.bound >= truth


def test_lower_bound_respects_biases_of_torch_models():
    torch = pytest.importorskip("torch")
    # f(x) = tanh(tanh(x) + 5): constant sech²(4)·1 ≈ 1.3e-3 at most; without the bias it would be 1
    net = _chain_1x1((1.0, torch.nn.Tanh()), (1.0, torch.nn.Tanh()), (1.0, None))
    with torch.no_grad():
        net[2].bias = torch.nn.Parameter(torch.tensor([5.0]))
    low = sampled_lower_bound(net, random_state=0)
    assert low <= 1 / np.cosh(4.0) ** 2 * (1 + 1e-9)


def test_elu_with_negative_alpha_is_sound():
    torch = pytest.importorskip("torch")
    # ELU with alpha = −2 has slopes in (−2, 1]: constant 2 (just left of 0); it was bounded with [0, 1]
    net = _chain_1x1((1.0, torch.nn.ELU(alpha=-2.0)), (1.0, None))
    low = sampled_lower_bound(net, random_state=0)
    assert 1.9 <= low <= 2.0 * (1 + 1e-9)
    res = lipschitz_bound(net)
    assert res.bound >= 2.0 * (1 - 1e-9)  # was 1.0


def test_weight_list_elu_and_softplus_parameters():
    W1, W2 = np.array([[1.0]]), np.array([[-1.0]])
    low = sampled_lower_bound([W1, W2, W1], activation=[("elu", 0.1), ("elu", 0.1)], random_state=0)
    assert 0.09 <= low <= 0.1 * (1 + 1e-9)
    # ELU with alpha = 3 has slopes (0, 3]: both bounds see the 3
    low3 = sampled_lower_bound([W1, W1], activation=("elu", 3.0), random_state=0)
    up3 = lipschitz_bound([W1, W1], activation=("elu", 3.0))
    assert 2.9 <= low3 <= 3.0 * (1 + 1e-9) <= up3.bound * (1 + 2e-9)
    lowsp = sampled_lower_bound([W1, W1], activation=("softplus", 5.0), random_state=0)
    assert 0.9 <= lowsp <= 1.0


def test_sampled_lower_bound_leaves_global_rng_alone():
    state = np.random.get_state()  # noqa: NPY002 - the legacy global state is what must not change
    sampled_lower_bound([np.eye(2), np.eye(2)], n_samples=10)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(state[1:], after[1:])) and state[0] == after[0]


def test_network_simulators_leave_global_rng_alone():
    from causalkit.datasets import make_orthogonal_maxmin_network, make_random_network

    state = np.random.get_state()  # noqa: NPY002
    make_random_network([3, 4, 2])
    make_orthogonal_maxmin_network(4, 2)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(state[1:], after[1:])) and state[0] == after[0]


# ------------------------------------------------------------------------------------------ item 6: scale

SCALES = [1e-6, 1e-3, 1.0, 3e2, 1e3, 1e6]


def _scale_case(case):
    rng = np.random.default_rng(11)
    if case == "relu":
        ws = [rng.normal(size=(6, 3)), rng.normal(size=(5, 6)), rng.normal(size=(2, 5))]
        return ws, {"activation": "relu"}, 3
    if case == "tanh_inf":
        ws = [rng.normal(size=(6, 4)), rng.normal(size=(1, 6))]
        return ws, {"activation": "tanh", "norm": "inf"}, 2
    if case == "maxmin_layer":
        ws = [rng.normal(size=(4, 3)), rng.normal(size=(4, 4)), rng.normal(size=(2, 4))]
        return ws, {"activation": "maxmin", "method": "layer"}, 3
    if case == "residual":
        blk = Residual(rng.normal(size=(4, 3)) / 3, rng.normal(size=(3, 4)) / 3)
        return [rng.normal(size=(3, 2)), blk, rng.normal(size=(1, 3))], {"activation": "relu"}, None
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["relu", "tanh_inf", "maxmin_layer", "residual"])
def test_bound_is_homogeneous_in_the_weights(case):
    ws, kw, depth = _scale_case(case)
    ref = lipschitz_bound(ws, **kw).bound
    for s in SCALES:
        scaled = [Residual(s * w.W, s * w.V) if isinstance(w, Residual) else s * w for w in ws]
        res = lipschitz_bound(scaled, **kw)
        assert res.certified and res.status != "fallback", (s, res.status, res.method)
        # was 25x to 1.9e7x above the naive bound at 1e-3 ... 1e-6, and every solver infeasible from ~300
        assert res.bound <= res.naive_bound * (1 + 1e-6), (s, res.bound / res.naive_bound)
        low = sampled_lower_bound(
            scaled,
            activation=kw["activation"],
            norm=kw.get("norm", 2),
            n_samples=300,
            random_state=0,
        )
        assert res.bound >= low * (1 - 1e-9), (s, res.bound, low)
        if depth is not None:  # the SDP itself is exactly homogeneous of degree `depth`
            assert res.bound == pytest.approx(ref * s**depth, rel=2e-4), s


def test_multipliers_certify_the_original_weights_at_any_scale():
    from test_solvers_estimators import independent_linf_check, independent_lmi_check

    rng = np.random.default_rng(12)
    W1, W2 = rng.normal(size=(6, 3)), rng.normal(size=(2, 6))
    for s in (1e-5, 1e4):
        w = [s * W1, s * W2]
        res = lipschitz_bound(w)
        independent_lmi_check(w, res)
        inf = lipschitz_bound(w, norm="inf", output_index=1)
        independent_linf_check(w[0], w[1], inf, i=1)


def test_never_above_the_naive_bound(monkeypatch):
    import causalkit.solvers._lipschitz as lip
    from causalkit.exceptions import SolverWarning

    W = [np.eye(2), 2 * np.eye(2)]
    real = lip._run_method

    def too_loose(*args, **kwargs):
        # _Outcome: 6 fields, then the optional ones
        b, c, st, sv, m, raw, *rest = real(*args, **kwargs)
        return 10 * b, c, st, sv, m, raw, *rest

    monkeypatch.setattr(lip, "_run_method", too_loose)
    with pytest.warns(SolverWarning, match="naive"):
        res = lipschitz_bound(W)
    assert res.bound == pytest.approx(res.naive_bound, rel=1e-12) == 2.0
    assert res.method == "naive" and res.status == "fallback" and res.certified


# ------------------------------------------------------------------- item 1: no solver ends the process

_DEGENERATE = """
import numpy as np
from causalkit.datasets import make_random_network
from causalkit.solvers import _network as nw, _sdp, installed_solvers, lipschitz_bound

ws = [1e50 * w for w in make_random_network([3, 5, 2], random_state=0)]
try:  # the public entry point with solver="auto" (SDPA ran first, and ended the process)
    r = lipschitz_bound(ws, solver="auto")
    print("AUTO RESULT", r.bound <= r.naive_bound * (1 + 1e-6), r.certified, flush=True)
except Exception as exc:
    print("AUTO EXCEPTION", type(exc).__name__, flush=True)
if "SDPA" in installed_solvers():  # the unscaled degenerate LMI straight to SDPA
    ops = [nw._Linear(ws[0]), nw._Act(nw.parse_activation("relu")), nw._Linear(ws[1])]
    lmi = _sdp.build_lmi(_sdp.compile_ops(ops), "neuron", 2, None)
    try:
        y, status = _sdp.solve_lmi(lmi, "SDPA")
        print("SDPA RESULT", status, flush=True)
    except _sdp.SolverFailure as exc:
        print("SDPA EXCEPTION", exc.status, flush=True)
print("ALIVE", flush=True)
"""


@pytest.fixture(scope="module")
def degenerate_child():
    """One child process running the degenerate problems (a process that ends silently prints nothing)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", _DEGENERATE], capture_output=True, text=True, timeout=240
    )


def _needs(solver):
    from causalkit.solvers import installed_solvers

    if solver not in installed_solvers():
        pytest.skip(f"{solver} is not installed")


def test_sdpa_cannot_end_the_process(degenerate_child):
    _needs("SDPA")
    # SDPA's C++ code calls exit() on this LMI: the child used to end with status 0 and print nothing
    out = degenerate_child.stdout
    assert degenerate_child.returncode == 0, degenerate_child.stderr[-2000:]
    assert "ALIVE" in out, (out, degenerate_child.stderr[-2000:])
    assert "SDPA EXCEPTION" in out or "SDPA RESULT" in out


def test_auto_survives_a_degenerate_network(degenerate_child):
    out = degenerate_child.stdout
    assert "ALIVE" in out, (out, degenerate_child.stderr[-2000:])
    assert "AUTO RESULT True True" in out


def test_auto_chain_runs_no_process_ending_solver_in_process():
    from causalkit.solvers import _sdp

    chain = _sdp.solver_chain("auto")
    assert not set(chain) & _sdp.ISOLATED or set(chain) <= _sdp.ISOLATED
    _needs("SDPA")
    # an explicit SDPA still works (in its worker process) and gives the exact answer
    res = lipschitz_bound([np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])], solver="SDPA")
    assert res.solver == "SDPA" and res.certified and res.bound == pytest.approx(2.0, rel=1e-6)


# ------------------------------------------------------------- named warnings at the user's line of code


def test_fallback_warnings_are_solver_warnings_at_the_callers_line(monkeypatch):
    import causalkit.solvers._lipschitz as lip
    from causalkit.exceptions import CausalkitWarning, SolverWarning
    from causalkit.solvers import LipschitzEstimator, _sdp

    real = lip._run_method

    def neuron_fails(method, *args, **kwargs):
        if method in ("neuron", "chordal", "split"):
            raise _sdp.SolverFailure("forced", "infeasible", "SCS")
        return real(method, *args, **kwargs)

    monkeypatch.setattr(lip, "_run_method", neuron_fails)
    W = [np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])]
    for call in (lambda: lipschitz_bound(W), lambda: LipschitzEstimator().fit(W).result_):
        with pytest.warns(SolverWarning, match="the bound comes from 'layer'") as rec:
            res = call()
        assert res.method == "layer" and res.status == "fallback"
        assert res.bound == pytest.approx(3.1945, abs=1e-4)
        assert all(issubclass(w.category, CausalkitWarning) for w in rec)
        assert {w.filename for w in rec} == {
            __file__
        }  # was causalkit/solvers/_lipschitz.py via fit


# ------------------------------------------------- soundness: certified bound >= independent lower bound

_ACTS = [
    "relu",
    "tanh",
    "sigmoid",
    ("elu", 0.3),
    ("elu", 2.5),
    ("leaky_relu", 0.1),
    ("softplus", 4.0),
    "maxmin",
    ("groupsort", 2),
    "householder",
]


@pytest.mark.parametrize("act", _ACTS, ids=str)
def test_certified_bound_is_never_below_a_sampled_lower_bound(act):
    rng = np.random.default_rng(100 + _ACTS.index(act))
    for trial, scale in enumerate((1e-3, 1.0, 30.0)):
        dims = [int(rng.integers(2, 4)), 4, 4, int(rng.integers(1, 3))]
        ws = [scale * rng.normal(size=(o, i)) for i, o in itertools.pairwise(dims)]
        norm = "inf" if trial == 1 else 2
        out = 0 if norm == "inf" else None
        res = lipschitz_bound(ws, activation=act, norm=norm, output_index=out)
        low = sampled_lower_bound(
            ws,
            activation=act,
            norm=norm,
            output_index=out,
            n_samples=500,
            scale=2.0,
            random_state=0,
        )
        assert res.certified
        assert low <= res.bound * (1 + 1e-7), (act, scale, norm, low, res.bound)
        assert res.bound <= res.naive_bound * (1 + 1e-6)


def test_certified_bound_is_never_below_the_lower_bound_of_torch_models():
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(0)
    for act in (torch.nn.ELU(0.2), torch.nn.ELU(3.0), torch.nn.Softplus(beta=0.3), torch.nn.Tanh()):
        net = torch.nn.Sequential(torch.nn.Linear(3, 5), act, torch.nn.Linear(5, 2))
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 2.0)
        res = lipschitz_bound(net)
        low = sampled_lower_bound(net, n_samples=500, random_state=0)
        assert res.certified and low <= res.bound * (1 + 1e-7), (act, low, res.bound)


# ------------------------------------------------- the rest of the class: probes of nearby inputs (item 12)


def test_complex_weights_are_refused():
    # the imaginary part used to be dropped silently: bound 0.0 for 1j * I
    with pytest.raises(TypeError, match=r"weights\[0\].*complex"):
        lipschitz_bound([1j * np.eye(2)])


@pytest.mark.parametrize("method", ["neuron", "naive"])
def test_bounds_that_under_or_overflow_double_precision_are_refused(method):
    # true constant 1e-600: it was reported as a certified 0.0
    with pytest.raises(ValueError, match="double precision"):
        lipschitz_bound([1e-300 * np.eye(2), 1e-300 * np.eye(2)], method=method)
    with pytest.raises(ValueError, match="double precision"):
        lipschitz_bound([1e200 * np.eye(2)] * 2, method=method)
    # an exactly zero layer is a genuine zero
    assert lipschitz_bound([np.zeros((2, 2)), np.eye(2)], method=method).bound == 0.0


def test_extreme_slope_bounds_are_refused():
    with pytest.raises(ValueError, match="slope"):
        lipschitz_bound(
            [np.eye(2), np.eye(2)], activation=("slope", 0.0, 1e300)
        )  # was OverflowError


def test_empty_solver_list_is_refused():
    with pytest.raises(ValueError, match="solver"):
        lipschitz_bound([np.eye(2), np.eye(2)], solver=[])  # was AssertionError


def test_no_finite_bound_raises_instead_of_reporting_inf():
    from causalkit.solvers import Implicit

    # z = relu(2 z + x) has no equilibrium for x > 0: no finite certified bound exists (was bound=inf)
    with pytest.raises(ValueError, match="finite"):
        lipschitz_bound(Implicit(2 * np.eye(2), np.eye(2), np.eye(2)))


def test_flags_must_be_booleans():
    for kw in ({"certify": "no"}, {"reduce": "no"}, {"verbose": 1.5}):
        with pytest.raises(TypeError, match=next(iter(kw))):
            lipschitz_bound([np.eye(2), np.eye(2)], **kw)


def test_torch_wrapper_whose_forward_is_not_its_sequential_is_refused():
    torch = pytest.importorskip("torch")

    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)
            )

        def forward(self, x):
            return 100.0 * self.net(x)

    class Plain(Scaled):
        def forward(self, x):
            return self.net(x)

    torch.manual_seed(0)
    scaled, plain = Scaled(), Plain()
    state = torch.get_rng_state()
    # the bound was the inner Sequential's (0.18) for a function 100x steeper (sampled 20.2)
    with pytest.raises(ValueError, match="forward"):
        lipschitz_bound(scaled)
    res = lipschitz_bound(plain)
    assert res.certified and torch.equal(state, torch.get_rng_state())


def test_batchnorm_with_zero_variance_is_refused():
    torch = pytest.importorskip("torch")
    bn = torch.nn.BatchNorm1d(3, eps=0.0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 3), bn, torch.nn.ReLU(), torch.nn.Linear(3, 1)
    ).eval()
    with torch.no_grad():
        bn.running_var.zero_()
    with pytest.raises(ValueError, match="BatchNorm1d"):
        lipschitz_bound(net)


def test_pattern_bound_inputs():
    from causalkit.solvers import pattern_bound

    W = np.array([[1.0, -2.0], [0.5, 1.0]])
    # a 2-D array is one matrix (it was split into rows: "do not chain")
    assert pattern_bound(W) == pytest.approx(np.linalg.norm(W, 2), rel=1e-12)
    # residual blocks used to be skipped: 1.0 for a net whose constant is 2
    with pytest.raises(ValueError, match="feed-forward"):
        pattern_bound([np.eye(2), Residual(np.eye(2), np.eye(2)), np.eye(2)])
    # integer parameters go through _base.check_int: a non-integer is a TypeError naming it (#13)
    with pytest.raises(TypeError, match="max_neurons"):
        pattern_bound([np.eye(2), np.eye(2)], max_neurons="16")
    with pytest.raises(ValueError, match="max_neurons"):
        pattern_bound([np.eye(2), np.eye(2)], max_neurons=-1)


def test_torch_activation_modules_validate_their_arguments():
    pytest.importorskip("torch")
    from causalkit.solvers.nn import Householder, ResidualBlock

    with pytest.raises(ValueError, match="group_size"):
        Householder(1)  # was IndexError
    with pytest.raises(ValueError, match="v"):
        Householder(2, v=[0.0, 0.0])  # was a NaN parameter
    with pytest.raises(ValueError, match="dim"):
        ResidualBlock(0, 3)


def test_network_simulators_validate_their_arguments():
    from causalkit.datasets import make_orthogonal_maxmin_network, make_random_network

    with pytest.raises(ValueError, match="scale"):
        make_random_network([3, 2], scale=np.nan)  # was NaN weights
    with pytest.raises(ValueError, match="dims"):
        make_random_network([3.5, 2])  # was silently truncated to 3
    with pytest.raises(ValueError, match="depth"):
        make_orthogonal_maxmin_network(4, -1)  # was an empty list of weights
    with pytest.raises(ValueError, match="width"):
        make_orthogonal_maxmin_network(4.0)


def test_sequential_subclass_with_its_own_forward_is_refused():
    torch = pytest.importorskip("torch")

    class Doubled(torch.nn.Sequential):
        def forward(self, x):
            return 2.0 * super().forward(x)

    torch.manual_seed(0)
    net = Doubled(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match="forward"):
        lipschitz_bound(net)  # was the bound of the undoubled Sequential
    with pytest.raises(ValueError, match="forward"):
        lipschitz_bound(torch.nn.Sequential(torch.nn.Linear(2, 2), net))


def test_extreme_but_representable_weights_give_a_bound_without_numpy_warnings():
    import warnings

    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy overflow RuntimeWarnings included
        for ws in ([1e300 * W1, W2], [W1, 1e300 * W2]):
            res = lipschitz_bound(ws, solver="CLARABEL")  # was OverflowError (34, ...)
            assert res.certified and res.bound <= res.naive_bound * (1 + 1e-6)
            assert res.bound == pytest.approx(1e300 * lipschitz_bound([W1, W2]).bound, rel=1e-4)
        # the logistic function overflowed in exp for large negative pre-activations
        low = sampled_lower_bound([1e4 * W1, W2], activation="sigmoid", random_state=0)
        assert (
            np.isfinite(low) and low <= lipschitz_bound([1e4 * W1, W2], activation="sigmoid").bound
        )
        with pytest.raises(ValueError, match="not finite"):
            sampled_lower_bound([1e300 * np.eye(2), 1e300 * np.eye(2)], random_state=0)


def test_sampled_lower_bound_inside_no_grad_and_inference_mode():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    ref = sampled_lower_bound(net, random_state=0)
    with torch.no_grad():
        assert sampled_lower_bound(net, random_state=0) == ref
    with torch.inference_mode():  # was RuntimeError "element 0 of tensors does not require grad"
        assert sampled_lower_bound(net, random_state=0) == ref


def test_cell_arrays_and_weight_dicts_of_equal_shape_matrices():
    I2 = np.eye(2)
    # numpy stacks equal-shape matrices into one object array of scalars: it was read as scalar "layers"
    for m in (
        {"weights": [I2, 2 * I2]},
        np.array([I2, 2 * I2], dtype=object),
        {"weights": np.array([[I2, 2 * I2]], dtype=object)},
    ):
        assert lipschitz_bound(m).bound == pytest.approx(2.0, rel=1e-9)


def test_batchnorm_without_running_statistics_is_refused():
    torch = pytest.importorskip("torch")
    bn = torch.nn.BatchNorm1d(3, track_running_stats=False)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), bn, torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match="running statistics"):
        lipschitz_bound(net.eval())  # was AttributeError
