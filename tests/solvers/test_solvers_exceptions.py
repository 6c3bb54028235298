"""Bad input to causalkit.solvers gives clear errors that name the argument."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from causalkit.exceptions import SolverWarning
from causalkit.solvers import LipschitzEstimator, _sdp, lipschitz_bound, sampled_lower_bound


def test_shapes_do_not_chain():
    with pytest.raises(ValueError, match="do not chain"):
        lipschitz_bound([np.ones((3, 2)), np.ones((2, 4))])


def test_non_finite_weights():
    W = np.ones((3, 2))
    W[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"weights\[0\] must be finite"):
        lipschitz_bound([W, np.ones((1, 3))])
    with pytest.raises(ValueError, match="finite"):
        lipschitz_bound([np.ones((3, 2)), np.full((1, 3), np.inf)])


def test_alpha_greater_than_beta():
    with pytest.raises(ValueError, match="alpha <= beta"):
        lipschitz_bound([np.eye(2), np.eye(2)], activation=("slope", 1.0, 0.5))


def test_unknown_activation_method_norm():
    with pytest.raises(ValueError, match="unknown activation"):
        lipschitz_bound([np.eye(2), np.eye(2)], activation="swishy")
    with pytest.raises(ValueError, match="method must be one of"):
        lipschitz_bound([np.eye(2), np.eye(2)], method="fastest")
    with pytest.raises(ValueError, match="norm must be 2 or 'inf'"):
        lipschitz_bound([np.eye(2), np.eye(2)], norm=1)


def test_network_method_refused():
    with pytest.raises(ValueError, match="not offered"):
        lipschitz_bound([np.eye(2), np.eye(2)], method="network")


def test_bad_inputs():
    with pytest.raises(TypeError, match="model_or_weights"):
        lipschitz_bound("weights.npz")
    with pytest.raises(ValueError, match="empty"):
        lipschitz_bound([])
    with pytest.raises(ValueError, match="2-D"):
        lipschitz_bound([np.ones((2, 2, 2))])
    with pytest.raises(ValueError, match="divisible"):
        lipschitz_bound([np.ones((3, 2)), np.ones((1, 3))], activation="maxmin")
    with pytest.raises(ValueError, match="output_index"):
        lipschitz_bound([np.eye(2), np.eye(2)], output_index=5)
    with pytest.raises(ValueError, match="split_size"):
        lipschitz_bound([np.eye(2), np.eye(2)], split_size=0)
    with pytest.raises(ValueError, match="n_samples"):
        sampled_lower_bound([np.eye(2)], n_samples=0)


def test_unknown_and_missing_solver(monkeypatch):
    with pytest.raises(ValueError, match="unknown SDP solver"):
        lipschitz_bound([np.eye(2), np.eye(2)], solver="gurobi-sdp")
    import cvxpy

    monkeypatch.setattr(cvxpy, "installed_solvers", lambda: ["SCS"])
    with pytest.raises(ImportError, match=r"causalkit\[sdp-fast\]"):
        lipschitz_bound([np.eye(2), np.eye(2)], solver="SDPA")
    with pytest.raises(ImportError, match="mosek"):
        lipschitz_bound([np.eye(2), np.eye(2)], solver="MOSEK")


def test_missing_cvxpy_names_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "cvxpy" or name.startswith("cvxpy."):
            raise ImportError("no cvxpy")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    monkeypatch.delitem(__import__("sys").modules, "cvxpy", raising=False)
    with pytest.raises(ImportError, match=r"causalkit\[sdp\]"):
        lipschitz_bound([np.eye(2), np.eye(2)], solver="SCS")


def test_solver_failure_raises_with_status(monkeypatch):
    def boom(lmi, solver, chordal_blocks=None, verbose=False):
        raise _sdp.SolverFailure(f"solver {solver} failed", "infeasible_inaccurate", solver)

    monkeypatch.setattr(_sdp, "solve_lmi", boom)
    with pytest.raises(RuntimeError, match="infeasible_inaccurate"):
        lipschitz_bound([np.eye(2), np.eye(2)], solver="SCS")
    # with the automatic chain the failure is absorbed by the fallback ladder, with a warning
    with pytest.warns(SolverWarning, match="no certified bound"):
        res = lipschitz_bound([np.eye(2), np.eye(2)], solver="auto")
    assert res.status == "fallback" and res.method == "eclipse_fast" and res.certified


def test_estimator_errors_at_fit_not_init():
    est = LipschitzEstimator(method="bogus")
    with pytest.raises(ValueError, match="method"):
        est.fit([np.eye(2)])


def test_chordal_needs_feedforward():
    from causalkit.solvers import Residual

    with pytest.raises(ValueError, match="chordal"):
        lipschitz_bound([Residual(np.eye(2), np.eye(2))], method="chordal")
