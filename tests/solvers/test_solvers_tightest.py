"""Issue #19 item 1: never looser than a bound already computed, labels that say which formulation produced
the number, the measured fallback order, and soundness on seeded random networks (item 1's acceptance)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from causalkit.datasets import make_random_network
from causalkit.exceptions import SolverWarning
from causalkit.solvers import lipschitz_bound, sampled_lower_bound

pytest.importorskip("cvxpy")


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lipschitz_bound(*args, **kwargs)


def _group_net():
    rng = np.random.default_rng(0)
    return [
        rng.normal(size=(8, 6)) / np.sqrt(6),
        rng.normal(size=(8, 8)) / np.sqrt(8),
        rng.normal(size=(3, 8)) / np.sqrt(8),
    ]


# ------------------------------------------------------------------------- labels: never "neuron" for a layer bound


@pytest.mark.parametrize("act", ["maxmin", "groupsort", "householder"])
def test_first_order_on_group_nets_is_labelled_with_the_formulation_that_produced_it(act):
    Ws = _group_net()
    layer = lipschitz_bound(Ws, activation=act, method="layer")
    neuron = lipschitz_bound(Ws, activation=act, method="neuron")
    with pytest.warns(SolverWarning, match="did not improve") as rec:
        fo = lipschitz_bound(Ws, activation=act, solver="first_order")
    assert {w.filename for w in rec} == {__file__}
    assert fo.certified and fo.solver == "FIRST_ORDER" and fo.requested_method == "neuron"
    # the first-order solver does not get below the layer bound it starts from on these nets (the neuron SDP
    # does): the number is the layer one, and it says so
    assert neuron.bound < layer.bound * (1 - 1e-3)
    assert fo.method == "layer" and fo.status == "fallback"
    assert neuron.bound * (1 - 1e-9) <= fo.bound <= layer.bound * (1 + 1e-9)


def test_a_neuron_label_means_the_neuron_multipliers_improved_on_the_start():
    Ws = make_random_network([4, 12, 12, 3], random_state=6)
    fo = lipschitz_bound(Ws, solver="first_order")  # no warning: the first-order solver improved
    start = _quiet(Ws, method="eclipse_fast")  # its start on a slope-restricted feed-forward net
    assert fo.method == "neuron" and fo.status == "optimal_inaccurate"
    assert fo.bound < start.bound * (1 - 1e-7)


def test_auto_first_order_is_never_looser_than_layer_or_eclipse(monkeypatch):
    """solver="auto" sends large neuron LMIs to the first-order solver; it now starts from the tighter of the
    layer SDP and ECLipsE-Fast, so the default is never looser than either (it was on deep nets)."""
    from causalkit.solvers import _sdp

    monkeypatch.setattr(_sdp, "FIRST_ORDER_MIN_SIZE", 10)
    for seed, dims, act in [
        (0, [5, 12, 12, 12, 12, 2], "relu"),
        (1, [6, 16, 16, 16, 1], "tanh"),
        (2, [4, 10, 10, 10, 10, 10, 3], "leaky_relu"),
    ]:
        Ws = make_random_network(dims, random_state=seed)
        res = _quiet(Ws, activation=act)
        layer = _quiet(Ws, activation=act, method="layer")
        ecl = _quiet(Ws, activation=act, method="eclipse_fast")
        assert res.solver == "FIRST_ORDER" and res.certified
        assert res.bound <= min(layer.bound, ecl.bound) * (1 + 1e-9)
        if res.method == "neuron":
            assert res.bound < min(layer.bound, ecl.bound) * (1 - 1e-7)
        else:
            assert res.method in ("layer", "eclipse_fast") and res.status == "fallback"


def test_a_first_order_solver_that_does_not_move_returns_the_start_labelled(monkeypatch):
    from causalkit.solvers import _sdp

    real = _sdp.solve_first_order

    def stuck(lmi, y0, max_iter=400):
        # the layer LMI of the warm start: solved for real
        if len({v for v, _ in lmi.units["lambda"]}) < lmi.units["N"]:
            return real(lmi, y0, max_iter)
        rho, y = _sdp.certify_rho(lmi, y0)
        y = y.copy()
        y[0] = rho
        return y, "optimal_inaccurate"

    monkeypatch.setattr(_sdp, "solve_first_order", stuck)
    monkeypatch.setattr(_sdp, "FIRST_ORDER_MIN_SIZE", 10)
    Ws = make_random_network([5, 12, 12, 12, 2], random_state=3)
    layer = _quiet(Ws, method="layer")
    ecl = _quiet(Ws, method="eclipse_fast")
    with pytest.warns(SolverWarning, match="did not improve"):
        res = lipschitz_bound(Ws)
    want = "layer" if layer.bound <= ecl.bound else "eclipse_fast"
    assert res.method == want and res.status == "fallback" and res.certified
    # the start's multipliers, re-certified (certify_rho can only tighten them)
    assert res.bound <= min(layer.bound, ecl.bound) * (1 + 1e-9)
    # an explicitly named first-order solver starts from ECLipsE-Fast only (no SDP solve)
    with pytest.warns(SolverWarning, match="'eclipse_fast' bound it started from"):
        named = lipschitz_bound(Ws, solver="first_order")
    assert named.method == "eclipse_fast" and named.bound <= ecl.bound * (1 + 1e-9)


# ------------------------------------------------------------------------------ split: warn only when it matters


def _split_with_inaccurate_pieces(monkeypatch, raw_factor):
    import causalkit.solvers._lipschitz as lip

    real = lip._run_method

    def inaccurate(method, *args, **kwargs):
        o = lip._Outcome(*real(method, *args, **kwargs))
        if method == "neuron" and o.raw is not None:  # every SDP piece of the split
            return o._replace(status="optimal_inaccurate", raw=o.bound * raw_factor)
        return o

    monkeypatch.setattr(lip, "_run_method", inaccurate)
    Ws = make_random_network([4, 8, 8, 8, 8, 2], random_state=4)
    return Ws


def test_split_with_inaccurate_pieces_does_not_warn_when_the_certificate_is_tight(monkeypatch):
    Ws = _split_with_inaccurate_pieces(monkeypatch, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverWarning)
        res = lipschitz_bound(Ws, method="split", split_size=2)
    assert res.method == "split" and res.status == "optimal_inaccurate" and res.certified
    assert res.raw_solver_value == pytest.approx(res.bound, rel=1e-12)


def test_split_warns_when_an_inaccurate_piece_loosened_the_bound(monkeypatch):
    Ws = _split_with_inaccurate_pieces(monkeypatch, 0.5)
    with pytest.warns(SolverWarning, match="optimal_inaccurate") as rec:
        res = lipschitz_bound(Ws, method="split", split_size=2)
    assert {w.filename for w in rec} == {__file__}
    assert res.method == "split" and res.status == "optimal_inaccurate"


def test_split_reports_the_product_of_the_pieces_solver_values():
    Ws = make_random_network([4, 8, 8, 8, 8, 2], random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverWarning)
        res = lipschitz_bound(Ws, method="split", split_size=2)
    assert res.status == "optimal"
    assert res.raw_solver_value == pytest.approx(res.bound, rel=1e-5)


# ------------------------------------------------------------------------------------- the measured order


def test_fallback_ladder_is_the_measured_order():
    """benchmarks/results/lipsdp.md, "Fallback order (measured)": on 24 seeded random nets the median ratio
    to the neuron bound orders the formulations neuron, chordal, layer, eclipse_fast, split."""
    import causalkit.solvers._lipschitz as lip

    assert lip._LADDER == ("neuron", "chordal", "layer", "eclipse_fast", "split", "naive")
    opts = lip._Options.validate("chordal", 2, 2, True, True, False)
    assert opts.ladder("ops") == ["chordal", "layer", "eclipse_fast", "split", "naive"]
    doc = " ".join(lipschitz_bound.__doc__.split())
    assert "neuron, chordal, layer, eclipse_fast, split, naive" in doc


# ------------------------------------------------------------------ soundness on seeded random networks


def _ladder_nets(n):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "lipsdp.py"
    spec = importlib.util.spec_from_file_location("_lipsdp_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ladder_nets(n)


def _check_sound(Ws, act, seed, methods):
    low = sampled_lower_bound(Ws, activation=act, n_samples=2000, random_state=seed)
    for m in methods:
        try:
            res = _quiet(Ws, activation=act, method=m, split_size=2)
        except ValueError:  # eclipse_fast on group activations
            continue
        assert res.certified, (m, act, seed)
        assert low <= res.bound * (1 + 1e-7), (m, act, seed, low, res.bound)
        assert res.bound <= res.naive_bound * (1 + 1e-6), (m, act, seed)


def test_default_bound_is_sound_on_seeded_random_nets():
    """The first 8 nets of the benchmark's study (one per activation): default bound between the sampled
    lower bound and the naive product."""
    for _, Ws, act, seed in _ladder_nets(8):
        _check_sound(Ws, act, seed, ["neuron"])


@pytest.mark.slow
def test_every_formulation_is_sound_on_the_24_study_nets():
    for _, Ws, act, seed in _ladder_nets(24):
        _check_sound(Ws, act, seed, ["neuron", "chordal", "split", "layer", "eclipse_fast"])


# ------------------------------------------------- #19 item 2: the first-order solver's top eigenpairs only


@pytest.mark.parametrize("rel_t", [0.0, 1e-4, 1e-3, 1e-2, 1.0])
def test_top_eigenpairs_are_those_of_the_full_decomposition(rel_t):
    from causalkit.solvers import _sdp

    rng = np.random.default_rng(19)
    A = rng.normal(size=(150, 150))
    S = A @ A.T / 150
    full_sig, full_U = np.linalg.eigh(S)
    t = rel_t * full_sig[-1]
    sig, U = _sdp._top_eigh(S, t)
    k = sig.size
    assert k < 150 or rel_t == 1.0
    np.testing.assert_allclose(sig, full_sig[-k:], rtol=1e-12, atol=1e-12)
    # every eigenvalue the smoothed objective weighs (weight > 1e-12) is among those computed
    if t > 0:
        assert full_sig[-k - 1 :][0] < full_sig[-1] - 27.6 * t or k == 150
    # the eigenvectors span the same subspace (signs free): |<u_full, u>| = 1 for simple eigenvalues
    np.testing.assert_allclose(np.abs(np.sum(full_U[:, -1] * U[:, -1])), 1.0, rtol=1e-10)


def test_first_order_objective_with_top_eigenpairs_equals_the_full_one(monkeypatch):
    import causalkit.solvers._lipschitz as lip
    from causalkit.solvers import _sdp

    Ws = make_random_network([200, 150, 150, 3], random_state=19)
    kind, model = lip._parse_model(Ws, "relu")
    model, _ = lip._prepare(kind, model)
    ops = lip._output_dim_reduce(lip._svd_reduce(model))
    prob, _ = _sdp.normalise(_sdp.compile_ops(ops), None)
    lmi = _sdp.build_lmi(prob, "neuron", 2, None)
    P = lmi.obj_coords
    assert P.size > _sdp.FO_FULL_EIGH_MAX  # the top-eigenpair path is the one exercised
    H = np.setdiff1d(np.arange(lmi.D), P)
    y = lip._start_vector(lmi, lip._eclipse_fast(prob, lip._ops_of(prob)).y)
    for rel_t in (0.0, 1e-4, 1e-2):
        t = rel_t * _sdp.certify_rho(lmi, y)[0]
        f_top, g_top = _sdp._fo_eval(lmi, y, t, P, H)
        monkeypatch.setattr(_sdp, "FO_FULL_EIGH_MAX", 10**9)
        f_full, g_full = _sdp._fo_eval(lmi, y, t, P, H)
        monkeypatch.undo()
        assert f_top == pytest.approx(f_full, rel=1e-11)
        np.testing.assert_allclose(g_top, g_full, rtol=1e-7, atol=1e-9 * np.abs(g_full).max())


def test_first_order_with_top_eigenpairs_is_certified_and_close():
    Ws = make_random_network(
        [140, 130, 20, 3], random_state=19
    )  # Schur complement 130 > FO_FULL_EIGH_MAX
    fo = _quiet(Ws, solver="first_order")
    ref = _quiet(Ws, solver="CVXOPT" if "CVXOPT" in _installed() else "SCS")
    assert fo.certified and fo.solver == "FIRST_ORDER"
    assert ref.bound * (1 - 1e-6) <= fo.bound <= ref.bound * 1.002
    low = sampled_lower_bound(Ws, n_samples=2000, random_state=19)
    assert low <= fo.bound <= fo.naive_bound * (1 + 1e-6)


def _installed():
    from causalkit.solvers import installed_solvers

    return installed_solvers()
